"""The history's SQLite index: shared by processes, migrated from index.json, rebuilt when broken."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.common.errors import UserError
from app.record import history as hist
from app.record import io as rec
from app.record.history import (
    BROKEN_SUFFIX,
    INDEX_FILE,
    LEGACY_INDEX_FILE,
    MIGRATED_SUFFIX,
    HistoryEntry,
    RunHistory,
    UnreadableRun,
)
from app.record.schema import HistoryInfo, RunRecord, RunStatus

ROOT = Path(__file__).resolve().parents[2]
RUNS_PER_WRITER = 50

# A writer process: waits at the barrier, then adds its runs one by one. Every run of both
# writers gets the same base id (same start time and target, and a fingerprint whose first
# six hex digits are forced to 0), so each id is only told apart by the -N suffix the
# writer picks inside its transaction: the worst case for two processes choosing ids.
WRITER = """
import json, sys, time
from pathlib import Path
from app.record import history as hist
from app.record import io as rec

root, runs_file, ready, go = map(Path, sys.argv[1:5])
real = hist.fingerprint
hist.fingerprint = lambda record: "000000" + real(record)[6:]
records = [rec.parse(r, str(runs_file)) for r in json.loads(runs_file.read_text())]
h = hist.RunHistory(root)
ready.touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
print(json.dumps([h.add(r).id for r in records]))
"""


def _records(record_factory, n: int, first_seed: int = 0) -> list[RunRecord]:
    return [record_factory("ort/cpu", 0.001 * (1 + i % 7), seed=first_seed + i, n=20) for i in range(n)]


def test_two_writer_processes_share_one_history(data_dir, tmp_path, record_factory):
    root = data_dir / "runs"
    procs = []
    for w in range(2):
        runs_file = tmp_path / f"runs{w}.json"
        runs_file.write_text(json.dumps([r.to_json() for r in _records(record_factory, RUNS_PER_WRITER,
                                                                         first_seed=1000 * w)]))
        procs.append(subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), str(runs_file), str(tmp_path / f"ready{w}"), str(tmp_path / "go")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{w}").exists() for w in range(2)) and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()  # both start adding at once
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    per_writer = [json.loads(out) for out, _ in outputs]
    assert [len(ids) for ids in per_writer] == [RUNS_PER_WRITER, RUNS_PER_WRITER]
    taken = per_writer[0] + per_writer[1]
    assert len(set(taken)) == 2 * RUNS_PER_WRITER  # no id handed out twice

    h = RunHistory(root)
    entries = h.list()
    assert {e.id for e in entries} == set(taken) and len(entries) == 2 * RUNS_PER_WRITER
    assert h.unreadable() == []
    files = sorted(root.glob("*.json"))
    assert {f.stem for f in files} == set(taken)
    for f in files:
        assert rec.load(f).history.added_utc
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]
    db = sqlite3.connect(root / INDEX_FILE)
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2 * RUNS_PER_WRITER
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


# -- migration from the JSON index (version 1) ------------------------------------------

def _legacy_entry(run_id: str, record: RunRecord) -> dict:
    """An index.json entry exactly as version 1 wrote it (field by field): a plain dict, not a HistoryEntry."""
    meta = record.history
    return {
        "id": run_id, "file": f"{run_id}.json", "name": meta.name or None,
        "display_name": meta.name or f"{record.model.name} on {record.target_id}",
        "model": record.model.name, "target": record.target_id, "host": record.host.hostname,
        "created_utc": record.created_utc, "status": record.status.value, "p50_s": record.latency.p50,
        "throughput_per_s": record.latency.throughput_per_s, "imported_from": meta.imported_from,
        "fingerprint": hist.fingerprint(record),
    }


def _legacy_history(root: Path, record_factory) -> tuple[list[dict], list[dict]]:
    """A history folder as version 1 left it: two runs, one unreadable file, and index.json."""
    root.mkdir(parents=True)
    entries = []
    for i, (target, name) in enumerate([("ort/cpu", None), ("ov/npu", "NPU try")]):
        record = record_factory(target, seed=i)
        record.history = HistoryInfo(name=name or "", added_utc="2026-01-02T03:05:00+00:00", imported_from=None)
        run_id = f"20260102-030405-{target.replace('/', '-')}-{hist.fingerprint(record)[:6]}"
        rec.atomic_write(root / f"{run_id}.json", rec.dumps(record) + "\n")
        entries.append(_legacy_entry(run_id, record))
    (root / "20260101-000000-corrupt.json").write_text("{oops")
    bad = [{"id": "20260101-000000-corrupt", "file": "20260101-000000-corrupt.json",
            "reason": f"{root / '20260101-000000-corrupt.json'}: not valid JSON (line 1)."}]
    body = {"schema": "aipcprof.history", "version": 1, "runs": entries, "unreadable": bad}
    rec.atomic_write(root / "index.json", json.dumps(body, indent=1) + "\n")
    return entries, bad


def test_json_index_is_migrated_without_reading_the_records(data_dir, record_factory, monkeypatch):
    root = data_dir / "runs"
    entries, bad = _legacy_history(root, record_factory)
    loads = []
    real_load = rec.load
    monkeypatch.setattr(rec, "load", lambda path: loads.append(Path(path).name) or real_load(path))

    h = RunHistory()
    listed = h.list()
    assert sorted(listed, key=lambda e: e.id) == sorted((HistoryEntry.from_json(e) for e in entries),
                                                       key=lambda e: e.id)
    assert {e.id: e.to_json() for e in listed} == {e["id"]: e for e in entries}  # nothing lost or changed
    assert h.unreadable() == [UnreadableRun.from_json(b) for b in bad]
    assert loads == []  # the migrated index was used, not a rebuild from the files
    assert not (root / LEGACY_INDEX_FILE).exists() and (root / (LEGACY_INDEX_FILE + MIGRATED_SUFFIX)).is_file()
    assert [e.display_name for e in listed] == ["NPU try", "m.onnx on ort/cpu"]

    # the migrated history is a normal one: add, rename and delete work, no second migration
    new = h.add(record_factory("ov/cpu", seed=7))
    assert h.rename(entries[0]["id"], "renamed").display_name == "renamed"
    h.delete("20260101-000000-corrupt")
    monkeypatch.setattr(rec, "load", real_load)
    assert {e.id for e in RunHistory().list()} == {entries[0]["id"], entries[1]["id"], new.id}
    assert RunHistory().unreadable() == []
    assert not (root / LEGACY_INDEX_FILE).exists()


@pytest.mark.parametrize("legacy", ["out of step", "garbage"])
def test_unusable_json_index_is_not_trusted(data_dir, record_factory, legacy):
    root = data_dir / "runs"
    entries, _ = _legacy_history(root, record_factory)
    if legacy == "out of step":  # a run copied in by hand after version 1 wrote its index
        extra = record_factory("ort/dml/gpu0", seed=9)
        rec.save(extra, root / "20260303-000000-by-hand.json")
    else:
        (root / LEGACY_INDEX_FILE).write_text("{not json")
    ids = {e.id for e in RunHistory().list()}
    assert ids == {e["id"] for e in entries} | ({"20260303-000000-by-hand"} if legacy == "out of step" else set())
    assert [b.id for b in RunHistory().unreadable()] == ["20260101-000000-corrupt"]
    assert (root / (LEGACY_INDEX_FILE + MIGRATED_SUFFIX)).is_file() and not (root / LEGACY_INDEX_FILE).exists()


def test_an_old_version_writing_index_json_again_changes_nothing(data_dir, record_factory):
    h = RunHistory()
    e = h.add(record_factory())
    (h.root / LEGACY_INDEX_FILE).write_text(json.dumps({"schema": "aipcprof.history", "version": 1,
                                                        "runs": [], "unreadable": []}))
    assert [x.id for x in RunHistory().list()] == [e.id] and RunHistory().unreadable() == []


# -- a broken or busy index ----------------------------------------------------------------

def test_corrupt_index_is_set_aside_and_rebuilt_with_a_message(data_dir, record_factory, caplog):
    h = RunHistory()
    ids = {h.add(record_factory(t)).id for t in ("ort/cpu", "ov/cpu")}
    index = h.root / INDEX_FILE
    index.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a header, then nonsense
    with caplog.at_level(logging.WARNING, logger="app.record.history"):
        assert {e.id for e in h.list()} == ids
    assert "unreadable" in caplog.text and "rebuilt from the run files" in caplog.text
    assert (h.root / (INDEX_FILE + BROKEN_SUFFIX)).is_file()
    assert {h.add(record_factory("ov/npu")).id} | ids == {e.id for e in RunHistory().list()}


def test_no_usable_index_lists_from_the_files_and_refuses_changes(data_dir, record_factory, monkeypatch, caplog):
    h = RunHistory()
    e = h.add(record_factory())

    def cannot_open(self):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(RunHistory, "_open", cannot_open)
    with caplog.at_level(logging.WARNING, logger="app.record.history"):
        assert [x.id for x in h.list()] == [e.id]
        assert h.get(e.id).history.added_utc
    assert "listing the runs from their files" in caplog.text
    with pytest.raises(UserError, match="cannot add a run"):
        h.add(record_factory("ov/cpu"))
    with pytest.raises(UserError, match="cannot delete a run"):
        h.delete(e.id)
    assert h.path_of(e.id).is_file()


def test_a_writer_waits_for_another_and_gives_up_with_a_message(data_dir, record_factory, monkeypatch):
    h = RunHistory()
    first = h.add(record_factory())
    other = sqlite3.connect(h.root / INDEX_FILE, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    t0 = time.monotonic()
    second = h.add(record_factory("ov/cpu"))  # waits for the commit, then goes on
    assert time.monotonic() - t0 >= 0.25 and second.id != first.id

    monkeypatch.setattr(hist, "BUSY_TIMEOUT_S", 0.2)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(UserError, match="locked by another process"):
            h.add(record_factory("ov/npu"))
        assert len(h.list()) == 2  # readers are not blocked by a writer (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert {x.id for x in RunHistory().list()} == {first.id, second.id}


def test_a_file_written_without_its_row_is_picked_up_once(data_dir, record_factory):
    """What a crash between writing a run's file and committing its row leaves behind."""
    h = RunHistory()
    h.add(record_factory())
    orphan = record_factory("ov/npu")
    rec.save(orphan, h.root / "20260102-030405-ov-npu-abcdef.json")
    assert "20260102-030405-ov-npu-abcdef" in {e.id for e in h.list()}
    assert h.add(orphan).id == "20260102-030405-ov-npu-abcdef" and len(h.list()) == 2


