"""The HTML report: self-contained (no external references), every record string escaped, content present."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from app.record import io as rec
from app.report.html import render_report
from tests.report.conftest import EVIL

EXTERNAL = [
    re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:|//|file:|ftp:)""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"url\s*\(", re.I),
    re.compile(r"<\s*(?:script|link|iframe|object|embed|img|base|form)\b", re.I),
]
VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "line", "polyline", "path", "circle"}


def _poison(obj):
    """Every string value gets a script tag appended; some keys too (maps keyed by names)."""
    if isinstance(obj, str):
        return obj + EVIL
    if isinstance(obj, list):
        return [_poison(v) for v in obj]
    if isinstance(obj, dict):
        return {k: (v if k == "schema" else _poison(v)) for k, v in obj.items()}
    return obj


def _hostile_record(factory) -> dict:
    r = _poison(factory("ov/npu", 0.001, ok=False))
    r["schema_version"] = 1
    r["placement"]["nodes_by_provider"] = {f"NPU{EVIL}": 7, f"CPU{EVIL}": 3}
    r["settings"][f"opt{EVIL}"] = {f"k{EVIL}": f"v{EVIL}"}
    r["warnings"] = [f"NOTHING RAN ON {EVIL}", f"plain {EVIL}"]
    r["error"] = {"message": f"boom {EVIL}", "hint": f"fix {EVIL}", "kind": "x", "phase": "load"}
    r["energy"] = {"available": True, "j_per_inference": 0.002, "covers": f"rail {EVIL}", "method": EVIL}
    r["telemetry"] = {"series": {f"npu{EVIL}/temp": {
        "device": EVIL, "metric": "temp", "unit": f"degC{EVIL}", "kind": "NPU", "status": "ok", "source": EVIL,
        "t_s": [0.0, 0.1], "values": [50.0, 51.0], "summary": {"count": 2, "mean": 50.5, "max": 51.0}}}}
    return r


def _assert_inert_no_evil(html: str) -> None:
    """No script element, nothing loaded from anywhere."""
    assert "<script" not in html.lower()
    for pattern in EXTERNAL:
        assert not pattern.search(html), pattern.pattern


def _assert_inert(html: str) -> None:
    """As above, and the hostile string is there, escaped."""
    _assert_inert_no_evil(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


class _Balance(HTMLParser):
    """Every non-void element opened is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, tag


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def test_report_from_real_runs_with_a_hostile_model(real_runs):
    records = [rec.load(real_runs["conv_t1"]), rec.load(real_runs["evil"])]
    assert EVIL in records[1]["model"]["graph_name"]  # the names really carry the tag
    assert EVIL in records[1]["inputs"][0]["name"]
    html = render_report(records, ["conv", "evil"], baseline=0)
    _assert_inert(html)
    assert "a different model from conv" in html  # different models are flagged
    assert len(_svgs(html)) == 2
    _Balance().feed(html)


def test_every_record_string_is_escaped(record_factory):
    records = [record_factory("ort/cpu", 0.004, ok=None), _hostile_record(record_factory)]
    names = ["base", f"name {EVIL}"]
    html = render_report(records, names, baseline=0, title=f"title {EVIL}")
    _assert_inert(html)
    _Balance().feed(html)
    for svg in _svgs(html):
        assert not list(svg.iter("{http://www.w3.org/2000/svg}script"))


def test_no_external_references_and_a_strict_csp(record_factory):
    html = render_report([record_factory("ort/cpu", ok=None), record_factory("ov/npu", 0.001)], ["a", "b"])
    _assert_inert_no_evil(html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_report_content(record_factory):
    cpu = record_factory("ort/cpu", 0.004, ok=None, host="desk")
    npu = record_factory("ov/npu", 0.001, energy_j=0.0005, host="laptop")
    npu["settings"]["threads"] = 4
    npu["warnings"] = ["NOTHING RAN ON NPU: 0 of 10 nodes were placed there"]
    html = render_report([cpu, npu], ["cpu-run", "npu-run"], baseline=0, generated_utc="2026-01-01T00:00:00Z")
    assert "<h1>m.onnx on desk, laptop</h1>" in html
    assert "Recommended: ov/npu (npu-run)" in html and "4.00x faster" in html
    assert "<td>4.00x</td>" in html and "<td>1.00x</td>" in html
    assert 'class="base"' in html and "cpu-run  (baseline)" in html
    assert '<td class="diff">4</td>' in html  # threads differs from the baseline
    assert "hostname" in html and "NOTHING RAN ON NPU" in html
    assert "0.500 mJ" in html and "Energy: N/A (no power source)" in html
    for section in ("Phases", "Latency", "Placement and precision", "Output check", "Telemetry and energy"):
        assert f"<h3>{section}</h3>" in html
    assert "prefers-color-scheme: dark" in html


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_explicit_theme(record_factory, theme):
    html = render_report([record_factory()], ["a"], theme=theme)
    assert "prefers-color-scheme" not in html
    assert ("#1e1f22" in html) == (theme == "dark")


def test_failed_and_empty_runs_render(record_factory):
    failed = record_factory("ov/npu")
    failed.update(status="failed", latency=None, placement=None, phases=None, output_check=None, telemetry=None,
                  energy=None, error={"message": "compile failed", "hint": "try fp16", "kind": "x", "phase": "compile"})
    html = render_report([record_factory(), failed], ["ok", "bad"])
    assert "compile failed try fp16" in html and "No measured inferences." in html
    _Balance().feed(html)
