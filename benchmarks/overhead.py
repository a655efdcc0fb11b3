"""App overhead vs a bare `session.run` loop, measured in one run on the same model.

Goals (issue #2): on a 1-10 ms model the app's p50 / bare p50 <= 1.02; on a
single-Add model (~5 us per inference) the added overhead <= 1 us per inference.

The bare loop times each call with the same two perf_counter_ns reads the app
uses, in this process; the app runs in its spawned worker exactly as users
run it. Rounds alternate bare/app so drift affects both equally.

    python benchmarks/overhead.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _common import app_run, build_model


def bare_loop_p50(model, iterations: int, warmup: int) -> float:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    feeds = {inp.name: np.random.default_rng(0).standard_normal(inp.shape).astype(np.float32)}
    for _ in range(warmup):
        sess.run(None, feeds)
    clock = time.perf_counter_ns
    lat = np.empty(iterations, np.int64)
    for i in range(iterations):
        t0 = clock()
        sess.run(None, feeds)
        lat[i] = clock() - t0
    return float(np.median(lat)) / 1e9


def measure(name: str, model, iterations: int, rounds: int) -> tuple[float, float]:
    """Alternate bare and app rounds; each round pair gives one ratio and one difference.

    The median over pairs resists the load swings of a shared machine better
    than comparing the medians of all bare and all app rounds.
    """
    bare, app = [], []
    for _ in range(rounds):
        bare.append(bare_loop_p50(model, iterations, warmup=200))
        app.append(app_run(model, "ort/cpu", iterations, warmup=200).latency.p50)
    b, a = np.array(bare), np.array(app)
    ratios, added = a / b, (a - b) * 1e6
    print(f"{name:18s} bare p50 {np.median(b) * 1e6:9.2f} us   app p50 {np.median(a) * 1e6:9.2f} us   "
          f"ratio {np.median(ratios):.4f} (pairs {ratios.min():.3f}..{ratios.max():.3f})   "
          f"added {np.median(added):+.2f} us/inference   ({rounds} round pairs, {iterations} inferences each)")
    return float(np.median(b)), float(np.median(a))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    print(f"host: {os.cpu_count()} logical CPUs; ORT CPU EP; bare loop in-process, app in its worker process")
    measure("single_add", build_model("single_add"), 20_000, args.rounds)
    measure("conv_net 1-10 ms", build_model("conv_net", channels=32, size=128), 300, args.rounds)


if __name__ == "__main__":
    main()
