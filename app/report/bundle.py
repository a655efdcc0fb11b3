"""A share bundle: one zip with the run files, the HTML report, the CSV and optionally a PNG.

Layout inside the zip:

    report.html        the self-contained comparison report (app.report.html)
    comparison.csv     the comparison table (app.report.comparison.to_csv)
    summary.txt        the text table, the recommendation and the warnings
    comparison.png     only when a PNG path is given (the desktop app renders it)
    runs/<name>.json   every run record, as given

The zip is written to a temporary file next to the target and renamed over
it, so a crash or a full disk never leaves a half-written bundle.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from app.common.errors import UserError
from app.record import io as rec
from app.record.schema import RunRecord
from app.report.comparison import (
    comparability_warnings,
    compare_rows,
    format_table,
    recommendation_line,
    to_csv,
)
from app.report.html import render_report

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _arcname(name: str, taken: set[str]) -> str:
    """A file-name-safe, unique member name under runs/ for a run."""
    stem = _UNSAFE.sub("_", Path(name).name).strip("._") or "run"
    stem = stem[:-5] if stem.lower().endswith(".json") else stem
    candidate, n = f"runs/{stem[:80]}.json", 2
    while candidate in taken:
        candidate, n = f"runs/{stem[:80]}-{n}.json", n + 1
    taken.add(candidate)
    return candidate


def _summary(records: list[RunRecord], names: list[str], baseline: int) -> str:
    lines = [format_table(compare_rows(records, names, baseline)), "",
             recommendation_line(records, names, baseline)]
    lines += [f"WARNING: {w}" for w in comparability_warnings(records, names, baseline)]
    return "\n".join(lines) + "\n"


def bundle_members(records: list[RunRecord], names: list[str], baseline: int = 0, *,
                   run_files: list[str | os.PathLike | None] | None = None,
                   theme: str = "auto") -> dict[str, bytes]:
    """Member name -> bytes. A run given by file is copied byte for byte, else serialised."""
    members = {
        "report.html": render_report(records, names, baseline, theme=theme).encode("utf-8"),
        "comparison.csv": to_csv(compare_rows(records, names, baseline)).encode("utf-8"),
        "summary.txt": _summary(records, names, baseline).encode("utf-8"),
    }
    taken: set[str] = set()
    files = run_files or [None] * len(records)
    for name, r, path in zip(names, records, files, strict=True):
        data = Path(path).read_bytes() if path else (rec.dumps(r) + "\n").encode("utf-8")
        members[_arcname(name, taken)] = data
    return members


def write_bundle(path: str | os.PathLike, records: list[RunRecord], names: list[str], baseline: int = 0, *,
                 run_files: list[str | os.PathLike | None] | None = None, png: str | os.PathLike | None = None,
                 theme: str = "auto") -> Path:
    """Write the bundle zip atomically and return its path."""
    out = Path(path)
    if out.is_dir() or not out.parent.is_dir():
        raise UserError(f"--bundle {out}: not a file in an existing folder.", hint="Give a path like share.zip.")
    members = bundle_members(records, names, baseline, run_files=run_files, theme=theme)
    if png is not None:
        try:
            members["comparison.png"] = Path(png).read_bytes()
        except OSError as e:
            raise UserError(f"cannot read the PNG {png} ({e.strerror}).") from None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for member, data in members.items():
            z.writestr(member, data)
    rec.atomic_write(out, buf.getvalue(), "--bundle")  # an OutputError (one line) if it cannot be written
    return out
