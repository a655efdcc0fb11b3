"""The app model is Qt-free: importing app.state (and the run-spec builder) loads no PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_app_state_loads_no_qt():
    code = ("import sys\nimport app.state, app.state.app_state, app.run.spec_builder\n"
            "from app.state import AppState\nAppState()\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))\n"
            "assert not bad, bad\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