def test_a_file_changed_by_hand_is_read_again(data_dir, record_factory):
    h = RunHistory()
    e = h.add(record_factory())
    path = h.path_of(e.id)
    record = rec.load(path)
    record.history.name = "edited in a text editor"
    rec.atomic_write(path, rec.dumps(record) + "\n")
    assert RunHistory().list()[0].display_name == "edited in a text editor"
    path.write_text("{truncated")
    assert RunHistory().list() == [] and RunHistory().unreadable()[0].id == e.id


# -- typed entries ---------------------------------------------------------------------------

def test_entries_are_typed_and_stored_as_their_json(data_dir, record_factory):
    h = RunHistory()
    e = h.add(record_factory("ov/npu", 0.002), name="typed")
    assert isinstance(e, HistoryEntry) and e.status is RunStatus.COMPLETED and e.name == "typed"
    db = sqlite3.connect(h.root / INDEX_FILE)
    (stored,) = db.execute("SELECT entry FROM runs WHERE id = ?", (e.id,)).fetchone()
    db.close()
    assert HistoryEntry.from_json(json.loads(stored)) == e == h.list()[0]
    (h.root / "20260101-000000-corrupt.json").write_text("{oops")
    entries, bad = h.rebuild_index()
    assert entries == [e] and bad == [UnreadableRun(id="20260101-000000-corrupt", file="20260101-000000-corrupt.json",
                                                    reason=bad[0].reason)]
    assert "not valid JSON" in bad[0].reason


