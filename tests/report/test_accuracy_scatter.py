"""Speed vs accuracy: the Pareto front on hand cases, and which runs share the chart (app/report/accuracy_scatter.py)."""

from __future__ import annotations

from app.record.accuracy_schema import (
    Accuracy,
    BinaryMetrics,
    ClassificationMetrics,
    DatasetInfo,
    DetectionMetrics,
    LabelScores,
    Task,
)
from app.record.schema import LatencyStats, RunRecord, RunStatus, TargetInfo
from app.report.accuracy_scatter import NO_ACCURACY, front_text, left_out_text, pareto_front, speed_accuracy


def test_pareto_single_point_is_the_front():
    assert pareto_front([(5.0, 0.5)]) == [True]
    assert pareto_front([]) == []


def test_pareto_dominated_points_are_off_the_front():
    # (latency ms, accuracy): b is faster and more accurate than c; a is fastest; d is most accurate
    pts = [(1.0, 0.80), (2.0, 0.90), (3.0, 0.85), (4.0, 0.95), (5.0, 0.95)]
    assert pareto_front(pts) == [True, True, False, True, False]  # e: as accurate as d, slower


def test_pareto_ties():
    # equal points do not dominate each other; same latency: the more accurate wins; same accuracy: the faster
    assert pareto_front([(2.0, 0.9), (2.0, 0.9)]) == [True, True]
    assert pareto_front([(2.0, 0.9), (2.0, 0.8)]) == [True, False]
    assert pareto_front([(1.0, 0.9), (2.0, 0.9)]) == [True, False]


def test_pareto_one_point_dominating_all():
    assert pareto_front([(3.0, 0.5), (1.0, 0.99), (2.0, 0.7)]) == [False, True, False]


def _eval(p50_s: float | None, top1: float | None = None, *, folder: str = "digits", f1: float | None = None,
          map95: float | None = None) -> RunRecord:
    r = RunRecord(TargetInfo("ort/cpu"), status=RunStatus.COMPLETED,
                  latency=LatencyStats(count=50 if p50_s else 0, p50=p50_s, mean=p50_s))
    ds = DatasetInfo(folder=folder, samples=50)
    if top1 is not None:
        r.accuracy = Accuracy(Task.CLASSIFICATION, dataset=ds,
                              classification=ClassificationMetrics(samples=50, classes=10, top1=top1))
    elif f1 is not None:
        r.accuracy = Accuracy(Task.BINARY, dataset=ds, binary=BinaryMetrics(overall=LabelScores(f1=f1)))
    elif map95 is not None:
        r.accuracy = Accuracy(Task.DETECTION, dataset=ds, detection=DetectionMetrics(map50=0.9, map50_95=map95))
    return r


def test_runs_are_points_or_named_with_the_reason():
    records = [_eval(0.002, 0.95), _eval(0.001, 0.90), _eval(0.003), _eval(0.004, 0.97), _eval(0.005, 0.80)]
    s = speed_accuracy(records, ["fp32", "u8", "plain run", "big", "slow"], baseline=0)
    assert s.metric == "top-1" and not s.log_x
    assert [(p.name, p.p50_ms, p.value, p.pareto) for p in s.points] == [
        ("fp32", 2.0, 0.95, True), ("u8", 1.0, 0.90, True), ("big", 4.0, 0.97, True), ("slow", 5.0, 0.80, False)]
    assert [p.name for p in s.front] == ["u8", "fp32", "big"]
    assert [(x.name, x.reason) for x in s.left_out] == [("plain run", NO_ACCURACY)]
    assert front_text(s) == "Pareto front (lower latency, higher top-1; fastest first): u8, fp32, big"
    assert left_out_text(s) == "Not plotted: plain run (no accuracy section)"


def test_other_metrics_and_data_are_not_mixed():
    records = [_eval(0.002, f1=0.7), _eval(0.001, 0.9), _eval(0.003, 0.8), _eval(0.002, 0.85, folder="other"),
               _eval(0.001, map95=0.4)]
    s = speed_accuracy(records, ["bin", "a", "b", "c", "det"], baseline=1)
    assert s.metric == "top-1"
    assert [p.name for p in s.points] == ["a", "b"]
    assert [x.name for x in s.left_out] == ["bin", "c", "det"]
    assert s.left_out[0].reason == "scored as F1, not top-1: not mixed on one axis"
    assert s.left_out[1].reason == "scored on other data or another task: not mixed on one axis"
    assert s.left_out[2].reason.startswith("scored as mAP@0.5:0.95, not top-1")


