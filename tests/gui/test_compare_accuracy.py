"""The app's comparison table shows accuracy columns only when an eval is compared."""

from __future__ import annotations

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
