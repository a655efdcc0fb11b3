"""`aipcprof sweep MODEL --target ID --dim batch=1,2,4,8`: run a grid of runs and find the best point.

Every point is a whole run in the worker (app.run.sweep); the sweep record
(app.record.sweep) is written atomically, then the table, the best points and,
on request, the CSV and the charts (SVG). Bad input is one line, exit 2, before
anything runs. A failed point is kept with its error and the sweep goes on (exit
1 at the end); Ctrl-C or SIGTERM stops the point in flight and keeps the finished
ones (exit 130 / 143).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.cli.cmd_run import _StopSignal, _Terminated
from app.common.errors import ExitStatus
from app.common.text import terminal_safe
from app.record.schema import RunMode
from app.record.sweep import PointStatus, SweepRecord
from app.run.spec_builder import (
    CLI_LABELS,
    DEFAULTS,
    RunOptions,
    parse_inputs,
    parse_key_values,
    parse_shapes,
)
from app.run.sweep_plan import MAX_POINTS


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = DEFAULTS
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file")
    p.add_argument("--target", "-t", action="append", metavar="ID",
                   help="target id from `aipcprof devices`; repeat for one line per target (default ort/cpu)")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N,N,..", help="sweep a symbolic dim, e.g. batch=1,2,4,8")
    p.add_argument("--requests", metavar="N,N,..", help="sweep the requests in flight (with --mode throughput)")
    p.add_argument("--threads", metavar="N,N,..", help="sweep the intra-op threads")
    p.add_argument("--mode", choices=[m.value for m in RunMode], default=d.mode.value,
                   help="latency: one request at a time (default); throughput: several in flight")
    p.add_argument("--warmup", type=int, default=d.warmup, help=f"warm-up inferences per point (default {d.warmup})")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--iterations", "-n", type=int, default=d.iterations,
                       help=f"measured inferences per point (default {d.iterations})")
    group.add_argument("--duration", "-d", type=float, metavar="S", help="measure each point for S seconds instead")
    p.add_argument("--shape", action="append", metavar="INPUT=d0,d1,..", help="an input's whole shape (every point)")
    p.add_argument("--input", action="append", metavar="NAME=FILE|VALUE", help="real data for an input")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seed for synthetic inputs (default {d.seed})")
    p.add_argument("--ep-option", action="append", metavar="KEY=VALUE", help="execution-provider / OpenVINO option")
    p.add_argument("--strict", action="store_true", help="fail a point instead of falling back to the CPU")
    p.add_argument("--io-binding", action="store_true", help="bind inputs once and preallocate outputs")
    p.add_argument("--no-output-check", action="store_false", dest="check_outputs", default=d.check_outputs,
                   help="skip each point's comparison with ORT CPU")
    p.add_argument("--cache-dir", default=d.cache_dir, help="folder for EP context / compiled model cache")
    p.add_argument("--timeout", type=float, default=d.stall_timeout_s, metavar="S",
                   help=f"stop a point's worker after S seconds without progress (default {d.stall_timeout_s:g})")
    p.add_argument("--no-telemetry", action="store_true", help="do not sample utilisation/power/temperature")
    p.add_argument("--yes", "-y", action="store_true", help=f"run a grid of more than {MAX_POINTS} points")
    p.add_argument("--out", "-o", metavar="SWEEP.json",
                   help="write the sweep record here (default: the sweeps folder beside the run history)")
    p.add_argument("--csv", metavar="FILE.csv", help="also write the table as CSV")
    p.add_argument("--svg", metavar="FILE.svg", help="also write the charts as SVG")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def options_from_args(args: argparse.Namespace) -> RunOptions:
    by_duration = args.duration is not None
    return RunOptions(
        warmup=args.warmup, iterations=args.iterations, by_duration=by_duration,
        duration_s=args.duration if by_duration else DEFAULTS.duration_s, shapes=parse_shapes(args.shape),
        inputs=parse_inputs(args.input), seed=args.seed, ep_options=parse_key_values(args.ep_option, "--ep-option"),
        strict=args.strict, io_binding=args.io_binding, check_outputs=args.check_outputs, cache_dir=args.cache_dir,
        stall_timeout_s=args.timeout, mode=RunMode(args.mode))


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.registry import find_target
    from app.model.model_file import check_model_file
    from app.record import io as rec
    from app.record.sweep import default_path
    from app.run.sweep import SweepRun
    from app.run.sweep_plan import make_plan, parse_axes

    options = options_from_args(args)
    options.validate(CLI_LABELS)
    check_model_file(args.model)
    axes = parse_axes(args.dim, args.requests, args.threads)
    plan = make_plan(args.model, args.target or ["ort/cpu"], axes, options, yes=args.yes)
    targets = {t: find_target(t) for t in plan.targets}  # unknown or not ready: one line listing the valid ids
    out = Path(args.out) if args.out else default_path(args.model)
    if not args.out:
        out.parent.mkdir(parents=True, exist_ok=True)
    for path, option in ((out, "--out"), (args.csv, "--csv"), (args.svg, "--svg")):
        if path is not None:
            rec.check_writable(path, option)
    from app.cli.cmd_run import _start_sampler

    sampler = None if args.no_telemetry else _start_sampler()
    sweep = SweepRun(plan, sampler=sampler, targets=targets)
    progress = None if args.quiet else _Progress(len(plan.points), plan.axes)
    stop = _StopSignal()
    with stop:
        try:
            try:
                with stop.armed():
                    record = sweep.wait(on_event=progress)
            except (KeyboardInterrupt, _Terminated) as e:
                how = "SIGTERM" if isinstance(e, _Terminated) else "Ctrl-C"
                print(f"\nstopping ({how}): keeping the finished points...", file=sys.stderr)
                sweep.cancel()
                record = sweep.wait(on_event=progress)
        finally:
            sweep.close()
            if sampler is not None:
                sampler.stop()
        return _report(record, args, out, ExitStatus.TERMINATED if stop.received else ExitStatus.CANCELLED)


def _report(record: SweepRecord, args: argparse.Namespace, out: Path, cancelled: ExitStatus) -> ExitStatus:
    from app.record.io import write_atomic
    from app.report.sweep import summary_lines, table, to_csv
    from app.report.sweep_chart import sweep_svg

    saved = _save(record, out)
    headers, rows = table(record)
    print(format_table(headers, rows))
    for line in summary_lines(record):
        print(terminal_safe(line))
    if saved is not None:
        print(f"sweep record: {terminal_safe(saved)}")
    if args.csv:
        print(f"CSV: {terminal_safe(write_atomic(args.csv, to_csv(record), '--csv'))}")
    if args.svg:
        print(f"charts: {terminal_safe(write_atomic(args.svg, sweep_svg(record), '--svg'))}")
    if record.of_status(PointStatus.NOT_RUN, PointStatus.CANCELLED):
        return cancelled
    if saved != out:
        return ExitStatus.RUN_FAILED
    return ExitStatus.RUN_FAILED if record.of_status(PointStatus.FAILED) else ExitStatus.OK


def _save(record: SweepRecord, out: Path) -> Path | None:
    """Write the sweep to `out`; if that fails now the points are measured, keep it in the temp folder and say so."""
    import tempfile

    from app.common.errors import UserError
    from app.record import sweep as sweep_io

    try:
        return sweep_io.save(record, out)
    except UserError as e:
        print(f"aipcprof: error: {terminal_safe(e)}", file=sys.stderr)
    where = Path(tempfile.gettempdir()) / f"aipcprof-unsaved-{time.strftime('%Y%m%d-%H%M%S')}-sweep.json"
    try:
        sweep_io.save(record, where)
    except UserError:
        print("aipcprof: the sweep record could not be saved anywhere.", file=sys.stderr)
        return None
    print(f"aipcprof: the sweep record was saved to {terminal_safe(where)} instead.", file=sys.stderr)
    return where


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    cells = [[terminal_safe(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


class _Progress:
    """One line per point on stderr: '[3/8] ort/cpu batch=4: completed, p50 1.234 ms'."""

    def __init__(self, total: int, axes: list) -> None:
        self.total = total
        self.axes = axes

    def __call__(self, ev) -> None:
        from app.common.fmt import fmt_ms
        from app.report.sweep import status_text
        from app.run.sweep import PointEnded, PointStarted

        match ev:
            case PointStarted():
                print(f"[{ev.point.index + 1}/{self.total}] {terminal_safe(ev.point.target_id)} "
                      f"{ev.point.setting(self.axes)} ...", file=sys.stderr, flush=True)
            case PointEnded():
                p = ev.point
                lat = f", p50 {fmt_ms(p.run.latency.p50)}" if p.run is not None and p.run.measured else ""
                print(f"[{p.index + 1}/{self.total}] {terminal_safe(p.target_id)} {p.setting(self.axes)}: "
                      f"{terminal_safe(status_text(p))}{lat}", file=sys.stderr, flush=True)
