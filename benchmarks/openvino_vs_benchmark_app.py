"""Native OpenVINO target vs OpenVINO's own benchmark_app -hint latency, same model, one run.

Goal (issue #2): app p50 / benchmark_app median <= 1.05.

    python benchmarks/openvino_vs_benchmark_app.py [--iterations 500]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _common import app_run, benchmark_app, benchmark_app_figure, build_model


def benchmark_app_median(model: Path, iterations: int) -> float:
    out = benchmark_app(model, "-hint", "latency", "-niter", str(iterations), "-api", "sync")
    return benchmark_app_figure(out, r"Median:\s+([\d.]+)\s+ms", "median") / 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    model = build_model("conv_net", channels=32, size=128)
    ref, app = [], []
    for _ in range(args.rounds):
        ref.append(benchmark_app_median(model, args.iterations))
        app.append(app_run(model, "ov/cpu", args.iterations, warmup=50).latency.p50)
    r, a = float(np.median(ref)), float(np.median(app))
    print(f"conv_net on OpenVINO CPU: benchmark_app -hint latency median {r * 1e3:.3f} ms, "
          f"app ov/cpu p50 {a * 1e3:.3f} ms, ratio {a / r:.4f} (median of {args.rounds} rounds, "
          f"{args.iterations} inferences each)")


if __name__ == "__main__":
    main()
