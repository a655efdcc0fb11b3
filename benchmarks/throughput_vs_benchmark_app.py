"""The app's throughput mode on ov/cpu vs OpenVINO's benchmark_app -hint throughput, same models, one run.

Goal (issue #14): app throughput / benchmark_app throughput >= 0.95.

    python benchmarks/throughput_vs_benchmark_app.py [--iterations 2000] [--rounds 5]

Both sides compile with PERFORMANCE_HINT=THROUGHPUT and keep OpenVINO's optimal number of
requests in flight; benchmark_app reports completed inferences / wall time of its loop, the app
the same over its measured window (app.run.throughput). The two alternate, round by round, so
a load that comes and goes on the machine hits both; the ratio is of the medians over rounds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _common import ROOT, app_run, benchmark_app, benchmark_app_figure, build_model


def benchmark_app_throughput(model: Path, iterations: int) -> float:
    out = benchmark_app(model, "-hint", "throughput", "-niter", str(iterations))
    return benchmark_app_figure(out, r"Throughput:\s+([\d.]+)\s+FPS", "throughput")


def app_throughput(model: Path, iterations: int, warmup: int) -> float:
    from app.record.schema import RunMode

    record = app_run(model, "ov/cpu", iterations, warmup=warmup, mode=RunMode.THROUGHPUT)
    return record.throughput.inferences_per_s


def compare(name: str, model: Path, iterations: int, rounds: int, warmup: int) -> float:
    ref, app = [], []
    for _ in range(rounds):
        ref.append(benchmark_app_throughput(model, iterations))
        app.append(app_throughput(model, iterations, warmup))
    r, a = float(np.median(ref)), float(np.median(app))
    print(f"{name} on OpenVINO CPU: benchmark_app -hint throughput {r:,.1f} inferences/s, app ov/cpu "
          f"--mode throughput {a:,.1f} inferences/s, ratio {a / r:.4f} (median of {rounds} alternating rounds, "
          f"{iterations} inferences each; per round app/benchmark_app: "
          f"{', '.join(f'{x / y:.3f}' for x, y in zip(app, ref))})", flush=True)
    return a / r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()
    models = {"conv_net (32 ch, 128 px)": build_model("conv_net", channels=32, size=128),
              "sample_model (224 px)": ROOT / "resources" / "sample_model.onnx"}
    ratios = [compare(name, path, args.iterations, args.rounds, args.warmup) for name, path in models.items()]
    print(f"worst ratio {min(ratios):.4f} (goal >= 0.95)")


if __name__ == "__main__":
    main()
