"""`aipcprof compare RUN...`: a side-by-side table, what differs, a recommendation; CSV/HTML/SVG/PNG/zip out.

RUN is a run record file or the id of a run in the history (`aipcprof history list`).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.common.errors import ExitStatus, UserError
from app.common.fmt import NA, fmt_value
from app.common.text import terminal_safe
from app.report.palette import THEMES

if TYPE_CHECKING:
    from app.record.schema import RunRecord
    from app.report.comparison import ComparisonRow


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN.json",
                   help="run records written by `aipcprof run --out`, or history ids")
    p.add_argument("--baseline", type=int, default=0, metavar="N", help="index of the baseline run (default 0)")
    p.add_argument("--csv", metavar="OUT.csv", help="also write the table as CSV")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--svg", metavar="OUT.svg", help="write the charts (latency CDF, bars) as one SVG")
    p.add_argument("--png", metavar="OUT.png", help="write the comparison chart as PNG (needs the desktop app)")
    p.add_argument("--bundle", metavar="OUT.zip", help="write a zip with the runs, report, CSV (and the PNG)")
    p.add_argument("--theme", choices=THEMES, default="auto",
                   help="colours of the HTML/SVG/PNG: auto follows the viewer's light/dark setting")
    p.add_argument("--title", help="title of the HTML report (default: model and hosts)")
    p.add_argument("--json", action="store_true", help="print rows, differences and recommendation as JSON")


def load_runs(args_runs: list[str]) -> tuple[list[RunRecord], list[str], list[Path]]:
    """(records, display names, files) for run files or history ids, in the order given."""
    from app.record import io as rec
    from app.record.history import RunHistory, default_name

    records, names, files = [], [], []
    history = None
    for arg in args_runs:
        path = Path(arg)
        from_history = not path.exists() and not arg.lower().endswith(".json")
        if from_history:
            history = history or RunHistory()
            try:
                path = history.path_of(arg)
            except UserError:
                raise UserError(f"{arg}: no such run file, nor a run id in the history.",
                                hint="Pass a run JSON or an id from `aipcprof history list`.") from None
        r = rec.load(path)
        records.append(r)
        names.append((r.history.name if r.history else "") or (default_name(r) if from_history else path.name))
        files.append(path)
    if len(set(names)) < len(names):  # same file name from two folders: keep them apart
        names = [f"{i}: {n}" for i, n in enumerate(names)]
    return records, names, files


def _outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(flag, path) of every output asked for; `--csv ""` is asked for (and refused), not skipped."""
    return [(flag, dest) for flag, dest in (("--csv", args.csv), ("--html", args.html), ("--svg", args.svg),
                                            ("--png", args.png), ("--bundle", args.bundle)) if dest is not None]


def check_outputs(outputs: list[tuple[str, str]], inputs: list[Path]) -> None:
    """Every output path writable, none of them an input run file or another output (before writing any)."""
    from app.record import io as rec

    seen: dict[str, str] = {}
    for flag, dest in outputs:
        rec.check_writable(dest, flag)
        key = _identity(Path(dest))
        if key is None:  # /dev/null, a FIFO: written in place, never an input (inputs are regular files)
            continue
        for source in inputs:
            if key == _identity(source):
                raise UserError(f"{flag} {dest}: is the input run file {source}; refusing to overwrite it.",
                                hint="Write the output to another file.")
        if key in seen:
            raise UserError(f"{flag} {dest}: {seen[key]} writes the same file.", hint="Give each output its own file.")
        seen[key] = flag


def _identity(p: Path) -> str | None:
    """The file a path names, whatever the spelling (relative, `..`, symlinks, hard links); None for a
    device or FIFO."""
    try:
        st = os.stat(p)
    except OSError:
        return os.path.normcase(os.path.realpath(p))
    return f"inode:{st.st_dev}:{st.st_ino}" if stat.S_ISREG(st.st_mode) else None


def render_png(records: list[RunRecord], names: list[str], baseline: int, path: str | os.PathLike,
               theme: str) -> None:
    """The PNG comes from the desktop components (Qt); imported only when asked for."""
    try:
        from app.views.export import render_comparison_png
    except ImportError as e:
        if e.name and not e.name.startswith(("app.views", "PySide6", "pyqtgraph", "shiboken6")):
            raise
        raise UserError("PNG export needs the desktop components.",
                        hint="Use --svg or --html, or export the PNG from the desktop app.") from None
    render_comparison_png(records, names, baseline, str(path), theme)


