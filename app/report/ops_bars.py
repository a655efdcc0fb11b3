"""The bars of a top-operators chart, from an operator profile: one place for the app, the SVG and the HTML.

A bar is a node, or an op type split by the device its nodes' time ran on
(`parts`). Only timed top-level nodes make bars; a fused or not-run node has
no time of its own and is listed in the tables, never drawn as a zero bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.record import ops
from app.record.ops import OpBy
from app.record.schema import OpProfile, OpStatus

CHART_TOP = 12  # bars in a chart; the tables have every row


@dataclass(frozen=True)
class BarPart:
    """One device's part of a bar: `device` as the record names it ('CPU', 'NPU', ...), `key` with its EP."""

    device: str
    key: str
    time_s: float


@dataclass(frozen=True)
class OpBar:
    """One bar of the top-operators chart: a node, or an op type split by device."""

    label: str
    time_s: float
    share: float | None
    parts: tuple[BarPart, ...]


def chart_bars(p: OpProfile, by: OpBy, top: int = CHART_TOP) -> list[OpBar]:
    """The `top` slowest timed nodes (by=NODE) or op types (by=TYPE) of `p`, each split by device."""
    if by is OpBy.NODE:
        timed = [n for n in p.top if n.time_s is not None and n.status in (OpStatus.EXECUTED, OpStatus.PARTITION)]
        return [OpBar(n.name, n.time_s, n.share, (BarPart(n.device or "?", ops.device_key(n), n.time_s),))
                for n in timed[:top]]
    out = []
    for g in p.by_type:
        if g.time_s is None:
            continue
        per_device: dict[tuple[str, str], float] = {}
        for n in ops.nodes_of(p, OpBy.TYPE, g.key):
            if n.time_s is not None:
                k = (n.device or "?", ops.device_key(n))
                per_device[k] = per_device.get(k, 0.0) + n.time_s
        parts = tuple(BarPart(d, k, t) for (d, k), t in sorted(per_device.items(), key=lambda kv: -kv[1]))
        out.append(OpBar(g.key, g.time_s, g.share, parts))
        if len(out) == top:
            break
    return out
