"""`aipcprof ops RUN.json`: the operator profile of a run recorded with --op-profile."""

from __future__ import annotations

import argparse

from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe
from app.record.ops import OpBy


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_file", metavar="RUN.json", help="a run record written by `aipcprof run --op-profile --out`")
    p.add_argument("--by", choices=[b.value for b in OpBy], default=OpBy.NODE.value,
                   help="one row per node (default), op type or device")
    p.add_argument("--top", type=int, default=20, metavar="N", help="the N slowest rows (default 20; 0 = all)")
    p.add_argument("--csv", metavar="OUT.csv", help="also write the rows as CSV (seconds, shares 0-1)")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.record import io as rec
    from app.report import ops_text

    if args.top < 0:
        raise UserError(f"--top {args.top}: must be 0 (all) or more.")
    if args.csv is not None:
        rec.check_writable(args.csv, "--csv")
    record = rec.load(args.run_file)
    p = record.op_profile
    if p is None:
        raise UserError(f"{args.run_file}: this run has no operator profile.",
                        hint="Record one with `aipcprof run MODEL --op-profile --out RUN.json`.")
    by, top = OpBy(args.by), args.top or None
    print(terminal_safe(f"{record.model.display_name} on {record.target_id}"))
    if not p.available:
        print(terminal_safe(f"operator profile: unavailable ({p.reason or 'no reason given'})"))
        return ExitStatus.RUN_FAILED
    print(terminal_safe(f"operator profile ({p.source.value if p.source else '?'}, {p.runs_profiled} inferences): "
                        f"{ops_text.gap_line(p)}"))
    for line in ops_text.table(p, by, top):
        print(terminal_safe(line))
    if by is OpBy.TYPE:
        for line in ops_text.inside_lines(p):
            print(terminal_safe(line))
    if p.reason:
        print(terminal_safe(f"not broken down: {p.reason}"))
    for note in p.notes:
        print(terminal_safe(f"note: {note}"))
    if args.csv is not None:
        rec.write_atomic(args.csv, ops_text.to_csv(p, by, top), "--csv")
        print(terminal_safe(f"csv: {args.csv}"))
    return ExitStatus.OK
