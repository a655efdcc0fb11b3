"""`aipcprof compare RUN.json ...`: a side-by-side table, optional CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN.json", help="run records written by `aipcprof run --out`")
    p.add_argument("--baseline", type=int, default=0, metavar="N", help="index of the baseline run (default 0)")
    p.add_argument("--csv", metavar="OUT.csv", help="also write the table as CSV")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")


def run(args: argparse.Namespace) -> int:
    from app.core import record as rec
    from app.core.comparison import comparability_warnings, compare_rows, format_table, to_csv

    records = [rec.load(p) for p in args.runs]
    names = [Path(p).name for p in args.runs]
    rows = compare_rows(records, names, args.baseline)
    warnings = comparability_warnings(records, names)
    if args.csv:
        rec.write_atomic(args.csv, to_csv(rows))
    if args.json:
        print(json.dumps({"rows": rows, "warnings": warnings}, indent=1))
    else:
        print(format_table(rows))
        for w in warnings:
            print(f"WARNING: {w}")
    return 0
