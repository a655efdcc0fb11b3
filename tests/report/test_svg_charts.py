"""SVG charts: well-formed XML, escaped text, N/A as a labelled gap, both themes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from app.record.schema import LatencyStats, RunStatus
from app.report.comparison import CheckState, ComparisonRow, compare_rows
from app.report.svg import (
    MAX_CDF_POINTS,
    comparison_svg,
    esc,
    latency_cdf_svg,
    metric_bars_svg,
    nice_ticks,
)
from tests.report.conftest import EVIL

NS = "{http://www.w3.org/2000/svg}"


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def _runs(factory):
    recs = [factory("ort/cpu", 0.004, ok=None), factory("ov/npu", 0.001, energy_j=0.0005, seed=1),
            factory("ort/qnn/npu", 0.002, seed=2)]
    recs[2].latency.samples = np.zeros(0)  # a run that measured nothing
    names = ["cpu", f"npu {EVIL}", "qnn & <friends>"]
    return recs, names


@pytest.mark.parametrize("theme", ["auto", "light", "dark"])
def test_charts_are_well_formed_in_every_theme(record_factory, theme):
    recs, names = _runs(record_factory)
    rows = compare_rows(recs, names)
    for svg in (latency_cdf_svg(recs, names, theme=theme), metric_bars_svg(rows, theme=theme),
                comparison_svg(recs, names, rows, theme=theme)):
        root = ET.fromstring(svg)
        assert root.tag == f"{NS}svg" and root.get("viewBox")
        assert ("prefers-color-scheme" in svg) == (theme == "auto")
        assert "<svg" not in svg[4:]  # no nested <svg>: Qt's SVG Tiny renderer skips them


def test_names_are_escaped_not_markup(record_factory):
    recs, names = _runs(record_factory)
    svg = comparison_svg(recs, names, compare_rows(recs, names))
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{NS}script")) and not list(root.iter("script"))
    texts = _texts(root)
    assert any(EVIL in t for t in texts) and any("qnn & <friends>" in t for t in texts)


def test_control_characters_and_quotes_cannot_break_the_xml():
    nasty = 'a\x00b\x1b"c\'d</text><script>x</script>'
    assert "\x00" not in esc(nasty) and "<" not in esc(nasty) and '"' not in esc(nasty)
    rows = [ComparisonRow(run=nasty, model=nasty, target=nasty, host=nasty, status=RunStatus.COMPLETED, p50_ms=1.0,
                          p99_ms=2.0, throughput_per_s=10.0, speedup_vs_baseline=None, accelerator_share=None,
                          max_abs_error=None, min_cosine=None, output_check=CheckState.NOT_RUN, precision=nasty,
                          energy_mj_per_inference=None)]
    ET.fromstring(metric_bars_svg(rows))


def test_missing_values_are_labelled_gaps_not_zero_bars(record_factory):
    recs, names = _runs(record_factory)
    rows = compare_rows(recs, names)
    root = ET.fromstring(metric_bars_svg(rows, theme="light"))
    gaps = [r for r in root.iter(f"{NS}rect") if r.get("class") == "apc-gap"]
    missing = sum(getattr(row, k) is None for row in rows
                  for k in ("p50_ms", "p99_ms", "throughput_per_s", "energy_mj_per_inference"))
    assert missing == 2 and len(gaps) == missing  # two runs without energy
    assert _texts(root).count("N/A") == missing
    bars = [r for r in root.iter(f"{NS}rect") if (r.get("class") or "").startswith("apc-b")]
    assert all(float(b.get("width")) >= 1.0 for b in bars)


def test_cdf_one_curve_per_run_with_samples(record_factory):
    recs, names = _runs(record_factory)
    root = ET.fromstring(latency_cdf_svg(recs, names))
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 2 and {line.get("class") for line in lines} == {"apc-l0", "apc-l1"}
    assert any("N/A: no latency samples" in t for t in _texts(root))


def test_cdf_is_downsampled_and_monotonic(record_factory):
    r = record_factory(n=20000)
    root = ET.fromstring(latency_cdf_svg([r], ["big"]))
    pts = [tuple(map(float, p.split(","))) for p in next(root.iter(f"{NS}polyline")).get("points").split()]
    assert len(pts) <= MAX_CDF_POINTS
    xs, ys = zip(*pts, strict=True)
    assert list(xs) == sorted(xs) and list(ys) == sorted(ys, reverse=True)  # SVG y grows downwards


def test_no_samples_at_all_still_renders(record_factory):
    r = record_factory()
    r.latency = LatencyStats()
    svg = latency_cdf_svg([r], ["empty"])
    assert "N/A: no run has latency samples" in svg
    ET.fromstring(svg)


def test_nice_ticks():
    assert nice_ticks(0.138, 0.62) == [0.2, 0.3, 0.4, 0.5, 0.6]
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(12, 987) == [200, 400, 600, 800]


def test_unknown_theme_is_refused(record_factory):
    with pytest.raises(ValueError):
        latency_cdf_svg([record_factory()], ["a"], theme="purple")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_colours_come_from_the_shared_palette(record_factory, theme):
    from app.report.palette import PALETTES

    p = PALETTES[theme]
    svg = latency_cdf_svg([record_factory()], ["a"], theme=theme)
    for colour in (p.background, p.foreground, p.muted, p.border, *p.series):
        assert colour in svg
    assert p.series_color(len(p.series) + 1) == p.series[1]
