"""Shared fixtures of the hostile-input suite: the real CLI in a subprocess, a private history, records.

Every test here feeds the app something a hostile or broken file could hold and checks the
promise of docs/security.md: one clear line (exit 2 before a run, exit 1 after it with the
record kept), never a traceback, a hang or a file clobbered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.record import io as rec
from app.record.schema import RunRecord
from tests import model_zoo

ROOT = Path(__file__).resolve().parents[2]
V1_RECORD = ROOT / "tests" / "data" / "records" / "v1" / "completed_ort_cpu.json"


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def one_error_line(self) -> str:
        """The single stderr line of a refused input (and nothing on stdout)."""
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got:\n{self.err}"
        assert "Traceback" not in self.err and self.out == "", (self.out, self.err)
        return lines[0]


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private history/data folder for this test (in-process and subprocess runs)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def aipcprof(data_dir):
    """Run `python -m app ARGS` as a user would; returns a Result."""

    def run(*args: str, timeout: float = 180, **popen) -> Result:
        env = {**os.environ, "AIPCPROF_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
        p = subprocess.run([sys.executable, "-m", "app", *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                           text=True, errors="replace", timeout=timeout, **popen)
        return Result(p.returncode, p.stdout, p.stderr)

    return run


@pytest.fixture
def add_model(tmp_path) -> Path:
    """y = x + 1: the quickest real run."""
    return model_zoo.save(model_zoo.single_add(), tmp_path, "add")


@pytest.fixture
def record() -> RunRecord:
    """A real record (written by version 0.1.0 on ORT CPU, upgraded on load)."""
    return rec.load(V1_RECORD)


@pytest.fixture
def record_file(tmp_path, record) -> Path:
    path = tmp_path / "a.json"
    rec.save(record, path)
    return path
