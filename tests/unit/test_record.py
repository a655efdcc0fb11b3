import json
import math
import os

import pytest

from app.common.errors import UserError
from app.record import io as rec
from app.record.schema import SCHEMA, SCHEMA_VERSION, LatencyStats, RunRecord, TargetInfo


def _new_record() -> RunRecord:
    return RunRecord(TargetInfo("ort/cpu"))


def test_save_and_load_roundtrip_with_nan_as_null(tmp_path):
    r = _new_record()
    r.latency = LatencyStats(p50=0.001, p99=math.nan)
    path = rec.save(r, tmp_path / "run.json")
    loaded = rec.load(path)
    assert loaded.latency.p50 == 0.001
    assert loaded.latency.p99 is None  # missing, never 0
    assert loaded.schema_version == SCHEMA_VERSION
    assert json.loads(path.read_text())["latency"]["p99"] is None  # null in the file
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_future_version_is_a_clear_error(tmp_path):
    p = tmp_path / "future.json"
    p.write_text(json.dumps({"schema": SCHEMA, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(UserError, match="newer than this tool"):
        rec.load(p)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"hello": 1}', "not an AI PC Profiler run record"),
    ('{"schema": "aipcprof.run"}', "no valid schema_version"),
])
def test_corrupted_run_files(tmp_path, content, message):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(UserError, match=message):
        rec.load(p)


def test_unwritable_out_fails_before_writing(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        rec.check_writable(tmp_path / "missing-folder" / "run.json")
    with pytest.raises(UserError, match="is a directory"):
        rec.check_writable(tmp_path)


def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    p = tmp_path / "run.json"
    rec.save(_new_record(), p)
    before = p.read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(rec.OutputError, match=r"cannot write \(disk full\)"):  # one line, not an OSError traceback
        rec.write_atomic(p, "half")
    assert p.read_text() == before
    assert [x.name for x in tmp_path.iterdir()] == ["run.json"]
