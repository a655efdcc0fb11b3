"""Run files from elsewhere (items 3 and 9): a malformed, huge, deeply nested or non-regular file is one
line naming it, and never hides the valid runs next to it or hangs the command."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from app.cli import main
from app.common.errors import UserError
from app.record import io as rec
from app.record.history import RunHistory

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")


def _json(record) -> dict:
    return json.loads(rec.dumps(record))


def _one_line(capsys) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1 and "Traceback" not in err, (out, err)
    return lines[0]


# -- a malformed record ---------------------------------------------------------------------------------


def test_import_of_a_record_with_a_wrong_value_is_one_line(tmp_path, record, data_dir, capsys):
    data = _json(record)
    data["latency"] = "fast"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["history", "import", str(bad)]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"aipcprof: error: {bad}: invalid run record (")
    assert "latency: expected an object, got 'fast'" in line  # the key path and the value
    assert not (data_dir / "runs").exists() or RunHistory().list() == []


def test_a_bad_file_in_the_history_is_listed_and_hides_nothing(tmp_path, record, data_dir, capsys):
    history = RunHistory()
    good_a = history.add(record, "first").id
    other = record.copy()
    other.latency.p50 = record.latency.p50 * 2
    good_b = history.add(other, "second").id
    data = _json(record)
    data["latency"]["p50"] = "fast"
    (history.root / "20990101-000000-dropped-in.json").write_text(json.dumps(data))
    (history.root / "20990101-000001-nested.json").write_text("[" * 100_000 + "]" * 100_000)

    assert main(["history", "list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "first" in out and "second" in out
    assert "UNREADABLE 20990101-000000-dropped-in: " in out and "latency.p50" in out
    assert "UNREADABLE 20990101-000001-nested: " in out and "nested more than 64 levels" in out

    assert main(["history", "show", good_a]) == 0
    assert "sample_model.onnx on ort/cpu" in capsys.readouterr().out
    assert main(["compare", good_a, good_b]) == 0
    out = capsys.readouterr().out
    assert "0.50x" in out  # the second run is half as fast: the valid runs still compare


# -- size and depth limits before json.loads ----------------------------------------------------------------


def test_deeply_nested_json_is_refused_before_parsing(tmp_path, capsys):
    bomb = tmp_path / "bomb.json"
    bomb.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserError) as err:
        rec.load(bomb)
    assert err.value.message == f"{bomb}: JSON nested more than {rec.MAX_JSON_DEPTH} levels deep; not a run record."
    assert main(["compare", str(bomb)]) == 2
    assert "bomb.json: JSON nested more than" in _one_line(capsys)


def test_nesting_the_json_parser_accepts_is_still_refused(tmp_path, record):
    # 900 levels parse (json's limit is ~1000) but would recurse through the typed conversion:
    # the depth scan refuses them first, inside a valid record too.
    data = _json(record)
    data["environment"] = json.loads("[" * 900 + "]" * 900)
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(data))
    with pytest.raises(UserError, match="nested more than 64 levels"):
        rec.load(deep)


def test_brackets_inside_strings_do_not_count(tmp_path, record):
    data = _json(record)
    data["model"]["name"] = "[" * 10_000 + "{" * 10_000
    p = tmp_path / "odd.json"
    p.write_text(json.dumps(data))
    assert rec.load(p).model.name.startswith("[[[")


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path, capsys):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(rec.MAX_RECORD_BYTES + 1)  # sparse: no disk used, st_size says 256 MiB + 1
    t0 = time.monotonic()
    with pytest.raises(UserError) as err:
        rec.load(big)
    assert time.monotonic() - t0 < 5
    assert err.value.message == f"{big}: is 256 MiB, over the 256 MiB limit of a run record."
    assert main(["history", "import", str(big)]) == 2
    assert "over the 256 MiB limit" in _one_line(capsys)


def test_a_lone_surrogate_in_a_record_prints_escaped(tmp_path, record, data_dir, capsys):
    data = _json(record)
    data["model"]["name"] = "model\ud800.onnx"  # valid JSON ("\ud800"), unprintable as UTF-8
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data))
    assert main(["history", "import", str(p)]) == 0
    assert main(["history", "list"]) == 0
    out = capsys.readouterr().out
    assert "model\\ud800.onnx" in out


# -- FIFOs and devices given as run files or models ----------------------------------------------------------


@needs_fifo
@pytest.mark.parametrize("argv", [["compare", "{fifo}"], ["history", "import", "{fifo}"],
                                  ["compare", "{fifo}", "{fifo}", "--csv", "{out}"]])
def test_a_fifo_run_file_is_one_line_not_a_hang(aipcprof, tmp_path, argv):
    fifo = tmp_path / "run.json"
    os.mkfifo(fifo)
    args = [a.format(fifo=fifo, out=tmp_path / "o.csv") for a in argv]
    r = aipcprof(*args, timeout=120)  # a blocking open would hang until this timeout
    assert r.rc == 2
    assert r.one_error_line() == f"aipcprof: error: {fifo}: is a FIFO (named pipe), not a run file. " \
                                 "Pass a run JSON file."
    assert not (tmp_path / "o.csv").exists()


@needs_fifo
@pytest.mark.parametrize("command", ["inspect", "run"])
def test_a_fifo_model_is_one_line_not_a_hang(aipcprof, tmp_path, command):
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    r = aipcprof(command, fifo, timeout=120)
    assert r.rc == 2
    assert r.one_error_line() == f"aipcprof: error: {fifo}: is not a regular file. Pass a .onnx model file."


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this OS")
def test_a_device_as_run_file_is_refused(capsys):
    # /dev/zero would feed json.loads forever; it is refused by type before any read.
    assert main(["compare", "/dev/zero"]) == 2
    assert _one_line(capsys) == "aipcprof: error: /dev/zero: is a character device, not a run file. " \
                                "Pass a run JSON file."


def test_a_folder_as_run_file_is_refused(tmp_path, capsys):
    folder = tmp_path / "runs.json"
    folder.mkdir()
    assert main(["compare", str(folder)]) == 2
    assert "is a folder, not a run file" in _one_line(capsys)
