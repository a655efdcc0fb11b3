"""Terminal escape injection (item 10): model and record strings reach the terminal as visible text.

ANSI colour, clear screen, an OSC that retitles the window, CR, NUL, C1 controls and bidi overrides
hidden in a model's names or a record's fields are printed escaped (`\\x1b`) or dropped (bidi), by
`inspect`, `run`, `compare` and `history`; HTML and SVG exports drop the bidi overrides too.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from app.cli import main
from app.common.text import BIDI_CONTROLS, terminal_safe
from app.record import io as rec
from app.record.history import RunHistory
from app.report.html import render_report
from app.report.svg import esc

# What a hostile string carries: colour, clear screen + home, an OSC window title, CR, NUL, a C1 CSI, RTL override.
EVIL = "m\x1b[31mred\x1b[2J\x1b[H\x1b]0;pwned\x07\rfake\x00nul\x9b6n\u202etxt.exe"
# Anything of these in CLI output means the terminal interpreted record/model text.
_RAW = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def _assert_clean(text: str) -> None:
    found = _RAW.findall(text)
    assert not found, f"raw control characters reached the terminal: {found!r}"


def test_terminal_safe_escapes_controls_and_drops_bidi():
    assert terminal_safe(EVIL) == ("m\\x1b[31mred\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x0dfake\\x00nul\\x9b6ntxt.exe")
    assert terminal_safe("a\nb\tc") == "a\\x0ab\tc"  # one field never starts a line of its own
    assert terminal_safe("a\nb", multiline=True) == "a\nb"
    assert terminal_safe("caf\u00e9 \u4e2d\u6587 \U0001f600") == "caf\u00e9 \u4e2d\u6587 \U0001f600"  # text stays text
    assert terminal_safe("\ud800") == "\\ud800"  # a lone surrogate would crash print()
    for ch in BIDI_CONTROLS:
        assert terminal_safe(f"a{ch}b") == "ab"


def _evil_model(folder: Path, file_name: str = "evil.onnx") -> Path:
    x = helper.make_tensor_value_info("x" + EVIL, TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y" + EVIL, TensorProto.FLOAT, [1, 4])
    one = numpy_helper.from_array(np.ones((1, 4), np.float32), "one")
    node = helper.make_node("Add", ["x" + EVIL, "one"], ["y" + EVIL], name="node" + EVIL)
    graph = helper.make_graph([node], "graph" + EVIL, [x], [y], [one], doc_string=EVIL)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="prod" + EVIL,
                          producer_version=EVIL, doc_string=EVIL)
    m.ir_version = 9
    onnx.helper.set_model_props(m, {"author" + EVIL: EVIL})
    onnx.checker.check_model(m)
    path = folder / file_name
    onnx.save(m, str(path))
    return path


def test_inspect_prints_model_strings_escaped(tmp_path, capsys):
    assert main(["inspect", str(_evil_model(tmp_path))]) == 0
    out, err = capsys.readouterr()
    _assert_clean(out)
    _assert_clean(err)
    assert "graph" + terminal_safe(EVIL) in out and "prod" + terminal_safe(EVIL) in out


def test_inspect_json_stays_exact_and_safe(tmp_path, capsys):
    assert main(["inspect", str(_evil_model(tmp_path)), "--json"]) == 0
    out = capsys.readouterr().out
    _assert_clean(out)  # JSON escapes controls (\u001b) and non-ASCII (\u202e)
    assert json.loads(out)["graph_name"] == "graph" + EVIL  # the data itself is unchanged


@pytest.mark.skipif(os.name != "posix", reason="control characters in file names are POSIX-only")
def test_run_summary_prints_model_strings_escaped(aipcprof, tmp_path):
    model = _evil_model(tmp_path, "evil\x1b]0;title\x07\u202e.onnx")  # the display name is the file name
    out = tmp_path / "run.json"
    r = aipcprof("run", model, "-n", "3", "--warmup", "0", "--no-telemetry", "-q", "--out", out)
    assert r.rc == 0, r.err
    _assert_clean(r.out)
    assert "evil\\x1b]0;title\\x07.onnx on ort/cpu" in r.out
    assert rec.load(out).model.name == "evil\x1b]0;title\x07\u202e.onnx"  # the record keeps the truth


def _evil_record(record):
    r = record.copy()
    r.model.name = "model" + EVIL
    r.model.path = "/x/model" + EVIL
    r.target.device_name = "dev" + EVIL
    r.precision = "fp32" + EVIL
    r.host.hostname = "host" + EVIL
    return r


def test_compare_prints_record_strings_escaped(tmp_path, record, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    rec.save(_evil_record(record), a)
    rec.save(record, b)
    assert main(["compare", str(a), str(b)]) == 0
    out, err = capsys.readouterr()
    _assert_clean(out + err)
    assert "fp32" + terminal_safe(EVIL) in out  # the table cell, escaped
    assert "DIFFERS" in out and "\\x1b[2J" in out


def test_history_list_and_show_print_record_strings_escaped(record, data_dir, capsys):
    history = RunHistory()
    run_id = history.add(_evil_record(record), "name" + EVIL).id
    assert main(["history", "list"]) == 0
    assert main(["history", "show", run_id]) == 0
    assert main(["history", "rename", run_id, "again" + EVIL]) == 0
    out, err = capsys.readouterr()
    _assert_clean(out + err)
    assert "name" + terminal_safe(EVIL) in out and "again" + terminal_safe(EVIL) in out
    assert "model" + terminal_safe(EVIL) in out


def test_error_lines_are_escaped(tmp_path, capsys):
    missing = tmp_path / ("gone" + EVIL.replace("\x00", "") + ".json")  # a path cannot hold NUL
    assert main(["compare", str(missing)]) == 2
    err = capsys.readouterr().err
    _assert_clean(err)
    assert "gone" in err and "\\x1b]0;pwned\\x07" in err


def test_html_and_svg_drop_bidi_overrides(record):
    assert esc("a\u202eb\u2066c<d>") == "abc&lt;d&gt;"
    page = render_report([_evil_record(record), record], ["run" + EVIL, "plain"], 0)
    assert not any(ch in page for ch in BIDI_CONTROLS)
    assert "\x1b" not in page and "\x00" not in page  # characters XML forbids are dropped too
