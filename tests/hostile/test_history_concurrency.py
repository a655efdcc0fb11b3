"""Many processes writing one history at once lose nothing (#7).

Before the SQLite index, 40 parallel renames kept 3 names: each process read the JSON index, changed
its entry and wrote the whole file back over the others' changes. Here 40 processes are started, wait
at a barrier, then all write at once: each renames a different run, or imports a different run file.
Every name and every run must be in the index (what the history lists) and in the record files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.record.history import RunHistory
from tests.report.conftest import make_record, record_json

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 40

# One writer: get ready, wait for "go", do one operation, print the run id it touched.
WRITER = """
import sys, time
from pathlib import Path
from app.record.history import RunHistory

root, ready, go, op, arg, name = sys.argv[1:7]
history = RunHistory(root)
Path(ready).touch()
deadline = time.monotonic() + 120
while not Path(go).exists() and time.monotonic() < deadline:
    time.sleep(0.005)
entry = history.rename(arg, name) if op == "rename" else history.import_file(arg)
print(entry["id"] if isinstance(entry, dict) else entry.id)
"""


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(tmp_path / "data"))  # never the user's history
    return tmp_path / "data" / "runs"


def _field(entry, key: str):
    """An index entry's field (entries are dicts today; typed entries expose attributes)."""
    return entry[key] if isinstance(entry, dict) else getattr(entry, key)


def _all_at_once(tmp_path: Path, root: Path, jobs: list[tuple[str, str, str]]) -> list[str]:
    """Start one writer process per (op, arg, name), release them together, return the ids they printed."""
    go = tmp_path / "go"
    procs, ready = [], []
    for i, (op, arg, name) in enumerate(jobs):
        ready.append(tmp_path / f"ready{i}")
        procs.append(subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(ready[-1]), str(go), op, arg, name],
                                      cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        deadline = time.monotonic() + 180
        while not all(r.exists() for r in ready) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), [p.communicate()[1] for p in procs if p.poll() is not None]
            time.sleep(0.02)
        go.touch()  # every writer starts now
        outputs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    return [out.strip() for out, _ in outputs]


def test_forty_parallel_renames_all_land(tmp_path, root):
    history = RunHistory(root)
    ids = [_field(history.add(make_record(seed=i, n=20, created=f"2026-01-02T03:{i:02d}:00+00:00")), "id")
           for i in range(WRITERS)]
    assert len(set(ids)) == WRITERS
    names = {run_id: f"renamed by writer {i}" for i, run_id in enumerate(ids)}
    touched = _all_at_once(tmp_path, root, [("rename", run_id, name) for run_id, name in names.items()])
    assert sorted(touched) == sorted(ids)

    listed = {_field(e, "id"): _field(e, "name") for e in RunHistory(root).list()}
    assert listed == names  # the index kept every rename: none overwritten by another writer
    for run_id, name in names.items():
        assert RunHistory(root).get(run_id).history.name == name  # and so did each record file
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_forty_parallel_imports_never_lose_an_entry(tmp_path, root):
    files = []
    for i in range(WRITERS):
        path = tmp_path / f"incoming{i}.json"
        path.write_text(json.dumps(record_json(seed=100 + i, n=20, name=f"model{i}.onnx")), encoding="utf-8")
        files.append(path)
    touched = _all_at_once(tmp_path, root, [("import", str(f), "") for f in files])
    assert len(set(touched)) == WRITERS  # forty runs, forty ids: no two writers took the same one

    history = RunHistory(root)
    entries = history.list()
    assert {_field(e, "id") for e in entries} == set(touched)
    assert sorted(_field(e, "model") for e in entries) == sorted(f"model{i}.onnx" for i in range(WRITERS))
    assert {p.stem for p in root.glob("*.json")} == set(touched)
    assert history.unreadable() == []
