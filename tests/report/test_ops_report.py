"""The operator profile in the comparison's reports: the op-type difference (app.report.ops_compare), the SVG
charts and the HTML report's sections, on profiles parsed from the recorded runtime files; node names escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from app.record import ops
from app.record.ops import OpBy
from app.record.schema import OpProfile
from app.report import ops_compare
from app.report.comparison import compare_rows
from app.report.html import render_report
from app.report.ops_bars import chart_bars
from app.report.ops_svg import top_ops_svg, type_diff_svg
from app.report.palette import DARK, LIGHT, device_kind
from app.report.svg import comparison_svg
from tests.op_records import profile, record
from tests.report.conftest import EVIL

SVG_NS = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG_NS}rect") if e.get("class", "").startswith("apc-d")]


def test_device_kinds_and_their_colours():
    assert [device_kind(d) for d in ("CPU", "NPU", "Hexagon HTP emulator", "GPU", "DSP", "?")] == [
        "CPU", "NPU", "NPU", "GPU", "NPU", "other"]
    assert LIGHT.device_color("CPU") != LIGHT.device_color("NPU") != LIGHT.device_color("GPU")
    assert DARK.device_color("Hexagon HTP emulator") == DARK.devices["NPU"]


def test_type_diff_of_two_ort_profiles_is_type_changes():
    a, b = record("ort_cpu"), record("ort_cpu", "ort/cpu")
    for n in b.op_profile.top:  # the same trace, every operator twice as fast
        if n.time_s is not None:
            n.time_s /= 2
    d = ops_compare.type_diff([a, b], ["a", "b"], 0)
    assert d.message == "" and d.note == "" and (d.a, d.b) == (0, 1)
    assert d.changes == ops.type_changes(a.op_profile, b.op_profile, ops_compare.TOP_TYPES)
    assert all(c.ratio == pytest.approx(2.0) for c in d.changes)
    assert ops_compare.ratio_text(d.changes[0], "b") == "2.00\u00d7 faster on b"


def test_type_diff_reasons():
    plain, ort, ov = record(None), record("ort_cpu"), record("ov_cpu", "ov/cpu")
    assert ops_compare.type_diff([plain, record(None)], ["a", "b"], 0) is None  # nobody asked: nothing to say
    d = ops_compare.type_diff([ort, plain], ["ort", "plain"], 0)
    assert d.b == -1 and "plain: no operator profile" in d.message
    broken = record(None)
    broken.op_profile = OpProfile(available=False, reason="the runtime wrote no trace")
    d = ops_compare.type_diff([broken, ort], ["broken", "ort"], 0)
    assert "The baseline broken has operator profile unavailable: the runtime wrote no trace" in d.message
    d = ops_compare.type_diff([ort, ov], ["ort", "ov"], 0)  # ONNX op types vs OpenVINO's own
    assert d.changes and "No op type in common (onnxruntime and openvino)" in d.note
    assert all((c.a_s is None) != (c.b_s is None) for c in d.changes)


def test_top_operators_svg_one_bar_part_per_timed_node_coloured_by_device():
    p = profile("ov_cpu")
    svg = top_ops_svg(p, theme="light", top=100)
    timed = [n for n in p.top if n.time_s is not None]
    assert len(_bars(svg)) == len(timed) + 1  # + the legend's swatch (one device)
    assert ".apc-dCPU{fill:" + LIGHT.devices["CPU"] in svg
    for n in timed:
        assert n.name[:33] in svg


def test_comparison_svg_carries_the_op_type_chart_only_when_asked():
    a, b = record("ort_cpu"), record("qnn_two", "ort/qnn/htp-emulator")
    names = ["cpu", "qnn"]
    svg = comparison_svg([a, b], names, compare_rows([a, b], names), theme="dark")
    assert "Time per op type" in svg and "only in one run" in svg
    ET.fromstring(svg)  # well-formed
    plain = [record(None), record(None)]
    assert "Time per op type" not in comparison_svg(plain, names, compare_rows(plain, names))
    one = [record(None), a]  # a baseline without a profile: the reason, then the other run's top operators
    svg = comparison_svg(one, names, compare_rows(one, names))
    assert "The baseline cpu has no operator profile" in svg and "Slowest operators on qnn" in svg
    assert len(_bars(svg)) == len(chart_bars(a.op_profile, OpBy.NODE)) + 1  # + the legend swatch


def test_html_report_has_each_runs_operators_and_the_op_type_section():
    a, b = record("ort_cpu", inference_s=0.0015), record("qnn", "ort/qnn/htp-emulator")
    html = render_report([a, b], ["cpu", "qnn"], 0, theme="light")
    assert html.count("<h3>Operators</h3>") == 2 and "<h2>Operator types</h2>" in html
    for n in a.op_profile.top:
        assert f"<td>{n.name}</td>" in html
    fused = b.op_profile.top[0]
    inner = [n.name for n in b.op_profile.inside(fused.name)]
    assert all(f"\u2514</span> {name}</td>" in html for name in inner[:5])  # the EP's rows under the node
    assert "share of the accelerator cycles" in html  # the EP's note
    assert "vs measured p50 1.500 ms" in html


def test_html_report_says_why_there_is_no_operator_table():
    plain = record(None)
    broken = record(None)
    broken.op_profile = OpProfile(available=False, reason="no per-op data from this EP")
    html = render_report([plain, broken], ["plain", "broken"], 0)
    assert "Operator profile: not recorded" in html
    assert "Operator profile unavailable: no per-op data from this EP." in html
    assert "baseline plain has no operator profile" in html


def test_node_names_are_escaped_in_html_and_svg():
    a = record("ort_cpu")
    for n in a.op_profile.nodes:
        n.name = n.name + EVIL
        n.op_type = n.op_type + EVIL
    for g in a.op_profile.by_type:
        g.key = g.key + EVIL
    b = record("ort_cpu")
    html = render_report([a, b], ["a", "b"], 0)
    assert EVIL not in html and "&lt;script&gt;" in html
    svg = top_ops_svg(a.op_profile)
    assert "<script" not in svg
    ET.fromstring(svg)
    d = ops_compare.type_diff([a, b], ["a", "b"], 0)
    assert "<script" not in type_diff_svg(d) and re.search(r"&lt;script&gt;", type_diff_svg(d))
