"""House rules checked on the source: typed dispatch, named exit statuses, error kinds from the enum."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _lines(files, pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [f"{f.relative_to(APP.parent)}:{n}: {line.strip()}"
            for f in files for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if rx.search(line)]


def test_no_dispatch_by_building_method_names():
    # getattr(obj, f"set_{kind}") hides which methods are called; dispatch on message classes instead.
    assert not _lines(APP.rglob("*.py"), r"getattr\(\s*[^,()]+,\s*f[\"']")


def test_cli_returns_exit_statuses_not_numbers():
    files = [*(APP / "cli").rglob("*.py"), APP / "gui.py"]
    assert not _lines(files, r"\breturn\s+\(?\s*(0|1|2|130)\b")
    assert not _lines(files, r"\bexit_code\s*=\s*\d|\.exit\(\s*\d")


def test_error_kinds_are_not_spelled_out():
    # Compare with ErrorKind members (app.common.errors), never with their string values.
    values = "UserError|ModelError|TargetError|InputSpecError|MemoryError|WorkerCrashed|Timeout|internal"
    # errors.py defines them; upgrade.py reads the version-1 spelling "internal:<line>" of old records.
    files = [f for f in APP.rglob("*.py") if f not in (APP / "common" / "errors.py", APP / "record" / "upgrade.py")]
    assert not _lines(files, rf"[\"']({values})[\"':]")
