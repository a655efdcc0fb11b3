"""The compare / report / history modules are headless: importing them loads no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = ("app.report.comparison", "app.record.history", "app.report.html", "app.report.svg",
           "app.report.bundle", "app.run.sustained", "app.cli.cmd_compare", "app.cli.cmd_history")


def test_no_qt_imported():
    code = (f"import sys\nfor m in {MODULES!r}: __import__(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))\n"
            "assert not bad, bad\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
