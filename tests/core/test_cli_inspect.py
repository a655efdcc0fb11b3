"""`aipcprof inspect` through the real dispatcher: cards on stdout, one-line errors with exit 2."""

from __future__ import annotations

import importlib.util
import json

import pytest

from app import cli


@pytest.fixture(autouse=True)
def _only_present_commands(monkeypatch):
    """The parser imports every command module; test `inspect` even while others are being written."""
    present = {n: h for n, h in cli.COMMANDS.items() if importlib.util.find_spec(f"app.cli.cmd_{n}") is not None}
    monkeypatch.setattr(cli, "COMMANDS", present)


def _error(capsys, argv: list[str], match: str) -> str:
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipcprof: error: "), err
    assert match in lines[0], lines[0]
    return lines[0]


def test_inspect_prints_the_card(zoo, capsys):
    assert cli.main(["inspect", str(zoo["conv_net"])]) == 0
    out = capsys.readouterr().out
    assert "conv_net" in out and "4.72M MACs" in out and "Conv 3" in out


def test_inspect_json_with_dims(zoo, capsys):
    assert cli.main(["inspect", str(zoo["transformer_block"]), "--json", "--dim", "seq=128"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["macs"] == 8_388_608 and card["resolved_shapes"] == {"x": [1, 128, 64]}


def test_inspect_json_with_shape(zoo, capsys):
    assert cli.main(["inspect", str(zoo["token_embedding"]), "--json", "--shape", "input_ids=2,5"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["resolved_shapes"] == {"input_ids": [2, 5], "attention_mask": [2, 5]}


def test_unresolved_dims_are_reported_not_fatal(zoo, capsys):
    assert cli.main(["inspect", str(zoo["transformer_block"]), "--no-sha256"]) == 0
    assert "MACs unknown: unresolved dims: seq" in capsys.readouterr().out


def test_missing_model(tmp_path, capsys):
    _error(capsys, ["inspect", str(tmp_path / "missing.onnx")], "no such model file")


def test_png_renamed_onnx(tmp_path, capsys):
    p = tmp_path / "cat.onnx"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    _error(capsys, ["inspect", str(p)], "is a PNG image, not an ONNX model")


def test_malformed_dim(zoo, capsys):
    _error(capsys, ["inspect", str(zoo["transformer_block"]), "--dim", "seq"], "--dim NAME=N")


def test_unknown_dim(zoo, capsys):
    _error(capsys, ["inspect", str(zoo["transformer_block"]), "--dim", "sequence=4"],
           "no symbolic dim 'sequence'")


def test_shape_of_wrong_rank(zoo, capsys):
    line = _error(capsys, ["inspect", str(zoo["transformer_block"]), "--shape", "x=1,128"], "rank 3")
    assert "--shape x=1,N,64" in line


def test_unknown_input_in_shape(zoo, capsys):
    _error(capsys, ["inspect", str(zoo["conv_net"]), "--shape", "input=1,3,8,8"], "Its inputs are: image")
