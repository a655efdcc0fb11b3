"""The share bundle zip: members, byte-for-byte run files, PNG, atomic write, bad paths."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from app.common.errors import UserError
from app.record import io as rec
from app.report.bundle import write_bundle
from app.report.comparison import COLUMNS

PNG = b"\x89PNG\r\n\x1a\n fake"


def _runs(factory, tmp_path):
    recs = [factory("ort/cpu", ok=None), factory("ov/npu", 0.001)]
    files = [rec.save(r, tmp_path / f"{i}.json") for i, r in enumerate(recs)]
    return recs, files


def test_bundle_members(record_factory, tmp_path):
    recs, files = _runs(record_factory, tmp_path)
    (tmp_path / "chart.png").write_bytes(PNG)
    out = write_bundle(tmp_path / "share.zip", recs, ["cpu run", "../../npu:run.json"], 1, run_files=files,
                       png=tmp_path / "chart.png")
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        assert names == {"report.html", "comparison.csv", "summary.txt", "comparison.png",
                         "runs/cpu_run.json", "runs/npu_run.json"}
        assert z.read("runs/cpu_run.json") == files[0].read_bytes()  # copied byte for byte
        assert z.read("comparison.png") == PNG
        rows = list(csv.DictReader(io.StringIO(z.read("comparison.csv").decode())))
        assert tuple(rows[0]) == COLUMNS and len(rows) == 2
        assert "Recommended:" in z.read("summary.txt").decode()
        assert z.read("report.html").decode().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_bundle_without_files_or_png_serialises_records(record_factory, tmp_path):
    recs, _ = _runs(record_factory, tmp_path)
    out = write_bundle(tmp_path / "b.zip", recs, ["same", "same"])
    with zipfile.ZipFile(out) as z:
        assert {"runs/same.json", "runs/same-2.json"} <= set(z.namelist())
        assert "comparison.png" not in z.namelist()
        loaded = [z.read(n) for n in ("runs/same.json", "runs/same-2.json")]
    (tmp_path / "x.json").write_bytes(loaded[1])
    assert rec.load(tmp_path / "x.json").target.id == "ov/npu"


def test_bundle_replaces_an_existing_file(record_factory, tmp_path):
    recs, _ = _runs(record_factory, tmp_path)
    target = tmp_path / "b.zip"
    target.write_text("old")
    write_bundle(target, recs, ["a", "b"])
    assert zipfile.is_zipfile(target)


def test_bundle_errors_are_user_errors(record_factory, tmp_path):
    recs, _ = _runs(record_factory, tmp_path)
    with pytest.raises(UserError, match="--bundle"):
        write_bundle(tmp_path / "missing" / "b.zip", recs, ["a", "b"])
    with pytest.raises(UserError, match="--bundle"):
        write_bundle(tmp_path, recs, ["a", "b"])
    with pytest.raises(UserError, match="PNG"):
        write_bundle(tmp_path / "b.zip", recs, ["a", "b"], png=tmp_path / "nope.png")
    assert not (tmp_path / "b.zip").exists()
