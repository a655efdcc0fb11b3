"""What a number may be shown as, decided once (app.report.facts) and the same in the comparison rows, the
CLI text, the HTML report and the recommendation: not measured, on CPU, too few inferences."""

from __future__ import annotations

import pytest

from app.common.fmt import fmt_speedup
from app.record.history import default_name
from app.record.schema import ModelInfo
from app.report import facts
from app.report.comparison import compare_rows, format_table, recommendation, recommendation_line
from app.report.html import render_report
from app.report.text import format_run


def _failed_before_measuring(record_factory, target="ov/npu"):
    """A run whose session opened (placement 100 %, fp32) and that failed before a measured inference."""
    r = record_factory(target, status="failed")
    r.latency.count = 0
    r.latency.p50 = r.latency.p99 = r.latency.throughput_per_s = None
    return r


def _small(record_factory, target="ov/npu", n=2, p50=0.001):
    return record_factory(target, p50, n=n)


def test_a_run_that_measured_nothing_has_no_share_and_no_precision(record_factory):
    r = _failed_before_measuring(record_factory)
    assert r.placement.accelerator_share == 1.0 and r.precision == "fp32"  # what the session said...
    share = facts.accelerator_share(r)
    assert share.value is None and share.text() == "not measured"  # ...is not a result
    assert facts.shown_precision(r) is None and facts.precision_text(r) == "not measured"
    row = compare_rows([record_factory("ort/cpu", ok=None), r], ["cpu", "npu"])[1]
    assert row.cell("accelerator_share") == "not measured" and row.cell("precision") == "not measured"
    text = format_run(r)
    assert "100%" not in text and "fp32" not in text and "placement, precision: not measured" in text
    html = render_report([record_factory("ort/cpu", ok=None), r], ["cpu", "npu"])
    assert "Placement and precision: not measured" in html
    assert "100%" not in html.split("<h2>Runs</h2>")[1].split("npu")[-1]


def test_the_cpu_target_runs_on_cpu_not_on_an_accelerator(record_factory):
    cpu = record_factory("ort/cpu", ok=None)
    cpu.placement.accelerator = cpu.target.provider = "CPUExecutionProvider"
    cpu.placement.nodes_by_provider = {"CPUExecutionProvider": 10}
    npu = record_factory("ov/npu", 0.001)
    assert facts.is_cpu_target(cpu) and not facts.is_cpu_target(npu)
    rows = compare_rows([cpu, npu], ["cpu", "npu"])
    assert rows[0].cell("accelerator_share") == "on CPU" and rows[1].cell("accelerator_share") == "100%"
    assert "on CPU" in format_table(rows).splitlines()[1]
    assert "placement: all 10 nodes on CPU" in format_run(cpu)
    assert "All 10 nodes on CPU" in render_report([cpu, npu], ["cpu", "npu"])
    assert recommendation([npu, cpu], ["npu", "cpu"], baseline=1).target == "ov/npu"  # the CPU stays a candidate
    slow_npu = record_factory("ov/npu", 0.010)
    assert recommendation([cpu, slow_npu], ["cpu", "npu"]).target == "ort/cpu"


def test_an_emulated_accelerator_on_the_cpu_keeps_its_share(record_factory):
    # The QNN HTP emulator runs on the CPU, but its share is the nodes QNN took versus those that fell back.
    r = record_factory("ort/qnn/htp-emulator", share=0.5)
    r.target.emulated = True
    assert not facts.is_cpu_target(r) and facts.accelerator_share(r).text() == "50%"


def test_a_small_sample_has_no_p99_and_its_count_beside_every_statistic(record_factory):
    small = _small(record_factory)
    assert facts.shown_p99(small) is None and facts.count_note(2) == "n=2" and facts.count_note(500) == ""
    base = record_factory("ort/cpu", 0.004, ok=None)
    rows = compare_rows([base, small], ["cpu", "npu"])
    assert rows[1].p99_ms is None and rows[1].cell("p99_ms") == "N/A (n=2)"
    assert rows[1].cell("p50_ms") == "1.000 ms (n=2)" and rows[1].cell("throughput_per_s").endswith("(n=2)")
    assert rows[1].speedup_vs_baseline is None  # 2 inferences: no speed-up...
    assert rows[0].cell("p50_ms") == "4.000 ms" and rows[0].cell("p99_ms") == "6.000 ms"  # 200: all of it
    assert recommendation([base, small], ["cpu", "npu"]).target == "ort/cpu"  # ...and never recommended
    assert recommendation([small], ["npu"]) is None
    line = recommendation_line([small, _small(record_factory, "ov/gpu", n=5)], ["npu", "gpu"])
    assert line == ("No recommendation: npu, gpu measured fewer than 30 inferences, too few to compare; "
                    "run longer.")


def test_the_small_sample_thresholds_are_the_ones_defined(record_factory):
    just_enough = _small(record_factory, n=facts.MIN_SAMPLES_FOR_P99)
    assert facts.shown_p99(just_enough) == pytest.approx(just_enough.latency.p99)
    one_less = _small(record_factory, n=facts.MIN_SAMPLES_FOR_P99 - 1)
    assert facts.shown_p99(one_less) is None
    base = record_factory("ort/cpu", 0.004, ok=None)
    comparable = compare_rows([base, _small(record_factory, n=facts.MIN_SAMPLES_TO_COMPARE)], ["a", "b"])[1]
    assert comparable.speedup_vs_baseline == pytest.approx(4.0)
    assert comparable.cell("speedup_vs_baseline") == "4.00x (n=30)"  # a speed-up, with its thin sample said
    too_few = compare_rows([base, _small(record_factory, n=facts.MIN_SAMPLES_TO_COMPARE - 1)], ["a", "b"])[1]
    assert too_few.speedup_vs_baseline is None and too_few.cell("speedup_vs_baseline") == "N/A (n=29)"


def test_small_samples_in_the_cli_text_and_the_html_report(record_factory):
    small = _small(record_factory)
    text = format_run(small)
    assert "latency (2 inferences)" in text and "p99 omitted: too few inferences for a p99 (2 < 100)" in text
    assert "p99 2" not in text and "throughput: 1,000 inferences/s (n=2)" in text
    html = render_report([record_factory("ort/cpu", 0.004, ok=None), small], ["cpu", "npu"])
    assert "p99 omitted: too few inferences for a p99 (2 &lt; 100)." in html
    assert "<td>N/A (n=2)</td>" in html  # the p99 cells: comparison table and the run's latency table
    assert "Recommended: ort/cpu (cpu)" in html  # the small run is not recommended


def test_a_much_slower_run_never_reads_as_zero_times_faster():
    assert fmt_speedup(0.00086) == "0.00086x" and fmt_speedup(0.094) == "0.094x"
    assert fmt_speedup(0.25) == "0.25x" and fmt_speedup(4) == "4.00x"


def test_a_run_that_failed_while_loading_is_named_by_its_file(record_factory):
    r = record_factory(status="failed")
    r.model = ModelInfo(path="/models/yolo/yolov8n.onnx")  # the worker stopped before reading the model
    assert r.model.display_name == "yolov8n.onnx"
    assert default_name(r) == "yolov8n.onnx on ort/cpu"
    assert ModelInfo(path="C:\\models\\resnet50.onnx").display_name == "resnet50.onnx"
    assert ModelInfo(name="m.onnx", path="/x/other.onnx").display_name == "m.onnx"
    assert "yolov8n.onnx on ort/cpu" in format_run(r)
