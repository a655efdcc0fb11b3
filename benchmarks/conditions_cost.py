"""Cost of one measurement-conditions snapshot (app.probes.conditions), the worker's only extra work.

A run takes two snapshots around its measured loop (and one per 0.5 s while --quiet-check waits), so
this is a fixed cost outside the timed inferences. It is printed in microseconds and as a ratio to
one read of /proc/stat measured in the same process (the reference), so figures taken on a busy,
shared machine can be compared with a quiet one's.

    python benchmarks/conditions_cost.py [--reads 500] [--children N]

--children starts N idle child processes so the worker-tree walk has something to find.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.probes.conditions import ConditionsMeter, load_between  # noqa: E402


def _per_call_us(fn, reads: int) -> float:
    fn()  # first call opens files and imports
    best = float("inf")
    for _ in range(5):  # best of five batches: the least disturbed by other processes
        t0 = time.perf_counter_ns()
        for _ in range(reads):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / reads / 1e3)
    return best


def _read_proc_stat() -> None:
    with open("/proc/stat", "rb") as f:
        f.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads", type=int, default=500)
    ap.add_argument("--children", type=int, default=0)
    args = ap.parse_args()
    kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(args.children)]
    try:
        firsts = []
        for _ in range(5):  # the first snapshot of a meter also looks for the worker's child processes
            t0 = time.perf_counter_ns()
            ConditionsMeter(os.getpid(), os.getppid()).snapshot()
            firsts.append((time.perf_counter_ns() - t0) / 1e3)
        first_us = min(firsts)
        meter = ConditionsMeter(os.getpid(), os.getppid())
        snap_us = _per_call_us(meter.snapshot, args.reads)
        ref_us = _per_call_us(_read_proc_stat, args.reads) if Path("/proc/stat").exists() else float("nan")
        a = meter.snapshot()
        time.sleep(0.5)
        load = load_between(a, meter.snapshot())
    finally:
        for k in kids:
            k.kill()
            k.wait()
    print(f"machine: {platform.platform()}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}")
    print(f"source: {load.source}; clocks: {load.clock_reason or 'read'}; throttle: {load.throttle_reason or 'read'}")
    print(f"one snapshot: {snap_us:.1f} us  (one /proc/stat read: {ref_us:.1f} us; ratio {snap_us / ref_us:.1f}x)")
    print(f"first snapshot (finds the child processes too): {first_us:.1f} us  (ratio {first_us / ref_us:.1f}x)")
    print(f"per run (first + one more): {(first_us + snap_us) / 1e3:.3f} ms, outside the measured loop")
    print(f"other processes over the last 0.5 s: {load.other.value if load.other.value is not None else 'N/A'}")


if __name__ == "__main__":
    main()