@pytest.mark.parametrize("entry", ["{not json", json.dumps({"id": 5}), json.dumps([1, 2]),
                                   json.dumps({"id": "someone-else", "file": "someone-else.json",
                                               "display_name": "x"}),
                                   json.dumps({"id": "?", "file": "?", "display_name": "x", "status": "exploded"})])
def test_an_index_row_that_does_not_parse_is_read_again(data_dir, record_factory, entry):
    h = RunHistory()
    good = h.add(record_factory())
    other = h.add(record_factory("ov/cpu"))
    db = sqlite3.connect(h.root / INDEX_FILE, isolation_level=None)
    if entry.startswith('{"id": "?"'):
        entry = entry.replace('"?"', json.dumps(good.id), 1).replace('"?"', json.dumps(good.file), 1)
    db.execute("UPDATE runs SET entry = ? WHERE id = ?", (entry, good.id))
    db.close()
    loads = []
    real_load = rec.load
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rec, "load", lambda path: loads.append(Path(path).stem) or real_load(path))
        assert sorted(e.id for e in RunHistory().list()) == sorted([good.id, other.id])
    assert loads == [good.id]  # only the broken row's file was read again
    assert {e.id: e for e in RunHistory().list()}[good.id] == good
    assert h.add(record_factory()).id == good.id  # the repaired row still finds the same run
    assert not (h.root / (INDEX_FILE + BROKEN_SUFFIX)).exists()  # one bad row is not a broken index


def test_add_finds_an_existing_run_behind_a_broken_row(data_dir, record_factory):
    h = RunHistory()
    good = h.add(record_factory())
    db = sqlite3.connect(h.root / INDEX_FILE, isolation_level=None)
    db.execute("UPDATE runs SET entry = '{\"id\": 1}' WHERE id = ?", (good.id,))
    db.close()
    assert RunHistory().add(record_factory()) == good and len(RunHistory().list()) == 1
