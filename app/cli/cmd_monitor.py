"""`aipcprof monitor`: live telemetry without a model (a small nvitop).

One refreshed table per --interval (redrawn in place on a terminal, appended
otherwise), or with --json one JSON object per line. A value that cannot be
read prints as "N/A (reason)", never as 0.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time

from app.common.errors import ExitStatus, UserError

_CORE = re.compile(r"^(?P<device>.+)/util_core(?P<n>\d+)$")
_CLEAR = "\x1b[H\x1b[2J"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=float, default=1.0, metavar="S",
                        help="seconds between refreshes (default 1; probes sample at their own rates)")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="stop after S seconds (default: until Ctrl-C)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line instead of a table")
    parser.add_argument("--all", action="store_true", help="list every per-core row instead of a summary")


def format_value(value: float, unit: str) -> str:
    """SI value -> short human text (12.3 %, 4.56 W, 2.45 GHz, 1.2 GiB, 45.0 °C)."""
    if unit == "Hz":
        return f"{value / 1e9:.2f} GHz" if value >= 1e9 else f"{value / 1e6:.0f} MHz"
    if unit == "bytes":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    if unit == "degC":
        return f"{value:.1f} °C"
    if unit == "bool":
        return "yes" if value else "no"
    if unit == "J":
        return f"{value / 1e3:.2f} kJ" if value >= 1e4 else f"{value:.2f} J"
    if unit == "W":
        return f"{value:.2f} W"
    return f"{value:.1f} {unit}".rstrip()


def format_reading(value: float, unit: str, status: str, reason: str) -> str:
    if status == "ok" and math.isfinite(value):
        return format_value(value, unit)
    why = reason or status
    return f"N/A ({why})" if status == "ok" or why == status else f"N/A ({status}: {why})"


def table_rows(latest: dict, show_cores: bool) -> list[tuple[str, str]]:
    """(key, text) rows; per-core utilisation collapses into one summary row unless asked."""
    rows, cores = [], {}
    for key, s in sorted(latest.items()):
        m = _CORE.match(key)
        if m and not show_cores:
            if s.status == "ok" and math.isfinite(s.value):
                cores.setdefault(m["device"], []).append((s.value, int(m["n"])))
            continue
        rows.append((key, format_reading(s.value, s.unit, s.status, s.reason)))
    for device, values in cores.items():
        top, n = max(values)
        mean = sum(v for v, _ in values) / len(values)
        rows.append((f"{device}/util_cores", f"max {top:.1f} % (core {n}), mean {mean:.1f} % over {len(values)}"))
    return sorted(rows)


def render_table(latest: dict, elapsed_s: float, show_cores: bool) -> str:
    rows = table_rows(latest, show_cores)
    width = max((len(k) for k, _ in rows), default=10)
    lines = [f"aipcprof monitor  t={elapsed_s:7.1f} s  ({len(rows)} readings, Ctrl-C to stop)"]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def render_json(latest: dict, elapsed_s: float) -> str:
    readings = {k: {"value": s.value if math.isfinite(s.value) else None, "unit": s.unit, "status": s.status,
                    "reason": s.reason, "source": s.source, "t_ns": s.t_ns} for k, s in sorted(latest.items())}
    return json.dumps({"t_s": round(elapsed_s, 3), "readings": readings}, allow_nan=False)


def _check(args: argparse.Namespace) -> None:
    interval = args.interval
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not (math.isfinite(interval) and interval > 0):
        raise UserError(f"--interval must be a positive number of seconds (got {args.interval}).",
                        hint="For example --interval 0.5.")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration >= 0):
        raise UserError(f"--duration must be zero or a positive number of seconds (got {args.duration}).")


def run(args: argparse.Namespace, *, sampler=None, out=None) -> ExitStatus:
    _check(args)
    from app.probes.sampler import Sampler

    out = out or sys.stdout
    sampler = sampler or Sampler()
    redraw = not args.json and out.isatty()
    latest: dict = {}
    start = time.perf_counter()
    next_print = start + args.interval
    end = None if args.duration is None else start + args.duration
    sampler.start()
    try:
        while True:
            wake = next_print if end is None else min(next_print, end)
            time.sleep(max(0.0, wake - time.perf_counter()))
            for s in sampler.drain():
                latest[s.key] = s
            now = time.perf_counter()
            text = render_json(latest, now - start) if args.json else render_table(latest, now - start, args.all)
            out.write((_CLEAR if redraw else "") + text + ("\n" if args.json or redraw else "\n\n"))
            out.flush()
            if end is not None and now >= end - 1e-3:
                return ExitStatus.OK
            next_print += args.interval
    except KeyboardInterrupt:
        return ExitStatus.OK
    finally:
        sampler.stop()
