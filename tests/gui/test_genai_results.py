"""The results panel's per-prompt-length table of a generative run (app/views/results_genai.py), filled from
real onnxruntime-genai run records (tests/conftest.py genai_runs): every cell is the record's figure."""

from __future__ import annotations

import dataclasses
import re

import pytest
from PySide6.QtCore import Qt

from app.record import io as rec
from app.views.results_genai import COLUMNS, ENERGY_COLUMN
from app.views.results_panel import ResultsPanel

UNITS = {"ms": 1e-3, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def _value(text: str) -> float:
    """'0.245 ms' -> 0.000245 s, '65,345' -> 65345.0, '157.0 MiB' -> bytes."""
    m = re.fullmatch(r"([\d,.]+)\s*(\w*)", text)
    assert m, text
    return float(m.group(1).replace(",", "")) * UNITS.get(m.group(2), 1)


def _cells(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


@pytest.fixture
def panel(qtbot):
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(1200, 900)
    p.show()
    return p


def test_each_row_is_the_records_figures(panel, genai_runs):
    r = rec.load(genai_runs[1])  # prompt lengths 16, 64, 128
    panel.show_record(r)
    box = panel.genai_box
    assert box.isVisible()
    assert [box.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))][:4] == \
        ["Prompt tokens", "Prefill", "Prompt tok/s", "TTFT"]
    cells = _cells(box.table)
    assert [int(row[0]) for row in cells] == [16, 64, 128]
    for row, x in zip(cells, r.genai.results):
        for c, (value, digits) in enumerate(((x.prefill_median_s, 5e-7), (x.prompt_tokens_per_s, 0.5),
                                             (x.ttft_median_s, 5e-7), (x.decode_p50_s, 5e-7),
                                             (x.decode_p90_s, 5e-7), (x.decode_p99_s, 5e-7),
                                             (x.decode_tokens_per_s, 0.5)), start=1):
            assert value is not None and _value(row[c]) == pytest.approx(value, abs=max(digits, 1e-3 * value)), \
                (COLUMNS[c][0], row[c], value)
        assert _value(row[8]) == pytest.approx(x.rss_bytes, rel=1e-3)
        assert x.energy_j_per_token is None and x.energy_reason  # --no-telemetry: no power source
        assert row[ENERGY_COLUMN] == f"unavailable: {x.energy_reason}"
        assert box.table.item(0, ENERGY_COLUMN).toolTip()  # the whole reason where the cell elides it
    notes = box.notes.text()
    assert f"Medians over {r.genai.results[0].generations} generation(s) per length" in notes
    assert f"J/token unavailable: {r.genai.results[0].energy_reason}" in notes
    assert "Peak memory (the worker's resident memory, whole run): " in notes
    assert box.asked.text().startswith("Asked: prompts of 16, 64, 128 tokens, 16 generated tokens each, "
                                       "2 measured generation(s) per length after 1 warm-up; prompt: synthetic")


def test_untrusted_text_is_plain_and_a_plain_run_hides_the_box(panel, genai_runs, two_runs):
    r = rec.load(genai_runs[0])
    g = r.genai
    g.notes = ["<b>not bold</b>"]
    g.settings = dataclasses.replace(g.settings, prompt_source="--prompt-file <i>x</i>.txt")
    panel.show_record(r)
    box = panel.genai_box
    assert box.notes.textFormat() == Qt.TextFormat.PlainText and box.asked.textFormat() == Qt.TextFormat.PlainText
    assert "Note: <b>not bold</b>" in box.notes.text() and "<i>x</i>.txt" in box.asked.text()
    panel.show_record(rec.load(two_runs[0]))  # an .onnx model's run: no generation table
    assert not box.isVisible()


def test_a_run_that_measured_nothing_says_so(panel, genai_runs):
    r = rec.load(genai_runs[0])
    r.genai.results = []
    panel.show_record(r)
    table = panel.genai_box.table
    assert table.rowCount() == 1 and table.columnSpan(0, 0) == len(COLUMNS)
    assert table.item(0, 0).text() == "No generation was measured: the run ended before the first one."


def test_the_tiles_say_decode_steps(panel, genai_runs, two_runs):
    r = rec.load(genai_runs[0])
    panel.show_record(r)
    t = panel.tiles
    n = f" · n={r.latency.count}"  # a small sample says its size (app/report/facts.py)
    assert t["p50"].caption.text() == "decode p50 / token" + n
    assert t["throughput"].caption.text() == "tokens/s (1 / mean step)" + n
    assert not t["energy"].isVisible()  # J/token per prompt length is in the table
    assert panel.stats.item(0, 0).text() == "decode steps" and panel.stats.item(0, 1).text() == f"{r.latency.count:,}"
    panel.show_record(rec.load(two_runs[0]))
    assert t["p50"].caption.text() == "p50 (whole run)" and t["energy"].isVisible()
    assert panel.stats.item(0, 0).text() == "inferences"
