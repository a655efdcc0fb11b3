"""Speed vs accuracy: one point per eval run (p50 latency, the task's headline metric) and the Pareto front.

Only runs scored the same way on the same data share the chart (the same key
as the Δ accuracy column: task, metric, data folder, labels, output): top-1 on
one data set and F1 on another are not on one axis. The group shown is the
baseline's when the baseline is an eval, else the largest one. Every run that
is not a point is listed with the reason ("no accuracy section", "scored as F1,
not top-1", ...), never dropped silently. No Qt: the app's chart, the PNG, the
SVG and the HTML report all draw this.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from app.common.fmt import number
from app.record.schema import RunRecord
from app.report.accuracy_compare import score_key

LOG_SPREAD = 20.0  # log latency axis when the slowest p50 is 20x the fastest (as the latency CDF)
NO_ACCURACY = "no accuracy section"


@dataclass(frozen=True)
class ScatterPoint:
    run: int  # index of the run in the comparison (its colour)
    name: str
    p50_ms: float
    value: float  # the metric, 0-1
    pareto: bool  # on the front: no other point is as fast and as accurate, and better in one


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str


@dataclass(frozen=True)
class Scatter:
    metric: str  # the y axis: "top-1", "mAP@0.5:0.95", "F1", "top-1 agreement", ...; "" when no point
    points: list[ScatterPoint] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    log_x: bool = False

    @property
    def front(self) -> list[ScatterPoint]:
        """The Pareto points from the fastest to the most accurate."""
        return sorted((p for p in self.points if p.pareto), key=lambda p: (p.p50_ms, -p.value))

    @property
    def any_accuracy(self) -> bool:
        """Whether any run has an accuracy section (else the chart is not drawn at all)."""
        return bool(self.points) or any(x.reason != NO_ACCURACY for x in self.left_out)


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """For (latency, accuracy) pairs: True where no other pair dominates it (latency <= and accuracy >=, one of
    them strictly). Equal pairs do not dominate each other: both are on the front."""
    return [not any(lb <= la and vb >= va and (lb < la or vb > va) for lb, vb in points) for la, va in points]


def _p50_ms(r: RunRecord) -> float | None:
    v = number(r.latency.p50)
    return v * 1e3 if v is not None and v > 0 else None


def _group(records: list[RunRecord], baseline: int) -> tuple | None:
    """The score key plotted: the baseline's when it is a scored eval, else the most common one."""
    keys = [score_key(r) for r in records]
    base = keys[baseline] if 0 <= baseline < len(records) else None
    if base is not None and records[baseline].accuracy.headline[1] is not None:
        return base
    scored = [k for k, r in zip(keys, records, strict=True) if k is not None and r.accuracy.headline[1] is not None]
    return Counter(scored).most_common(1)[0][0] if scored else base


def _reason(r: RunRecord, key: tuple | None, group: tuple | None) -> str | None:
    """Why a run is not a point; None: it is one."""
    if r.accuracy is None:
        return NO_ACCURACY
    metric, value = r.accuracy.headline
    if value is None or not math.isfinite(value):
        return f"{metric} not computed" + (f" ({r.accuracy.notes[0]})" if r.accuracy.notes else "")
    if group is not None and key != group:
        if metric != group[1]:
            return f"scored as {metric}, not {group[1]}: not mixed on one axis"
        return "scored on other data or another task: not mixed on one axis"
    if _p50_ms(r) is None:
        return "no p50 latency (no measured inference)"
    return None


def speed_accuracy(records: list[RunRecord], names: list[str], baseline: int = 0) -> Scatter:
    """The chart's points, Pareto flags and the runs left out, for runs in comparison order."""
    group = _group(records, baseline)
    kept: list[tuple[int, float, float]] = []
    left_out = []
    for i, (r, name) in enumerate(zip(records, names, strict=True)):
        reason = _reason(r, score_key(r), group)
        if reason is None:
            kept.append((i, _p50_ms(r), r.accuracy.headline[1]))  # type: ignore[arg-type]
        else:
            left_out.append(LeftOut(name, reason))
    flags = pareto_front([(lat, v) for _, lat, v in kept])
    points = [ScatterPoint(i, names[i], lat, v, flag) for (i, lat, v), flag in zip(kept, flags, strict=True)]
    lats = [p.p50_ms for p in points]
    log_x = bool(lats) and max(lats) / min(lats) > LOG_SPREAD
    return Scatter(group[1] if group and points else "", points, left_out, log_x)


def front_text(s: Scatter) -> str:
    """'Pareto front (fastest to most accurate): a, b' — the same words in the app, the PNG, the SVG, the HTML."""
    if not s.points:
        return "No run has an accuracy to plot."
    return "Pareto front (lower latency, higher " + s.metric + "; fastest first): " + \
        ", ".join(p.name for p in s.front)


def left_out_text(s: Scatter) -> str:
    """'Not plotted: a (no accuracy section); b (scored as F1, not top-1: ...)'; "" when every run is a point."""
    return ("Not plotted: " + "; ".join(f"{x.name} ({x.reason})" for x in s.left_out)) if s.left_out else ""


def label_slots(points: list[tuple[float, float]], boxes: list[tuple[float, float]], line: float,
                bounds: tuple[float, float] = (-math.inf, math.inf)) -> list[int]:
    """Where each point's label goes, so that labels do not cover each other: slot 0 just above the point,
    1 just below, 2 a line higher, 3 a line lower, ... Points (x, y) and each label's horizontal extent
    (left, right) are in the chart's pixels (y down), `line` the text's height, `bounds` the plot's (top,
    bottom); greedily, in the points' order, the first slot inside the bounds whose box overlaps no label
    placed before (when none is free, the first inside the bounds)."""
    placed: list[tuple[float, float, float, float]] = []
    slots = []
    for (_, y), (left, right) in zip(points, boxes, strict=True):
        candidates = []
        for k in range(2 * len(points) + 2):
            top = y - line * (1.1 + k // 2) if k % 2 == 0 else y + line * (0.1 + k // 2)
            if bounds[0] <= top and top + line <= bounds[1]:
                candidates.append((k, (left, top, right, top + line)))
        free = [c for c in candidates if not any(c[1][0] < b[2] and b[0] < c[1][2] and c[1][1] < b[3] and
                                                 b[1] < c[1][3] for b in placed)]
        k, box = (free or candidates or [(0, (left, y - 1.1 * line, right, y - 0.1 * line))])[0]
        placed.append(box)
        slots.append(k)
    return slots