def _write_outputs(args: argparse.Namespace, records: list[RunRecord], names: list[str], files: list[Path],
                   rows: list[ComparisonRow]) -> dict[str, str]:
    from app.record import io as rec
    from app.report.comparison import to_csv
    from app.report.genai_compare import genai_csv, genai_rows

    written: dict[str, str] = {}
    check_outputs(_outputs(args), files)  # all paths checked before anything is written
    if args.csv is not None:
        written["csv"] = str(rec.write_atomic(args.csv, to_csv(rows), "--csv"))
        genai = genai_rows(records, names)
        if genai:  # generative runs: one row per run and prompt length, in a file of its own beside it
            side = Path(args.csv).with_suffix(".genai.csv")
            written["csv (generative, per prompt length)"] = str(rec.write_atomic(side, genai_csv(genai), "--csv"))
    if args.html is not None:
        from app.report.html import render_report
        html = render_report(records, names, args.baseline, theme=args.theme, title=args.title)
        written["html"] = str(rec.write_atomic(args.html, html, "--html"))
    if args.svg is not None:
        from app.report.svg import comparison_svg
        svg = comparison_svg(records, names, rows, theme=args.theme, baseline=args.baseline)
        written["svg"] = str(rec.write_atomic(args.svg, svg, "--svg"))
    if args.png is not None:
        render_png(records, names, args.baseline, args.png, args.theme)
        written["png"] = args.png
    if args.bundle is not None:
        written["bundle"] = str(_bundle(args, records, names, files))
    return written


def _bundle(args: argparse.Namespace, records: list[RunRecord], names: list[str], files: list[Path]) -> Path:
    """The zip; it carries the PNG only when --png made one (Qt is never started implicitly)."""
    from app.report.bundle import write_bundle

    return write_bundle(args.bundle, records, names, args.baseline, run_files=files, png=args.png or None,
                        theme=args.theme)


def _short(v: object, limit: int = 40) -> str:
    s = fmt_value(v, na=NA)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def run(args: argparse.Namespace) -> ExitStatus:
    from app.record.typed import to_json
    from app.report.comparison import (
        comparability_warnings,
        compare_rows,
        differences,
        format_table,
        power_lines,
        recommendation,
        recommendation_line,
    )
    from app.report.genai_compare import format_genai_table, genai_rows
    from app.report.ops_text import compare_json, compare_lines

    records, names, files = load_runs(args.runs)
    rows = compare_rows(records, names, args.baseline)
    warnings = comparability_warnings(records, names, args.baseline)
    diffs = differences(records)
    written = _write_outputs(args, records, names, files, rows)
    if args.json:
        best = recommendation(records, names, args.baseline)
        print(json.dumps(to_json({"rows": [asdict(r) for r in rows], "warnings": warnings,
                                  "differences": [asdict(d) for d in diffs],
                                  "recommendation": asdict(best) if best else None, "written": written,
                                  "op_types": compare_json(records, names, args.baseline),
                                  "genai": [asdict(g) for g in genai_rows(records, names)]}),
                         indent=1, allow_nan=False))
        return ExitStatus.OK
    print(format_table(rows))  # record text is untrusted: every line below goes through terminal_safe
    print(terminal_safe(recommendation_line(records, names, args.baseline)))
    for line in power_lines(rows):
        print(terminal_safe(line))
    for line in compare_lines(records, names, args.baseline):  # --op-profile runs: op types that changed most
        print(terminal_safe(line))
    for line in format_genai_table(genai_rows(records, names)):  # generative runs: per prompt length
        print(line)
    for d in diffs:
        values = ", ".join(f"{n}={_short(v)}" for n, v in zip(names, d.values, strict=True))
        print(terminal_safe(f"DIFFERS {d.section}.{d.key}: {values}"))
    for w in warnings:
        print(terminal_safe(f"WARNING: {w}"))
    for kind, path in written.items():
        print(terminal_safe(f"{kind}: {path}"))
    return ExitStatus.OK
