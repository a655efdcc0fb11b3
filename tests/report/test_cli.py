"""`aipcprof compare` and `aipcprof history` through the real dispatcher."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from app import cli
from app.record import io as rec
from app.record.history import HistoryEntry
from app.report.comparison import COLUMNS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _commands(monkeypatch):
    """Only the command modules present, plus `history` until the lead registers it."""
    present = {n: h for n, h in cli.COMMANDS.items() if importlib.util.find_spec(f"app.cli.cmd_{n}") is not None}
    present.setdefault("history", "List, show, rename, delete and import stored runs.")
    monkeypatch.setattr(cli, "COMMANDS", present)


def _error(capsys, argv: list[str], match: str) -> None:
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipcprof: error: "), err
    assert match in lines[0], lines[0]


@pytest.fixture
def two_runs(record_factory, tmp_path) -> list[str]:
    cpu, npu = record_factory("ort/cpu", 0.004, ok=None), record_factory("ov/npu", 0.001, seed=1)
    npu.settings.threads = 2
    return [str(rec.save(cpu, tmp_path / "cpu.json")), str(rec.save(npu, tmp_path / "npu.json"))]


@pytest.fixture
def bad_files(tmp_path) -> dict[str, str]:
    corrupt, future = tmp_path / "corrupt.json", tmp_path / "future.json"
    corrupt.write_text('{"schema": "aipcprof.run", "schema_version": 1, "latency": {')
    future.write_text(json.dumps({"schema": "aipcprof.run", "schema_version": 42}))
    return {"corrupt": str(corrupt), "future": str(future)}


def test_compare_prints_table_recommendation_and_differences(two_runs, capsys):
    assert cli.main(["compare", *two_runs]) == 0
    out = capsys.readouterr().out
    assert "ort/cpu" in out and "4.00x" in out
    assert "Recommended: ov/npu (npu.json)" in out
    assert "DIFFERS settings.threads: cpu.json=N/A, npu.json=2" in out


def test_compare_json(two_runs, capsys):
    assert cli.main(["compare", *two_runs, "--json", "--baseline", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"rows", "warnings", "differences", "recommendation", "written", "op_types", "genai"}
    assert data["op_types"] == []  # neither run has an operator profile
    assert data["genai"] == []  # neither is a generative run (docs/genai.md)
    assert data["rows"][0]["speedup_vs_baseline"] == pytest.approx(0.25)
    assert data["recommendation"]["target"] == "ov/npu"
    assert data["differences"][0]["key"] == "threads"


def test_compare_writes_every_output(two_runs, tmp_path, capsys):
    out = {k: tmp_path / f"o.{k}" for k in ("csv", "html", "svg")}
    bundle = tmp_path / "share.zip"
    argv = ["compare", *two_runs, "--csv", str(out["csv"]), "--html", str(out["html"]), "--svg", str(out["svg"]),
            "--bundle", str(bundle), "--theme", "dark", "--title", "My <b>title</b>"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert f"bundle: {bundle}" in text
    assert tuple(next(csv.reader(io.StringIO(out["csv"].read_text())))) == COLUMNS
    html = out["html"].read_text()
    assert "My &lt;b&gt;title&lt;/b&gt;" in html and "#1e1f22" in html
    assert ET.parse(out["svg"]).getroot().tag.endswith("svg")
    with zipfile.ZipFile(bundle) as z:
        assert {"report.html", "comparison.csv", "summary.txt", "runs/cpu.json", "runs/npu.json"} == set(z.namelist())


def test_compare_png_uses_the_desktop_renderer(two_runs, tmp_path, monkeypatch, capsys):
    calls = []
    fake = types.ModuleType("app.views.export")

    def render_comparison_png(records, names, baseline, path, theme):
        calls.append((len(records), names, baseline, theme))
        Path(path).write_bytes(b"\x89PNG fake")

    fake.render_comparison_png = render_comparison_png
    monkeypatch.setitem(sys.modules, "app.views.export", fake)
    png, bundle = tmp_path / "c.png", tmp_path / "b.zip"
    assert cli.main(["compare", *two_runs, "--png", str(png), "--bundle", str(bundle), "--theme", "light"]) == 0
    assert calls == [(2, ["cpu.json", "npu.json"], 0, "light")] and png.read_bytes() == b"\x89PNG fake"
    with zipfile.ZipFile(bundle) as z:
        assert z.read("comparison.png") == b"\x89PNG fake"


def test_compare_png_without_desktop_components(two_runs, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "app.views.export", None)  # import fails as if it were absent
    _error(capsys, ["compare", *two_runs, "--png", str(tmp_path / "c.png")], "PNG export needs the desktop components")


@pytest.mark.parametrize("kind, match", [("corrupt", "not valid JSON"), ("future", "newer than this tool")])
def test_compare_bad_files_one_line_exit_2(two_runs, bad_files, capsys, kind, match):
    _error(capsys, ["compare", two_runs[0], bad_files[kind]], match)


def test_compare_bad_file_in_a_real_process(bad_files):
    """The installed entry point: exit 2, one line on stderr, no traceback."""
    for path in bad_files.values():
        p = subprocess.run([sys.executable, "-m", "app", "compare", path], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 2 and p.stdout == ""
        assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_compare_argument_errors(two_runs, tmp_path, capsys):
    _error(capsys, ["compare", *two_runs, "--baseline", "7"], "--baseline 7")
    _error(capsys, ["compare", *two_runs, "--html", str(tmp_path / "no" / "r.html")], "--html")
    _error(capsys, ["compare", "not-a-run-id"], "nor a run id in the history")


def test_history_commands(data_dir, two_runs, capsys):
    assert cli.main(["history", "import", *two_runs]) == 0
    assert capsys.readouterr().out.count("imported ") == 2
    assert cli.main(["history", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    runs = listing["runs"]
    ids = {r["target"]: r["id"] for r in runs}
    assert set(ids) == {"ort/cpu", "ov/npu"}
    assert listing["unreadable"] == []
    assert {r["id"]: (r["status"], r["p50_s"], r["name"]) for r in runs} == {  # HistoryEntry.to_json()
        ids["ort/cpu"]: ("completed", 0.004, None), ids["ov/npu"]: ("completed", 0.001, None)}
    assert [HistoryEntry.from_json(r).id for r in runs] == [r["id"] for r in runs]
    assert cli.main(["history", "rename", ids["ov/npu"], "NPU run"]) == 0
    assert "renamed" in capsys.readouterr().out
    assert cli.main(["history", "list"]) == 0
    out = capsys.readouterr().out
    assert "NPU run" in out
    assert "4.000 ms" in out and "250/s" in out and "1.000 ms" in out and "1,000/s" in out  # app.common.fmt
    assert cli.main(["history", "show", ids["ov/npu"]]) == 0
    assert "m.onnx on ov/npu" in capsys.readouterr().out
    assert cli.main(["history", "path", ids["ov/npu"]]) == 0
    assert capsys.readouterr().out.strip().endswith(f"{ids['ov/npu']}.json")
    assert cli.main(["compare", ids["ort/cpu"], ids["ov/npu"]]) == 0  # history ids work in compare
    out = capsys.readouterr().out
    assert "NPU run" in out and "m.onnx on ort/cpu" in out
    assert cli.main(["history", "delete", ids["ort/cpu"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": [ids["ort/cpu"]]}
    assert cli.main(["history", "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["runs"]] == [ids["ov/npu"]]


@pytest.mark.parametrize("kind, match", [("corrupt", "not valid JSON"), ("future", "newer than this tool")])
def test_history_import_bad_files_one_line_exit_2(data_dir, bad_files, capsys, kind, match):
    _error(capsys, ["history", "import", bad_files[kind]], match)


def test_history_usage_errors(data_dir, capsys):
    _error(capsys, ["history", "show"], "history show: wrong number of arguments")
    _error(capsys, ["history", "rename", "x"], "Usage: aipcprof history rename ID NAME")
    _error(capsys, ["history", "delete", "nope"], "no run 'nope'")
    assert cli.main(["history"]) == 0
    assert "no runs in the history" in capsys.readouterr().out
