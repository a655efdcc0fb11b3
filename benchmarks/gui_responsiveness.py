"""Is the GUI responsive at every inference rate, and does it start fast? (issues #4, #19)

Goals (issue #19), judged for EVERY model run; FAIL when any misses:
  * event-loop lag (a 10 ms QTimer measuring its own lateness): max < 50 ms while
    measuring, and max < 50 ms at the end of the run (from the end of measuring to
    1.5 s after the results are shown and 0.5 s after the run history was listed again:
    record, charts fitted, results panel, history save, the history list refilled with
    `--history` runs, default 200);
  * chart frame rate >= 30 frames/s while measuring (real paints of the chart viewport);
  * GUI RSS growth < 10 MB over the run once the buffers are full (from `--settle`
    seconds into the measuring, default 15 s; run --minutes 10 for the goal's 10 minutes);
  * window shown from a cold start (a fresh process each time): median < 1.5 s, max < 2 s.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--minutes 1]
        [--model conv_net single_add] [--cold-starts 5] [--history 200] [--profile out.prof]

Default models: `conv_net` (a small conv net, a few thousand inferences/s on ort/cpu)
and `single_add` (one Add on a 1x4 tensor: ~100,000 inferences/s here, the high-rate
case). A model is a tests/model_zoo builder with optional keyword arguments. Each
run is the real window on ort/cpu with telemetry on, driven the way a user drives
it (open model, Duration, Run), in a fresh process; settings and run records go to
a temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, build_model, fill_history, open_window, start_timed_run, wait_for

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def cold_start(repeats: int) -> list[float]:
    """Seconds from process launch to the window painted, each in a fresh interpreter."""
    times = []
    for _ in range(repeats):
        tmp = tempfile.mkdtemp(prefix="aipcprof-cold-")
        env = dict(os.environ, AIPCPROF_STARTUP_PROBE="quit", XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp,
                   APPDATA=tmp, LOCALAPPDATA=tmp)
        t0 = time.time()
        done = subprocess.run([sys.executable, "-c", "from app.gui import run_gui; raise SystemExit(run_gui())"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("window_shown")), None)
        if line is None:
            raise SystemExit(f"cold start failed: {done.stderr[-2000:]}")
        shown = float(line.split("wall=")[1].split()[0])
        times.append(shown - t0)
    return times


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 100 else max(values)


class _Series:
    """Values appended at up to `per_s` a second for `seconds`, in a buffer allocated AND touched up front: the
    benchmark's own bookkeeping must not grow the GUI's RSS that it judges (Python lists of floats grew it by
    ~1 MB a minute at 100 probes/s). Values past the capacity are counted, not kept."""

    def __init__(self, seconds: float, per_s: float) -> None:
        import numpy as np

        self.values = np.empty(int(seconds * per_s * 1.5) + 1_000)
        self.values.fill(0.0)  # touch every page now (np.empty/zeros pages are resident only once written)
        self.n = 0
        self.dropped = 0

    def append(self, value: float) -> None:
        if self.n < len(self.values):
            self.values[self.n] = value
            self.n += 1
        else:
            self.dropped += 1

    def __len__(self) -> int:
        return self.n

    def view(self):
        return self.values[:self.n]


_COSTS: dict[str, _Series] = {}
_TIMED_VIEWS: list = []


def _allocate_costs(seconds: float) -> None:
    """Frames are drawn at most ~60 a second and the worker sends ~50 latency batches a second."""
    for key in ("refresh", "paint", "batch"):
        _COSTS[key] = _Series(seconds, 100)


def _patch_paint() -> None:
    """Before any chart exists (PySide binds virtual overrides when the object is made): time chart paints."""
    import pyqtgraph as pg

    paint = pg.GraphicsView.paintEvent

    def paint_event(view, event):
        if view not in _TIMED_VIEWS:
            return paint(view, event)
        t = time.perf_counter()
        try:
            return paint(view, event)
        finally:
            _COSTS["paint"].append((time.perf_counter() - t) * 1e3)

    pg.GraphicsView.paintEvent = paint_event


def _time_frames(window) -> dict[str, list[float]]:
    """Wall time of each chart refresh and each paint of the chart view (ms); latency batches received."""
    costs = _COSTS
    charts, live = window.charts, window.controller.live
    _TIMED_VIEWS.append(charts.view)

    def timed(fn, key):
        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                costs[key].append((time.perf_counter() - t) * 1e3)
        return run

    charts.refresh = timed(charts.refresh, "refresh")
    live.add_latencies = timed(live.add_latencies, "batch")
    return costs


def parse_model(spec: str) -> tuple[str, dict]:
    """"conv_net:channels=8,size=32" -> ("conv_net", {"channels": 8, "size": 32})."""
    name, _, args = spec.partition(":")
    kwargs = {}
    for part in filter(None, args.split(",")):
        key, _, value = part.partition("=")
        kwargs[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value.strip()
    return name, kwargs


GOAL_LAG_MS = 50.0
GOAL_FPS = 30.0
GOAL_RSS_MB = 10.0
GOAL_COLD_MEDIAN_S, GOAL_COLD_MAX_S = 1.5, 2.0
END_WINDOW_S = 1.5  # the end of a run: from the end of measuring to this long after the results are shown,
LIST_WINDOW_S = 0.5  # and at least this long after the history was listed again (the run saved and indexed)


class _Probe:
    """A 10 ms timer measuring its own lateness (= how long the event loop was busy), with the time of each."""

    def __init__(self, seconds: float, stall_dump: str | None = None) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        # --stall-dump: faulthandler's watchdog (a C thread, needs no GIL) writes every thread's stack when
        # the probe has not fired for 60 ms: who held the loop (or the GIL) during a stall.
        self.dump = open(stall_dump, "w") if stall_dump else None  # noqa: SIM115 - open for the whole run

        # preallocated (see _Series): monotonic s, lag ms, and the GUI thread's CPU ms over each probe interval
        # (lag - CPU: waiting)
        self.times, self.lag_ms, self.cpu = _Series(seconds, 100), _Series(seconds, 100), _Series(seconds, 100)
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_timeout)

    def start(self) -> None:
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self._last_cpu = time.thread_time_ns()
        self.timer.start()

    def _on_timeout(self) -> None:
        now = self.clock.nsecsElapsed()
        cpu = time.thread_time_ns()
        self.times.append(time.monotonic())
        self.lag_ms.append(max(0.0, (now - self._last) / 1e6 - 10.0))
        self.cpu.append((cpu - self._last_cpu) / 1e6)
        self._last, self._last_cpu = now, cpu
        if self.dump is not None:
            import faulthandler

            faulthandler.dump_traceback_later(0.06, file=self.dump)

    def worst(self, t0: float, t1: float, k: int = 3) -> list[tuple[float, float]]:
        """The k longest lags in [t0, t1) as (lag ms, GUI-thread CPU ms in that interval): a lag with little
        CPU is the thread waiting (for a core on a busy machine, or for the GIL), not working."""
        rows = [(float(lag), float(cpu)) for t, lag, cpu in self._rows() if t0 <= t < t1]
        return sorted(rows, reverse=True)[:k]

    def between(self, t0: float, t1: float) -> list[float]:
        return [float(lag) for t, lag, _ in self._rows() if t0 <= t < t1]

    def _rows(self):
        return zip(self.times.view(), self.lag_ms.view(), self.cpu.view())

    def cpu_max(self, t0: float, t1: float) -> float:
        """The most GUI-thread CPU ms in one probe interval in [t0, t1): the longest stretch of the GUI's own
        work, which waiting for a core on a busy machine does not lengthen (a diagnostic, not a goal)."""
        return max((float(cpu) for t, _, cpu in self._rows() if t0 <= t < t1), default=0.0)


def _memory_sample(proc) -> tuple[int, int, int]:
    """(RSS, bytes malloc has handed out, bytes free but still held by malloc) in bytes: where RSS growth goes
    (the Python heap and Qt both allocate through malloc; free-but-held is fragmentation). glibc's mallinfo2;
    (RSS, -1, -1) elsewhere."""
    import ctypes
    import ctypes.util

    rss = proc.memory_info().rss
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        info = libc.mallinfo2
    except (OSError, AttributeError):
        return rss, -1, -1

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                     "fordblks", "keepcost")]

    info.restype = MallInfo2
    m = info()
    return rss, m.uordblks + m.hblkhd, m.fordblks


def live_run(model: Path, minutes: float, settle_s: float, profile: str | None = None,
             stall_dump: str | None = None, history: int = 0) -> dict:
    import psutil
    from PySide6.QtCore import QTimer

    _patch_paint()
    tmp = Path(tempfile.mkdtemp(prefix="aipcprof-bench-gui-"))
    fill_history(tmp / "runs", history)  # listed at start, and again after the run
    app, window = open_window(tmp)
    finished = start_timed_run(window, model, minutes * 60)
    c, charts = window.controller, window.charts
    wait_for(lambda: c.phase == "measure" and c.live.count > 0, 60, "the start of measuring")

    span_s = minutes * 60 + 120  # the measured run and its end
    _allocate_costs(span_s)
    probe = _Probe(span_s, stall_dump)
    costs = _time_frames(window)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    paints0, calls0, frames0, count0 = charts.paint_counter.paints, charts.set_data_calls, charts.frames, c.live.count
    t0 = time.monotonic()
    rss_trace: list[tuple[float, int, int, int]] = []  # (s, RSS, malloc in use, malloc free but held)
    report = QTimer()
    report.setInterval(5_000)
    report.timeout.connect(lambda: rss_trace.append((time.monotonic() - t0, *_memory_sample(proc))))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    probe.start()
    report.start()
    wait_for(lambda: finished or c.phase != "measure", minutes * 60 + 120, "the measured run")
    t_end = time.monotonic()
    elapsed = t_end - t0
    measured = c.live.count - count0
    paints, frames, calls = (charts.paint_counter.paints - paints0, charts.frames - frames0,
                             charts.set_data_calls - calls0)
    rss1, malloc_used1, malloc_free1 = _memory_sample(proc)
    report.stop()
    listed: list[float] = []  # the history listed again once the run is kept in it (save, index, list)
    window.history_changed.connect(lambda _entries: listed.append(time.monotonic()))
    wait_for(lambda: finished, 120, "the end of the run")
    t_shown = time.monotonic()
    wait_for(lambda: listed, 60, "the history listing after the run")
    t_quiet = max(t_shown + END_WINDOW_S, listed[0] + LIST_WINDOW_S)  # the end window covers the list's refill
    wait_for(lambda: time.monotonic() > t_quiet, t_quiet - time.monotonic() + 5)
    probe.timer.stop()
    if stall_dump:
        import faulthandler

        faulthandler.cancel_dump_traceback_later()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    during = probe.between(t0, t_end) or [float("nan")]
    end = probe.between(t_end, t_quiet) or [0.0]
    settle_s = min(settle_s, elapsed / 2)  # a short trial run: its second half
    settled = [row for row in rss_trace if row[0] >= settle_s]
    low = min(settled, key=lambda row: row[1]) if settled else (0.0, 0, -1, -1)
    result = {
        "seconds": elapsed,
        "inferences_per_s": measured / elapsed,
        "lag_max_ms": max(during),
        "lag_p99_ms": _p99(during),
        "lag_mean_ms": statistics.fmean(during),
        "lag_over_goal": sum(1 for lag in during if lag >= GOAL_LAG_MS),
        "worst_lags": probe.worst(t0, t_end),
        "worst_end_lags": probe.worst(t_end, t_quiet),
        "end_lag_max_ms": max(end),
        "cpu_max_ms": probe.cpu_max(t0, t_end),
        "end_cpu_max_ms": probe.cpu_max(t_end, t_quiet),
        "history_runs": history,
        "end_seconds": t_shown - t_end,
        "paints_per_s": paints / elapsed,
        "frames_per_s": frames / elapsed,
        "set_data_per_s": calls / elapsed,
        "rss_start_mb": rss0 / 2**20,
        "rss_end_mb": rss1 / 2**20,
        "rss_growth_mb": (rss1 - rss0) / 2**20,
        # growth once the buffers are full: from the LOWEST sample after settle_s to the end of measuring. (From
        # the first sample, a high-rate run hid its growth behind the ~13 MB the record frees when its latency
        # store goes bounded, 20-40 s in.)
        "rss_settled_growth_mb": (rss1 - low[1]) / 2**20 if settled else float("nan"),
        "rss_settled_span_s": elapsed - low[0] if settled else 0.0,
        "settle_s": settle_s,
        "rss_trace_mb": [(round(t), round(r / 2**20, 1)) for t, r, _, _ in rss_trace],
        # where the settled growth went: malloc'd and still in use, freed but held by malloc, outside malloc
        "malloc_used_growth_mb": (malloc_used1 - low[2]) / 2**20 if settled and low[2] >= 0 else None,
        "malloc_free_growth_mb": (malloc_free1 - low[3]) / 2**20 if settled and low[3] >= 0 else None,
        "latency_points_kept": len(c.live.latency),
        "batches_per_s": len(costs["batch"]) / elapsed,
        **{f"{k}_ms": (statistics.fmean(v.view()), _p99(list(v.view())), float(max(v.view())))
           for k, v in costs.items() if k != "batch" and len(v)},
    }
    window.close()
    app.processEvents()
    return result


def verdicts(r: dict) -> list[tuple[str, bool]]:
    """(what, met) for each goal of one live run."""
    return [
        (f"lag max while measuring {r['lag_max_ms']:.1f} ms < {GOAL_LAG_MS:g} ms", r["lag_max_ms"] < GOAL_LAG_MS),
        (f"lag max at the end of the run {r['end_lag_max_ms']:.1f} ms < {GOAL_LAG_MS:g} ms",
         r["end_lag_max_ms"] < GOAL_LAG_MS),
        (f"chart {r['paints_per_s']:.1f} frames/s >= {GOAL_FPS:g}", r["paints_per_s"] >= GOAL_FPS),
        (f"RSS growth after the first {r['settle_s']:.0f} s (from its lowest) {r['rss_settled_growth_mb']:+.1f} MB < "
         f"{GOAL_RSS_MB:g} MB",
         r["rss_settled_growth_mb"] < GOAL_RSS_MB),
    ]


def cold_verdicts(starts: list[float]) -> list[tuple[str, bool]]:
    med, top = statistics.median(starts), max(starts)
    return [(f"cold start median {med:.2f} s < {GOAL_COLD_MEDIAN_S:g} s", med < GOAL_COLD_MEDIAN_S),
            (f"cold start max {top:.2f} s < {GOAL_COLD_MAX_S:g} s", top < GOAL_COLD_MAX_S)]


def _print_verdicts(label: str, checks: list[tuple[str, bool]]) -> bool:
    for what, met in checks:
        print(f"  {'ok  ' if met else 'MISS'} [{label}] {what}")
    return all(met for _, met in checks)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=1.0, help="length of each measured run (goal: 10)")
    p.add_argument("--model", nargs="+", default=["conv_net", "single_add"],
                   help="tests/model_zoo builders NAME[:KEY=VALUE,...], each run and judged in its own process "
                        "(default: a small conv net, then single_add at ~100,000 inferences/s)")
    p.add_argument("--cold-starts", type=int, default=5)
    p.add_argument("--settle", type=float, default=15.0, help="RSS growth is judged from this many seconds in")
    p.add_argument("--history", type=int, default=200, metavar="N",
                   help="runs in the run history before the run (default 200: the window lists them again after "
                        "the run); 0 for an empty history, as before issue #19's end-of-run work")
    p.add_argument("--profile", metavar="OUT.prof", help="cProfile the GUI process (with one --model)")
    p.add_argument("--stall-dump", metavar="FILE", help="write every thread's stack at each stall > 60 ms (with "
                                                           "one --model)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:  # one live run in this process: print its results as JSON for the parent
        name, kwargs = parse_model(args.model[0])
        r = live_run(build_model(name, **kwargs), args.minutes, args.settle, args.profile, args.stall_dump,
                     args.history)
        print("RESULT " + json.dumps(r))
        return 0
    ok = True
    if args.cold_starts:
        starts = cold_start(args.cold_starts)
        print(f"window shown from a cold start: median {statistics.median(starts):.2f} s, max {max(starts):.2f} s "
              f"[{', '.join(f'{s:.2f}' for s in starts)}]")
        ok = _print_verdicts("cold start", cold_verdicts(starts))
    for spec in args.model:
        # Each live run in a fresh process: one run's heap and caches must not colour the next one.
        cmd = [sys.executable, __file__, "--child", "--minutes", str(args.minutes), "--settle", str(args.settle),
               "--history", str(args.history), "--model", spec] + (["--profile", args.profile] if args.profile else []) \
            + (["--stall-dump", args.stall_dump] if args.stall_dump else [])
        done = subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"[{spec}] the live run failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            ok = False
            continue
        r = json.loads(line[len("RESULT "):])
        _report(spec, r)
        ok = _print_verdicts(spec, verdicts(r)) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _report(spec: str, r: dict) -> None:
    print(f"[{spec}] live run: {r['seconds']:.0f} s on ort/cpu at {r['inferences_per_s']:,.0f} inferences/s "
          f"({r['latency_points_kept']:,} latency points in the ring)")
    print(f"event-loop lag while measuring: max {r['lag_max_ms']:.1f} ms, p99 {r['lag_p99_ms']:.1f} ms, "
          f"mean {r['lag_mean_ms']:.1f} ms, {r['lag_over_goal']} probes >= {GOAL_LAG_MS:g} ms; at the end of the "
          f"run (record, results, history; {r['end_seconds']:.1f} s + {END_WINDOW_S:g} s or more): max "
          f"{r['end_lag_max_ms']:.1f} ms")
    print(f"GUI-thread CPU in one probe interval (10 ms + its lag), at most: {r['cpu_max_ms']:.1f} ms while measuring, "
          f"{r['end_cpu_max_ms']:.1f} ms at the end ({r['history_runs']} runs in the history)")
    print("longest lags (ms) with the GUI thread's CPU ms in them: while measuring "
          + ", ".join(f"{lag:.0f} ({cpu:.0f} CPU)" for lag, cpu in r["worst_lags"]) + "; at the end "
          + ", ".join(f"{lag:.0f} ({cpu:.0f} CPU)" for lag, cpu in r["worst_end_lags"]))
    print(f"chart frame rate: {r['paints_per_s']:.1f} paints/s, {r['frames_per_s']:.1f} redraws/s, "
          f"{r['set_data_per_s']:.0f} setData/s; the worker sends {r['batches_per_s']:.1f} latency batches/s")
    if "refresh_ms" in r and "paint_ms" in r:
        (rm, rp, rx), (pm, pp, px) = r["refresh_ms"], r["paint_ms"]
        print(f"frame cost: refresh mean {rm:.1f} ms (p99 {rp:.1f}, max {rx:.0f}), paint mean {pm:.1f} ms "
              f"(p99 {pp:.1f}, max {px:.0f}) -> about {1000 / (rm + pm):.0f} frames/s of capacity")
    print(f"RSS: {r['rss_start_mb']:.0f} MB -> {r['rss_end_mb']:.0f} MB ({r['rss_growth_mb']:+.1f} MB over "
          f"{r['seconds'] / 60:.1f} min; {r['rss_settled_growth_mb']:+.1f} MB from the lowest point after the first "
          f"{r['settle_s']:.0f} s, over the last "
          f"{r['rss_settled_span_s']:.0f} s); trace (s, MB) {r['rss_trace_mb']}")
    if r.get("malloc_used_growth_mb") is not None:
        used, free = r["malloc_used_growth_mb"], r["malloc_free_growth_mb"]
        print(f"where that growth went: {used:+.1f} MB allocated and in use (malloc), {free:+.1f} MB freed but "
              f"held by malloc (fragmentation), {r['rss_settled_growth_mb'] - used - free:+.1f} MB outside malloc "
              f"(mapped files, thread stacks, the GPU-less raster buffers; or malloc'd memory not yet touched)")


if __name__ == "__main__":
    raise SystemExit(main())
