"""RunHistory: add / list / get / rename / delete / import, and the self-healing index."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys

import pytest

from app.common.errors import UserError
from app.record import history as hist
from app.record import io as rec
from app.record.history import INDEX_FILE, INDEX_VERSION, RunHistory


def _no_tmp_files(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def _indexed_ids(folder) -> set[str]:
    """The run ids in the SQLite index (a valid index of this version, or the query fails)."""
    db = sqlite3.connect(folder / INDEX_FILE)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == INDEX_VERSION
        return {row[0] for row in db.execute("SELECT id FROM runs")}
    finally:
        db.close()


def test_add_list_get_roundtrip(data_dir, record_factory):
    h = RunHistory()
    assert h.root == data_dir / "runs" and h.list() == []
    r = record_factory("ort/qnn/npu", 0.001)
    entry = h.add(r)
    assert r.history is None  # the caller's record is not touched
    assert entry.id.startswith("20260102-030405-ort-qnn-npu-")
    assert entry.display_name == "m.onnx on ort/qnn/npu" and entry.name is None
    assert entry.p50_s == 0.001 and entry.throughput_per_s == pytest.approx(1000)
    assert entry.status == "completed" and entry.target == "ort/qnn/npu" and entry.model == "m.onnx"
    assert entry.file == f"{entry.id}.json" and h.path_of(entry.id).is_file()
    got = h.get(entry.id)
    assert got.latency.p50 == 0.001 and got.history.added_utc
    assert [e.id for e in h.list()] == [entry.id]
    assert _indexed_ids(h.root) == {entry.id}
    assert _no_tmp_files(h.root)


def test_list_is_newest_first_and_same_run_is_kept_once(data_dir, record_factory):
    h = RunHistory()
    old = h.add(record_factory(created="2026-01-01T00:00:00+00:00"))
    new = h.add(record_factory("ov/npu", created="2026-03-01T00:00:00+00:00"))
    assert h.add(record_factory(created="2026-01-01T00:00:00+00:00")).id == old.id
    assert [e.id for e in h.list()] == [new.id, old.id]


def test_rename_survives_an_index_rebuild_and_empty_name_resets(data_dir, record_factory):
    h = RunHistory()
    e = h.add(record_factory())
    assert h.rename(e.id, "  NPU, burst mode ").display_name == "NPU, burst mode"
    (h.root / INDEX_FILE).unlink()
    assert RunHistory().list()[0].display_name == "NPU, burst mode"
    assert h.get(e.id).history.name == "NPU, burst mode"
    assert h.rename(e.id, "").display_name == "m.onnx on ort/cpu"


def test_delete_removes_file_and_entry(data_dir, record_factory):
    h = RunHistory()
    a, b = h.add(record_factory("ort/cpu")), h.add(record_factory("ov/cpu"))
    path = h.path_of(a.id)
    h.delete(a.id)
    assert not path.exists() and [e.id for e in h.list()] == [b.id]
    with pytest.raises(UserError, match="no run"):
        h.get(a.id)


def test_ids_resolve_by_unique_prefix_only(data_dir, record_factory):
    h = RunHistory()
    a, _ = h.add(record_factory("ort/cpu")), h.add(record_factory("ov/cpu"))
    assert h.resolve(a.id[:-3]) == a.id
    with pytest.raises(UserError, match="ambiguous"):
        h.resolve("2026")
    for bad in ("../runs/x", "", "nope"):
        with pytest.raises(UserError, match="no run"):
            h.path_of(bad)


def test_import_copies_validates_and_dedupes(data_dir, tmp_path, record_factory):
    src = rec.save(record_factory("ort/dml/gpu0", host="other-pc"), tmp_path / "from_laptop.json")
    h = RunHistory()
    e = h.import_file(src)
    assert e.host == "other-pc" and e.imported_from == str(src.resolve())
    assert h.path_of(e.id) != src and src.exists()
    assert h.import_file(src).id == e.id and len(h.list()) == 1


@pytest.mark.parametrize("content, message", [
    ("{broken", "not valid JSON"),
    (json.dumps({"schema": "aipcprof.run", "schema_version": 99}), "newer than this tool"),
    (json.dumps({"hello": 1}), "not an AI PC Profiler run record"),
])
def test_import_refuses_bad_files(data_dir, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(UserError, match=message):
        RunHistory().import_file(bad)
    assert RunHistory().list() == []


def test_add_refuses_non_records(data_dir):
    with pytest.raises(UserError):
        RunHistory().add({"schema": "something else"})
    with pytest.raises(UserError, match="version"):  # a record reaches add() only through parse/load
        RunHistory().add(rec.parse({"schema": "aipcprof.run", "schema_version": 7}, "r.json"))


@pytest.mark.parametrize("damage", ["delete", "garbage", "wrong schema", "other version", "stale"])
def test_index_is_rebuilt_from_the_files(data_dir, record_factory, damage):
    h = RunHistory()
    ids = {h.add(record_factory(t)).id for t in ("ort/cpu", "ov/cpu", "ov/npu")}
    index = h.root / INDEX_FILE
    if damage == "delete":
        index.unlink()
    elif damage == "garbage":
        index.write_text("{not json")
    elif damage in ("wrong schema", "other version"):
        index.unlink()
        db = sqlite3.connect(index)
        db.execute("CREATE TABLE runs (x)")
        db.execute(f"PRAGMA user_version = {INDEX_VERSION if damage == 'wrong schema' else 99}")
        db.commit()
        db.close()
    else:  # a run file copied in by hand and another removed by hand
        extra = h.root / "20260505-000000-hand-copied.json"
        shutil.copyfile(h.path_of(sorted(ids)[0]), extra)
        h.path_of(sorted(ids)[1]).unlink()
        ids = ids - {sorted(ids)[1]} | {extra.stem}
    assert {e.id for e in RunHistory().list()} == ids
    assert _indexed_ids(h.root) == ids


def test_unreadable_file_does_not_hide_the_others(data_dir, record_factory):
    h = RunHistory()
    good = h.add(record_factory())
    (h.root / "20260101-000000-corrupt.json").write_text("{oops")
    (h.root / "20260101-000000-future.json").write_text(json.dumps({"schema": "aipcprof.run", "schema_version": 9}))
    assert [e.id for e in h.list()] == [good.id]
    bad = {b.id: b.reason for b in h.unreadable()}
    assert "not valid JSON" in bad["20260101-000000-corrupt"] and "newer" in bad["20260101-000000-future"]
    with pytest.raises(UserError, match="not valid JSON"):
        h.get("20260101-000000-corrupt")
    h.delete("20260101-000000-corrupt")
    assert not (h.root / "20260101-000000-corrupt.json").exists()
    assert [b.id for b in RunHistory().unreadable()] == ["20260101-000000-future"]


def test_data_dir_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.delenv("AIPCPROF_DATA_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert hist.default_root() == tmp_path / "xdg" / "aipcprof" / "runs"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert hist.default_root() == hist.Path.home() / ".local" / "share" / "aipcprof" / "runs"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert hist.default_root() == tmp_path / "local" / "aipcprof" / "runs"
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(tmp_path / "override"))
    assert hist.default_root() == tmp_path / "override" / "runs"


def test_real_run_goes_into_the_history(data_dir, real_runs):
    h = RunHistory()
    e = h.import_file(real_runs["conv_t1"])
    assert e.model == "conv_net.onnx" and e.target == "ort/cpu" and e.p50_s > 0
    assert h.get(e.id).latency.count == 30
