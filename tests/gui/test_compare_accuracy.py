"""The app's comparison table shows accuracy columns only when an eval is compared."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.record.accuracy_schema import Accuracy, ClassificationMetrics, DatasetInfo, Task
from app.record.schema import LatencyStats, RunRecord, RunStatus, TargetInfo
from app.views.compare_tables import RUN_COLUMNS


def _record(target: str, top1: float | None = None) -> RunRecord:
    r = RunRecord(TargetInfo(target), status=RunStatus.COMPLETED, latency=LatencyStats(count=50, p50=0.001, mean=0.001))
    if top1 is not None:
        r.accuracy = Accuracy(Task.CLASSIFICATION, dataset=DatasetInfo(folder="d", samples=50),
                              classification=ClassificationMetrics(samples=50, classes=10, top1=top1))
    return r


def test_accuracy_columns_hidden_for_runs_shown_for_evals(qtbot):
    from app.views.compare_view import CompareView

    view = CompareView()
    qtbot.addWidget(view)
    col = {key: c for c, (key, _) in enumerate(RUN_COLUMNS)}
    view.set_runs([_record("ort/cpu"), _record("ov/cpu")], ["a", "b"])
    assert view.table.isColumnHidden(col["accuracy"]) and view.table.isColumnHidden(col["accuracy_delta_vs_baseline"])
    view.set_runs([_record("ort/cpu", 0.9), _record("ov/cpu", 0.85), _record("ov/cpu")], ["a", "b", "c"])
    assert not view.table.isColumnHidden(col["accuracy"])
    cells = [(view.table.item(r, col["accuracy"]).text(), view.table.item(r, col["accuracy_delta_vs_baseline"]).text())
             for r in range(3)]
    assert cells == [("top-1 90.0%", "+0.0 pp"), ("top-1 85.0%", "-5.0 pp"), ("N/A (not an eval)", "N/A (not an eval)")]


def _timed(target: str, p50_s: float, top1: float | None) -> RunRecord:
    r = _record(target, top1)
    r.latency = LatencyStats(count=50, p50=p50_s, mean=p50_s)
    return r


def test_scatter_shown_for_evals_with_the_front_and_the_runs_left_out(qtbot):
    from app.views.compare_view import CompareView

    view = CompareView()
    qtbot.addWidget(view)
    view.set_runs([_record("ort/cpu"), _record("ov/cpu")], ["a", "b"])
    assert view.scatter_box.isHidden()  # no eval: no chart
    records = [_timed("ort/cpu", 0.002, 0.95), _timed("ort/cpu", 0.001, 0.90), _timed("ov/cpu", 0.003, 0.85),
               _record("ov/cpu")]
    names = ["fp32", "<b>u8</b>", "slow", "plain"]
    view.set_runs(records, names)
    assert not view.scatter_box.isHidden()
    s = view.scatter.scatter
    assert [(p.name, p.pareto) for p in s.points] == [("fp32", True), ("<b>u8</b>", True), ("slow", False)]
    assert [label.toPlainText() for label in view.scatter.labels] == ["fp32", "<b>u8</b>", "slow"]
    assert view.scatter.front_label.text().endswith(": <b>u8</b>, fp32")
    assert view.scatter.front_label.textFormat() == Qt.TextFormat.PlainText
    assert view.scatter.left_out_label.text() == "Not plotted: plain (no accuracy section)"
    axis = view.scatter.plot.getPlotItem().getAxis("left")
    assert axis.labelText.startswith("top-1 (%)")


def test_png_figure_has_the_scatter_only_with_evals(qtbot):
    from app.views.export import ComparisonFigure

    fig = ComparisonFigure([_record("ort/cpu"), _record("ov/cpu")], ["a", "b"], 0, dark=False)
    qtbot.addWidget(fig)
    assert fig.scatter is None
    fig = ComparisonFigure([_timed("ort/cpu", 0.002, 0.9), _timed("ov/cpu", 0.001, 0.8)], ["a", "b"], 0, dark=True)
    qtbot.addWidget(fig)
    assert [p.pareto for p in fig.scatter.scatter.points] == [True, True]
