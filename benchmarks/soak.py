"""Soak: does memory stay flat over a long run? (minutes, not a unit test)

Runs `aipcprof run MODEL --duration S` on a one-node model (`single_add`, tens
of thousands of inferences/s: the worst case for the latency store and the
message stream) with telemetry on, and samples the RSS of the CLI process and
of its inference worker every few seconds. Prints RSS over time and, after the
first minute (start-up, the exact-latency buffers, the first telemetry), the
growth rate per hour: a least-squares slope over the samples, and the plain
difference last - first. Goal: under 10 MB/hour for both processes.

With --gui, the same for the desktop app: a real MainWindow (offscreen) runs
the model for S seconds on ort/cpu with its live charts, and the GUI process
and its worker are sampled.

    python benchmarks/soak.py [--duration 180] [--interval 5] [--gui | --gui-only] [--settle 60]

Settings and run records go to a temp folder; the user's history is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, build_model, open_window, start_timed_run, wait_for

GOAL_MB_PER_HOUR = 10.0


def _worker_of(proc) -> object | None:
    """The spawned inference worker among `proc`'s children (not multiprocessing's resource tracker)."""
    import psutil

    for child in proc.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def _rss_mb(p) -> float:
    import psutil

    try:
        return p.memory_info().rss / 2**20 if p is not None else float("nan")
    except psutil.Error:
        return float("nan")


def sample(popen: subprocess.Popen, interval: float, label: str) -> list[tuple[float, float, float]]:
    """(seconds, parent MB, worker MB) every `interval` s until the process exits."""
    import psutil

    parent = psutil.Process(popen.pid)
    rows: list[tuple[float, float, float]] = []
    t0 = time.monotonic()
    worker = None
    print(f"{'t (s)':>7}  {label + ' RSS (MB)':>16}  {'worker RSS (MB)':>16}", flush=True)
    while popen.poll() is None:
        if worker is None or not worker.is_running():
            worker = _worker_of(parent)
        row = (time.monotonic() - t0, _rss_mb(parent), _rss_mb(worker))
        if worker is not None and not np.isnan(row[1]):
            rows.append(row)
            print(f"{row[0]:7.1f}  {row[1]:16.1f}  {row[2]:16.1f}", flush=True)
        time.sleep(interval)
    return rows


def growth(rows: list[tuple[float, float, float]], settle: float, column: int) -> tuple[float, float, float]:
    """(slope MB/h, last - first MB, span s) over the samples taken after `settle` seconds."""
    pts = [(r[0], r[column]) for r in rows if r[0] >= settle and not np.isnan(r[column])]
    if len(pts) < 3:
        return float("nan"), float("nan"), 0.0
    t, mb = np.array(pts).T
    slope = float(np.polyfit(t, mb, 1)[0]) * 3600
    return slope, float(mb[-1] - mb[0]), float(t[-1] - t[0])


def report(rows, settle: float, label: str) -> bool:
    ok = True
    for column, who in ((1, label), (2, "worker")):
        slope, diff, span = growth(rows, settle, column)
        verdict = "ok" if abs(slope) < GOAL_MB_PER_HOUR else "OVER THE GOAL"
        ok &= verdict == "ok"
        print(f"{who:>7}: growth after {settle:g} s: {slope:+.2f} MB/h (least squares), "
              f"{diff:+.2f} MB over the last {span:.0f} s; goal < {GOAL_MB_PER_HOUR:g} MB/h: {verdict}")
    return ok


def soak_cli(model: Path, duration: float, interval: float, settle: float) -> bool:
    out = Path(tempfile.mkdtemp(prefix="aipcprof-soak-")) / "run.json"
    cmd = [sys.executable, "-m", "app", "run", str(model), "--duration", str(duration), "--warmup", "100",
           "--no-output-check", "--quiet", "--out", str(out)]
    print("$", " ".join(cmd[1:]), flush=True)
    popen = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    rows = sample(popen, interval, "CLI")
    if popen.wait() != 0:
        raise SystemExit(f"the run failed (exit {popen.returncode})")
    ok = report(rows, settle, "CLI")
    record = json.loads(out.read_text())
    lat = record["latency"]
    print(f"record: {out.stat().st_size / 2**20:.2f} MB on disk; {lat['count']:,} inferences "
          f"({lat['count'] / duration:,.0f}/s), {len(lat.get('samples') or [])} latency points kept "
          f"(stride {lat.get('samples_stride')}), "
          f"{len((record.get('telemetry') or {}).get('series') or {})} telemetry series")
    return ok


def soak_gui(model: Path, duration: float, interval: float, settle: float) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="aipcprof-soak-gui-"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AIPCPROF_DATA_DIR=str(tmp / "data"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--gui-child", str(model), str(duration), str(tmp)]
    print(f"$ (desktop app, offscreen) run {model.name} for {duration:g} s", flush=True)
    popen = subprocess.Popen(cmd, cwd=ROOT, env=env)
    rows = sample(popen, interval, "GUI")
    if popen.wait() != 0:
        raise SystemExit(f"the GUI run failed (exit {popen.returncode})")
    return report(rows, settle, "GUI")


def gui_child(model: str, duration: float, tmp: str) -> int:
    """In the sampled process: the real window runs the model for `duration` s, then quits."""
    app, window = open_window(Path(tmp))
    finished = start_timed_run(window, Path(model), duration, check_outputs=False)
    wait_for(lambda: finished, duration + 300, "the soak run")
    window.close()
    app.processEvents()
    records = finished[0]
    for r in records:
        print(f"GUI record: {r.latency.count:,} inferences ({r.latency.count / duration:,.0f}/s), "
              f"status {r.status.value}", flush=True)
    return 0 if records and all(r.status.value == "completed" for r in records) else 1


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--gui-child":
        raise SystemExit(gui_child(sys.argv[2], float(sys.argv[3]), sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=180.0, help="seconds of measured run (default 180)")
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between RSS samples (default 5)")
    ap.add_argument("--settle", type=float, default=60.0, help="growth is judged after this many seconds")
    ap.add_argument("--gui", action="store_true", help="also soak the desktop app")
    ap.add_argument("--gui-only", action="store_true", help="soak the desktop app only")
    args = ap.parse_args()
    model = build_model("single_add")
    ok = True
    if not args.gui_only:
        ok &= soak_cli(model, args.duration, args.interval, args.settle)
    if args.gui or args.gui_only:
        ok &= soak_gui(model, args.duration, args.interval, args.settle)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
