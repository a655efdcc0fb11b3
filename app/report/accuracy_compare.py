"""Accuracy in a comparison: each run's headline metric and its difference from the baseline's.

A difference is only computed between runs scored the same way on the same
data (task, metric, data folder and labels); otherwise it is None and the row
says why, never a number that compares two different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.record.schema import RunRecord

NOT_EVAL = "not an eval"
OTHER_DATA = "other data"  # scored on another data set / task than the baseline


@dataclass(frozen=True)
class AccuracyCells:
    metric: str  # "top-1", "mAP@0.5:0.95", "F1", ... ; "" when the run has no accuracy
    value: float | None
    delta: float | None  # value - the baseline's value, both 0-1
    note: str  # why value / delta is missing


def score_key(r: RunRecord) -> tuple | None:
    """How a run was scored: (task, metric, data folder, labels, output); None when it has no accuracy."""
    acc = r.accuracy
    if acc is None:
        return None
    ds = acc.dataset
    return acc.task.value, acc.headline[0], ds.folder, ds.labels, acc.output


def accuracy_cells(r: RunRecord, base: RunRecord) -> AccuracyCells:
    if r.accuracy is None:
        return AccuracyCells("", None, None, NOT_EVAL)
    metric, value = r.accuracy.headline
    base_value = base.accuracy.headline[1] if base.accuracy is not None else None
    if score_key(r) != score_key(base) or value is None or base_value is None:
        note = "" if r is base else (NOT_EVAL if base.accuracy is None else OTHER_DATA)
        return AccuracyCells(metric, value, 0.0 if r is base and value is not None else None, note)
    return AccuracyCells(metric, value, value - base_value, "")


def data_warnings(records: list[RunRecord], names: list[str], baseline: int) -> list[str]:
    """Evals scored on other data than the baseline's eval: said once per run."""
    base = records[baseline]
    if base.accuracy is None:
        return []
    return [f"{n}: accuracy scored on other data or another task than {names[baseline]}; no Δ accuracy."
            for i, (n, r) in enumerate(zip(names, records, strict=True))
            if i != baseline and r.accuracy is not None and score_key(r) != score_key(base)]
