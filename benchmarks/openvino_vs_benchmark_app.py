"""Native OpenVINO target vs OpenVINO's own benchmark_app -hint latency, same model, one run.

Goal (issue #2): app p50 / benchmark_app median <= 1.05.

    python benchmarks/openvino_vs_benchmark_app.py [--iterations 500]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import app_run, build_model


def benchmark_app_median(model: Path, iterations: int) -> float:
    exe = shutil.which("benchmark_app") or str(Path(sys.executable).with_name("benchmark_app"))
    out = subprocess.run([exe, "-m", str(model), "-d", "CPU", "-hint", "latency", "-niter", str(iterations),
                          "-api", "sync"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Median:\s+([\d.]+)\s+ms", out)
    if not match:
        raise SystemExit("could not find the median in benchmark_app's output:\n" + out)
    return float(match.group(1)) / 1e3


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
