"""The HTML report: self-contained (no external references), every record string escaped, content present."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from app.common.errors import ErrorKind
from app.record import io as rec
from app.record.schema import LatencyStats, RunError, RunRecord, RunStatus, Telemetry, WarningKind
from app.report.html import render_report
from tests.report.conftest import EVIL, record_json

EXTERNAL = [
    re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:|//|file:|ftp:)""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"url\s*\(", re.I),
    re.compile(r"<\s*(?:script|link|iframe|object|embed|img|base|form)\b", re.I),
]
VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "line", "polyline", "path", "circle"}


# Keys whose values are enums in the typed record: a file cannot put a script tag there (it fails to load).
_ENUM_KEYS = {"schema", "status"}


def _poison(obj):
    """Every string value gets a script tag appended; some keys too (maps keyed by names)."""
    if isinstance(obj, str):
        return obj + EVIL
    if isinstance(obj, list):
        return [_poison(v) for v in obj]
    if isinstance(obj, dict):
        return {k: (v if k in _ENUM_KEYS else _poison(v)) for k, v in obj.items()}
    return obj


def _hostile_record() -> RunRecord:
    """A version-1 file where every string a record can hold carries a script tag."""
    r = _poison(record_json("ov/npu", 0.001, ok=False))
    r["schema_version"] = 1
    r["placement"]["nodes_by_provider"] = {f"NPU{EVIL}": 7, f"CPU{EVIL}": 3}
    r["settings"][f"opt{EVIL}"] = {f"k{EVIL}": f"v{EVIL}"}  # an unknown key: dropped on load
    r["settings"]["ep_options"] = {f"k{EVIL}": f"v{EVIL}"}
    r["warnings"] = [f"NOTHING RAN ON {EVIL}", f"plain {EVIL}"]
    r["error"] = {"message": f"boom {EVIL}", "hint": f"fix {EVIL}", "kind": f"internal:x{EVIL}", "phase": "load"}
    r["energy"] = {"available": True, "j_per_inference": 0.002, "covers": f"rail {EVIL}", "method": EVIL}
    r["telemetry"] = {"series": {f"npu{EVIL}/temp": {
        "device": EVIL, "metric": "temp", "unit": f"degC{EVIL}", "kind": "NPU", "status": "ok", "source": EVIL,
        "t_s": [0.0, 0.1], "values": [50.0, 51.0], "summary": {"count": 2, "mean": 50.5, "max": 51.0}}}}
    record = rec.parse(r, "hostile.json")
    assert record.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR)  # the placement warning is recognised
    assert EVIL in record.error.detail and EVIL in record.model.producer
    return record


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
    assert EVIL in records[1].model.graph_name  # the names really carry the tag
    assert EVIL in records[1].inputs[0].name
    html = render_report(records, ["conv", "evil"], baseline=0)
    _assert_inert(html)
    assert "a different model from conv" in html  # different models are flagged
    assert len(_svgs(html)) == 2
    _Balance().feed(html)


def test_every_record_string_is_escaped(record_factory):
    records = [record_factory("ort/cpu", 0.004, ok=None), _hostile_record()]
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
    npu.settings.threads = 4
    npu.warn(WarningKind.NOTHING_ON_ACCELERATOR, "NOTHING RAN ON NPU: 0 of 10 nodes were placed there")
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
    failed.status, failed.latency, failed.placement, failed.phases = RunStatus.FAILED, LatencyStats(), None, {}
    failed.output_check, failed.telemetry, failed.energy = None, Telemetry(), None
    failed.error = RunError("compile failed", ErrorKind.INTERNAL, hint="try fp16", phase="compile")
    html = render_report([record_factory(), failed], ["ok", "bad"])
    assert "compile failed try fp16" in html and "No measured inferences." in html
    _Balance().feed(html)


def test_placement_failures_are_picked_by_kind_not_by_wording(record_factory):
    cpu = record_factory("ort/cpu", 0.004, ok=None)
    npu = record_factory("ov/npu", 0.001, share=0.0)
    npu.warn(WarningKind.NOTHING_ON_ACCELERATOR, "0 of 10 nodes on the NPU: the CPU fallback was measured", first=True)
    gpu = record_factory("ov/gpu", 0.002)
    gpu.warn(WarningKind.OTHER, "NOTHING RAN ON the GPU is only a phrase here")
    html = render_report([cpu, npu, gpu], ["cpu", "npu", "gpu"])
    top = html.split("<h2>Warnings</h2>", 1)[1].split("</ul>", 1)[0]
    assert "npu: 0 of 10 nodes on the NPU: the CPU fallback was measured" in top
    assert "only a phrase" not in top
    assert html.count("NOTHING RAN ON the GPU is only a phrase here") == 1  # in its run's own warnings


def test_internal_error_detail_is_shown_escaped(record_factory):
    failed = record_factory("ov/npu")
    failed.status = RunStatus.FAILED
    failed.error = RunError("worker failed", ErrorKind.INTERNAL, phase="measure", detail=f"KeyError: {EVIL}")
    html = render_report([failed], ["bad"])
    assert "internal: KeyError: &lt;script&gt;" in html
    _assert_inert(html)
