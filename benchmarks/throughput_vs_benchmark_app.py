"""The app's throughput mode on ov/cpu vs OpenVINO's benchmark_app -hint throughput, same models, one run.

Goal (issue #14): app throughput / benchmark_app throughput >= 0.95.

    python benchmarks/throughput_vs_benchmark_app.py [--iterations 2000] [--rounds 7]

Both sides compile with PERFORMANCE_HINT=THROUGHPUT and keep OpenVINO's optimal number of
requests in flight; benchmark_app reports completed inferences / wall time of its loop, the app
the same over its measured window (app.run.throughput). The two alternate, round by round, so
a load that comes and goes on the machine hits both. Each round gives one pair ratio
(app / benchmark_app, measured seconds apart); the figure is the median of the pair ratios
(the ratio of the two medians is printed too).
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
    pairs = [x / y for x, y in zip(app, ref)]
    ratio = float(np.median(pairs))
    print(f"{name} on OpenVINO CPU: benchmark_app -hint throughput {r:,.1f} inferences/s, app ov/cpu "
          f"--mode throughput {a:,.1f} inferences/s (medians of {rounds} alternating rounds, {iterations} "
          f"inferences each); ratio {ratio:.4f} (median of the pair ratios {', '.join(f'{x:.3f}' for x in pairs)}; "
          f"ratio of the medians {a / r:.4f})", flush=True)
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()
    models = {"conv_net (32 ch, 128 px)": build_model("conv_net", channels=32, size=128),
              "sample_model (224 px)": ROOT / "resources" / "sample_model.onnx"}
    ratios = [compare(name, path, args.iterations, args.rounds, args.warmup) for name, path in models.items()]
    print(f"worst ratio {min(ratios):.4f} (goal >= 0.95)")


if __name__ == "__main__":
    main()