def test_a_plain_baseline_plots_the_largest_group_and_log_axis_for_a_wide_spread():
    records = [_eval(0.002), _eval(0.0001, f1=0.6), _eval(0.001, 0.9), _eval(0.010, 0.95)]
    s = speed_accuracy(records, ["run", "bin", "a", "b"], baseline=0)
    assert s.metric in ("top-1", "F1")  # two groups of one: the first found
    records.append(_eval(0.0004, 0.8))
    s = speed_accuracy(records, ["run", "bin", "a", "b", "c"], baseline=0)
    assert s.metric == "top-1" and [p.name for p in s.points] == ["a", "b", "c"]
    assert s.log_x  # 10 ms / 0.4 ms = 25 > 20


def test_no_eval_at_all_and_an_eval_without_latency():
    s = speed_accuracy([_eval(0.001), _eval(0.002)], ["a", "b"])
    assert not s.points and not s.any_accuracy and s.metric == ""
    assert front_text(s) == "No run has an accuracy to plot."
    s = speed_accuracy([_eval(None, 0.9), _eval(0.001, 0.8)], ["stopped", "ok"])
    assert [p.name for p in s.points] == ["ok"] and s.points[0].pareto
    assert s.left_out[0].reason == "no p50 latency (no measured inference)"


def test_an_uncomputed_metric_says_why():
    r = _eval(0.001, 0.9)
    r.accuracy.classification.top1 = None
    r.accuracy.notes.append("no sample scored")
    s = speed_accuracy([r, _eval(0.002, 0.8)], ["x", "y"])
    assert s.left_out[0].reason == "top-1 not computed (no sample scored)"
    assert [p.name for p in s.points] == ["y"]


def test_svg_draws_every_point_rings_the_front_and_escapes_names():
    import xml.etree.ElementTree as ET

    from app.report.scatter_svg import scatter_svg

    records = [_eval(0.002, 0.95), _eval(0.001, 0.90), _eval(0.003), _eval(0.005, 0.80)]
    names = ["fp32", "<script>u8</script>", "plain", "slow"]
    svg = scatter_svg(records, names, 0, theme="light")
    root = ET.fromstring(svg)  # well-formed XML: the hostile name is escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}circle[@class='apc-ring']")) == 2  # fp32 and u8 on the front, slow is not
    dots = [c for c in root.findall(f".//{ns}circle") if c.get("class", "").startswith("apc-b")]
    assert [c.get("class") for c in dots] == ["apc-b0", "apc-b1", "apc-b3"]  # each run's series colour
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert "<script>u8</script>" in texts and "&lt;script&gt;" in svg and "<script>" not in svg.replace(
        "<script>u8</script>", "")  # only as text content, never as an element
    assert any(t.startswith("Pareto front (lower latency, higher top-1; fastest first): <script>u8</script>, fp32")
               for t in texts)
    assert "Not plotted: plain (no accuracy section)" in texts
    assert "95%" in texts and "80%" in texts  # the metric axis in percent


def test_svg_and_report_leave_the_chart_out_without_evals_and_put_it_in_with_them():
    from app.report.comparison import compare_rows
    from app.report.html import render_report
    from app.report.scatter_svg import scatter_svg
    from app.report.svg import comparison_svg

    plain = [_eval(0.001), _eval(0.002)]
    assert scatter_svg(plain, ["a", "b"]) == ""
    assert "Speed vs accuracy" not in render_report(plain, ["a", "b"])
    evals = [_eval(0.002, 0.95), _eval(0.001, 0.90), _eval(0.003)]
    names = ["fp32", "u8 & co", "plain"]
    html = render_report(evals, names)
    assert "Speed vs accuracy" in html and "u8 &amp; co, fp32" in html and "plain (no accuracy section)" in html
    svg = comparison_svg(evals, names, compare_rows(evals, names, 0))
    assert svg.count("<svg") == 1 and "Speed vs accuracy" in svg and 'class="apc-ring"' in svg


def test_label_slots_keep_labels_apart():
    from app.report.accuracy_scatter import label_slots

    # three points on one line, labels 100 px wide: the second and third collide with the first
    assert label_slots([(0, 100), (30, 100), (60, 100)], [(8, 108), (38, 138), (68, 168)], 14) == [0, 1, 2]
    # far apart: every label just above its point
    assert label_slots([(0, 100), (300, 100)], [(8, 108), (308, 408)], 14) == [0, 0]
    # one line apart vertically: no overlap, both above
    assert label_slots([(0, 100), (10, 60)], [(8, 108), (18, 118)], 14) == [0, 0]
    assert label_slots([], [], 14) == []
    # at the top of the plot: no room above, the labels go below, one under the other
    assert label_slots([(0, 10), (30, 10)], [(8, 108), (38, 138)], 14, bounds=(0, 200)) == [1, 3]
