"""Generative runs compared per prompt length: the rows, `aipcprof compare` (table, CSV, SVG, HTML, JSON)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.cli import main
from app.common.fmt import fmt_ms
from app.record import io as rec
from app.report.genai_compare import genai_rows, grouped
from app.report.genai_svg import genai_bars_svg

DATA = Path(__file__).resolve().parents[1] / "data"
ONNX_RECORD = "completed_ort_cpu.json"


def test_rows_per_run_and_prompt_length(genai_runs):
    records = [rec.load(p) for p in genai_runs]
    rows = genai_rows(records, ["a", "b"])
    assert [(r.run, r.prompt_tokens) for r in rows] == [("a", 16), ("a", 64), ("a", 128),
                                                         ("b", 16), ("b", 64), ("b", 128)]
    a16 = rows[0]
    res = records[0].genai.result(16)
    assert (a16.ttft_s, a16.decode_tokens_per_s, a16.generated_tokens) == \
        (res.ttft_median_s, res.decode_tokens_per_s, 16)
    assert a16.j_per_token is None and "no telemetry" in a16.j_per_token_reason
    missing = rows[2]  # run a never asked for 128 tokens: no figure, said why, not a zero
    assert missing.ttft_s is None and missing.decode_tokens_per_s is None and missing.note == "not asked for"
    lengths, runs, values = grouped(rows, "ttft_s")
    assert lengths == [16, 64, 128] and runs == ["a", "b"] and values[0][2] is None and values[1][2] > 0


def test_the_svg_draws_a_gap_not_a_zero(genai_runs):
    records = [rec.load(p) for p in genai_runs]
    svg = genai_bars_svg(genai_rows(records, ["a", "b"]), theme="light")
    assert svg.count("Time to first token per prompt length") == 1
    assert svg.count('class="apc-gap"') == 1 + 1 + 6  # a's 128-token TTFT and tokens/s; J/token: all 6
    assert "N/A for every run at every length" in svg  # no J/token anywhere: said once, no empty axes


def test_aipcprof_compare(genai_runs, tmp_path, capsys):
    out_csv, svg, html = tmp_path / "c.csv", tmp_path / "c.svg", tmp_path / "c.html"
    code = main(["compare", *map(str, genai_runs), "--csv", str(out_csv), "--svg", str(svg), "--html", str(html)])
    text = capsys.readouterr().out
    assert code == 0
    assert "generative runs, per prompt length" in text and "one-thread.json at 128 tokens: N/A, not asked for" in text
    assert "No recommendation for generative runs" in text
    side = list(csv.DictReader((tmp_path / "c.genai.csv").open()))
    assert [(r["run"], r["prompt_tokens"]) for r in side][:2] == [("one-thread.json", "16"), ("one-thread.json", "64")]
    assert side[2]["ttft_s"] == "" and side[2]["note"] == "not asked for"
    assert float(side[3]["decode_tokens_per_s"]) > 0
    assert "Energy per token per prompt length" in svg.read_text()
    page = html.read_text()
    assert "Generative runs per prompt length" in page and "Decode tokens/s per prompt length" in page
    code = main(["compare", *map(str, genai_runs), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data["genai"]) == 6
    assert data["genai"][3]["ttft_s"] == pytest.approx(rec.load(genai_runs[1]).genai.result(16).ttft_median_s)


def test_the_png_export_carries_the_generative_bars(genai_runs, qapp, tmp_path):
    """The exported comparison picture has the same grouped bars as the view and the HTML report."""
    from PySide6.QtGui import QImage

    from app.record import io as rec
    from app.views.export import ComparisonFigure, render_comparison_png

    records = [rec.load(p) for p in genai_runs]
    names = ["one thread", "default"]
    figure = ComparisonFigure(records, names, 0, dark=False)
    assert figure.genai is not None and figure.genai.renderer().isValid()
    path = tmp_path / "genai.png"
    render_comparison_png(records, names, 0, path, "light")
    assert not QImage(str(path)).isNull()
    onnx_run = rec.load(DATA / "records" / "v1" / ONNX_RECORD)  # a plain .onnx run: no generative bars
    assert ComparisonFigure([onnx_run], ["onnx"], 0, dark=False).genai is None


def test_the_png_bars_text_is_the_figures_size(genai_runs, qapp):
    """Laid out at the PNG's size, the generative bars are drawn near 1:1 with their text at the figure's size
    (the other bar charts'), not a 640-px picture shrunk into a third of the width."""
    from PySide6.QtGui import QFontInfo

    from app.record import io as rec
    from app.views.export import PNG_SIZE, ComparisonFigure

    figure = ComparisonFigure([rec.load(p) for p in genai_runs], ["one thread", "default"], 0, dark=False)
    figure.resize(*PNG_SIZE)
    figure.layout().activate()
    font_px = QFontInfo(figure.font()).pixelSize()
    drawn, natural = figure.genai.size(), figure.genai.renderer().defaultSize()
    scale = min(drawn.width() / natural.width(), drawn.height() / natural.height())
    assert font_px >= 13 and scale >= 0.9, (font_px, drawn, natural)  # text >= 0.9 x the figure's
    figure.close()


def test_the_svg_text_size_scales_the_panels(genai_runs):
    records = [rec.load(p) for p in genai_runs]
    rows = genai_rows(records, ["a", "b"])
    small, large = genai_bars_svg(rows, theme="light"), genai_bars_svg(rows, theme="light", font_px=14)
    assert '<g style="font-size:14px">' in large and 'font-size="13"' in large and 'font-size="11"' in small
    height = [int(s.split('height="', 1)[1].split('"', 1)[0]) for s in (small, large)]
    assert height[1] == pytest.approx(height[0] * 14 / 12, abs=2)
    ttft = records[1].genai.result(16).ttft_median_s
    assert f">{fmt_ms(ttft).removesuffix(' ms')}</text>" in small  # the number over the bar; ms in the title
    assert f"b, 16 tokens: {fmt_ms(ttft)}</title>" in small  # with its unit where the bar is hovered


def test_the_html_report_has_each_runs_table_per_prompt_length(genai_runs, tmp_path):
    """`aipcprof compare --html`: besides the comparison per length, each generative run's section carries the
    results panel's table (app/report/genai_table.py): every cell the record's figure, its text escaped."""
    from app.report.genai_table import COLUMNS, row

    out = tmp_path / "one.html"
    assert main(["compare", str(genai_runs[1]), "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<h2>Generative runs per prompt length</h2>" in page and "<h3>Generation per prompt length</h3>" in page
    assert "".join(f"<th>{h}</th>" for h, _ in COLUMNS) in page
    g = rec.load(genai_runs[1]).genai
    for x in g.results:
        cells = row(x)
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" in page, cells
    assert cells[-1].startswith("unavailable: ")  # no power source: the reason, not a number


def test_a_log_scale_cdf_has_1_2_5_ticks(qapp):
    """A wide spread (generative runs' decode steps often) puts the CDF on a log axis: one label per 1-2-5
    step, not pyqtgraph's 2*10^1 3*10^1 ... crowded together; a narrow one goes back to automatic ticks."""
    import numpy as np

    from app.views.compare_charts import CdfPlot
    from app.views.theme import LIGHT

    plot = CdfPlot(LIGHT)
    axis = plot.getPlotItem().getAxis("bottom")
    plot.set_runs([None], ["wide"], [(np.array([3.0, 10.0, 480.0]), np.array([0.3, 0.6, 1.0]))])
    assert plot.log_x and [label for _, label in axis._tickLevels[0]] == ["5", "10", "20", "50", "100", "200"]
    plot.set_runs([None], ["narrow"], [(np.array([3.0, 4.0]), np.array([0.5, 1.0]))])
    assert not plot.log_x and axis._tickLevels is None
    plot.close()


def test_the_bars_legend_keeps_the_end_of_long_run_names_where_runs_of_one_model_differ():
    from app.report.svg import short_middle

    a, b = "decoder-512 on genai/cpu 04:36:53", "decoder-512 on genai/cpu 04:37:04"
    assert short_middle(a, 28) != short_middle(b, 28)
    assert len(short_middle(a, 28)) == 28 and short_middle(a, 28).endswith("04:36:53")
    assert short_middle("short name", 28) == "short name"
