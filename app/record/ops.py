"""Aggregation over an operator profile (app.record.op_schema): one place for the worker, CLI, reports and GUI.

Pure functions on the record's dataclasses, no runtime and no Qt:

* `complete(profile)`      fill per-inference times, shares, totals and the gap from the nodes' totals
* `group(nodes, by)`       totals by op type or by device (`OpBy.TYPE`, `OpBy.DEVICE`)
* `rows(profile, by, top)` the table a front end shows: one `OpRow` per node, op type or device
* `nodes_of(profile, by, key)` the top-level nodes behind one group row (click an op type: its nodes)
* `broken_down(profile)`, `inside_by_type(profile, name)` a partition's (or If/Loop's) own rows by op type
* `type_changes(a, b)`     op types whose time changed most between two profiles (compare)

Only top-level nodes are totalled: rows inside a partition are the EP's own
breakdown of a PARTITION node, on its own clock (see op_schema).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from app.record.op_schema import OpGroupTime, OpNodeTime, OpProfile, OpStatus


class OpBy(str, enum.Enum):
    """What one row of an operator table stands for (the `--by` of the ops command)."""

    NODE = "node"
    TYPE = "type"
    DEVICE = "device"


def device_key(node: OpNodeTime) -> str:
    """'CPU (CPUExecutionProvider)', 'NPU (QNNExecutionProvider)', 'CPU (OpenVINO)'; the device alone if no provider."""
    device = node.device or "?"
    return f"{device} ({node.provider})" if node.provider else device


def _key(node: OpNodeTime, by: OpBy) -> str:
    if by is OpBy.TYPE:
        return node.op_type or "?"
    if by is OpBy.DEVICE:
        return device_key(node)
    return node.name


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or not math.isfinite(a) or not math.isfinite(b):
        return None
    return a / b


def _sum(values: Iterable[float | None]) -> float | None:
    """The sum of the known values; None when none is known (missing is never 0)."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    return math.fsum(known) if known else None


def group(nodes: Iterable[OpNodeTime], by: OpBy, total_s: float | None = None) -> list[OpGroupTime]:
    """Top-level `nodes` totalled per op type or device, slowest first; share of `total_s` (default: their sum)."""
    if by is OpBy.NODE:
        raise ValueError("group() totals by TYPE or DEVICE; rows() lists nodes")
    groups: dict[str, list[OpNodeTime]] = {}
    for n in nodes:
        if n.top_level:
            groups.setdefault(_key(n, by), []).append(n)
    whole = total_s if total_s is not None else _sum(n.time_s for members in groups.values() for n in members)
    out = []
    for key, members in groups.items():
        t = _sum(n.time_s for n in members)
        out.append(OpGroupTime(key=key, nodes=len(members), calls=sum(n.calls for n in members), time_s=t,
                               share=_div(t, whole)))
    return sorted(out, key=lambda g: (-(g.time_s or 0.0), g.key))


def _node_order(n: OpNodeTime) -> tuple:
    return (bool(n.partition), n.partition, -(n.time_s or 0.0), n.order, n.name)


def complete(profile: OpProfile) -> OpProfile:
    """Fill the derived figures from each node's `calls` and `total_s` and the profile's `runs_profiled`.

    Per node: time_s (per inference), mean_s (per call), share (of the sum of top-level times, or of the
    partition node's time for rows inside one). Per profile: sum_of_ops_s, by_type, by_device, and the gap
    to `inference_s` when that is set. Returns `profile`, changed in place.
    """
    runs = profile.runs_profiled
    for n in profile.nodes:
        n.time_s = _div(n.total_s, runs) if runs else None
        n.mean_s = _div(n.total_s, n.calls)
    top = [n for n in profile.nodes if n.top_level and n.status in (OpStatus.EXECUTED, OpStatus.PARTITION)]
    profile.sum_of_ops_s = _sum(n.time_s for n in top)
    parents = {n.name: n for n in profile.nodes if n.top_level}
    inner_totals: dict[str, float | None] = {}
    for n in profile.nodes:
        if n.top_level:
            n.share = _div(n.time_s, profile.sum_of_ops_s)
        else:
            if n.partition not in inner_totals:
                inner_totals[n.partition] = _sum(m.time_s for m in profile.inside(n.partition))
            n.share = _div(n.time_s, inner_totals[n.partition])
    for name in inner_totals:
        if name not in parents:
            raise ValueError(f"rows inside partition {name!r}, but no top-level node of that name")
    profile.nodes.sort(key=_node_order)
    profile.by_type = group(top, OpBy.TYPE, profile.sum_of_ops_s)
    profile.by_device = group(top, OpBy.DEVICE, profile.sum_of_ops_s)
    set_gap(profile, profile.inference_s)
    return profile


def ops_time_for_gap(profile: OpProfile) -> float | None:
    """The op time compared with the timed p50: the median inference's op sum, else the mean sum."""
    p50 = profile.sum_of_ops_p50_s
    return p50 if p50 is not None and math.isfinite(p50) else profile.sum_of_ops_s


def set_gap(profile: OpProfile, inference_s: float | None) -> None:
    """The gap between the measured inference time and the sum of op times (framework, copies, idle)."""
    profile.inference_s = inference_s
    ops_s = ops_time_for_gap(profile)
    if inference_s is None or ops_s is None or not math.isfinite(inference_s):
        profile.gap_s = profile.gap_share = None
        return
    profile.gap_s = inference_s - ops_s
    profile.gap_share = _div(profile.gap_s, inference_s)


@dataclass(frozen=True)
class OpRow:
    """One row of an operator table: a node, or a group of top-level nodes (op type / device)."""

    key: str  # node name, op type or device key
    op_type: str = ""  # the node's type; for a group by type: the type; by device: ""
    device: str = ""  # the node's device key; for a group by device: the key; by type: the devices, joined
    exec_type: str = ""
    precision: str = ""  # the node's; for a group: its members' precisions, joined
    status: OpStatus | None = None  # nodes only
    nodes: int = 1
    calls: int = 0
    time_s: float | None = None  # per inference
    share: float | None = None  # of the sum of op times (inside a partition: of the partition)
    partition: str = ""


def _joined(values: Iterable[str]) -> str:
    return ", ".join(sorted({v for v in values if v}))


def rows(profile: OpProfile, by: OpBy = OpBy.NODE, top: int | None = None, *,
         with_partitions: bool = False) -> list[OpRow]:
    """The rows of `profile` by node / type / device, slowest first, at most `top` of them.

    By node: top-level nodes (and, with `with_partitions`, the EP's rows inside each partition after it).
    """
    if by is OpBy.NODE:
        out = []
        for n in profile.top:
            out.append(_node_row(n))
            if with_partitions and n.status is OpStatus.PARTITION:
                out.extend(_node_row(m) for m in profile.inside(n.name))
        if top is not None:
            out = out[:top] if not with_partitions else _first_top_level(out, top)
        return out
    groups = profile.by_type if by is OpBy.TYPE else profile.by_device
    out = []
    for g in groups[:top] if top is not None else groups:
        members = nodes_of(profile, by, g.key)
        out.append(OpRow(key=g.key, op_type=g.key if by is OpBy.TYPE else _joined(n.op_type for n in members),
                         device=g.key if by is OpBy.DEVICE else _joined(device_key(n) for n in members),
                         exec_type=_joined(n.exec_type for n in members),
                         precision=_joined(n.precision for n in members),
                         nodes=g.nodes, calls=g.calls, time_s=g.time_s, share=g.share))
    return out


def _first_top_level(out: list[OpRow], top: int) -> list[OpRow]:
    kept, seen = [], 0
    for r in out:
        if not r.partition:
            seen += 1
            if seen > top:
                break
        kept.append(r)
    return kept


def _node_row(n: OpNodeTime) -> OpRow:
    return OpRow(key=n.name, op_type=n.op_type, device=device_key(n), exec_type=n.exec_type, precision=n.precision,
                 status=n.status, nodes=1, calls=n.calls, time_s=n.time_s, share=n.share, partition=n.partition)


def inside_by_type(profile: OpProfile, partition: str) -> list[OpGroupTime]:
    """The rows inside one partition (or If/Loop) totalled by op type; shares of the partition's rows."""
    inside = [dataclasses.replace(n, partition="") for n in profile.inside(partition)]
    return group(inside, OpBy.TYPE)


def broken_down(profile: OpProfile) -> list[OpNodeTime]:
    """The top-level nodes that have rows inside them (EP partitions with a per-op profile, If/Loop)."""
    names = {n.partition for n in profile.nodes if n.partition}
    return [n for n in profile.top if n.name in names]


def nodes_of(profile: OpProfile, by: OpBy, key: str) -> list[OpNodeTime]:
    """The top-level nodes behind one row of `rows(profile, by)`, slowest first."""
    return [n for n in profile.top if _key(n, by) == key]


@dataclass(frozen=True)
class OpTypeChange:
    """One op type's time per inference in two profiles (either may lack it: None)."""

    op_type: str
    a_s: float | None
    b_s: float | None

    @property
    def delta_s(self) -> float:
        return (self.b_s or 0.0) - (self.a_s or 0.0)

    @property
    def ratio(self) -> float | None:
        """a over b: how many times faster b runs this op type (None when either is missing)."""
        return _div(self.a_s, self.b_s) if self.a_s and self.b_s else None


def model_type_times(profile: OpProfile) -> dict[str, float | None]:
    """Time per inference by the model's op type (`model_op_type`, else `op_type`): comparable across engines."""
    groups: dict[str, list[OpNodeTime]] = {}
    for n in profile.top:
        if n.status in (OpStatus.EXECUTED, OpStatus.PARTITION):
            groups.setdefault(n.model_op_type or n.op_type or "?", []).append(n)
    return {k: _sum(n.time_s for n in members) for k, members in groups.items()}


def type_changes(a: OpProfile, b: OpProfile, top: int | None = None) -> list[OpTypeChange]:
    """Op types of two profiles (the model's types, so ORT's Conv meets OpenVINO's Convolution made from a
    Conv), the largest absolute change in time per inference first."""
    ta, tb = model_type_times(a), model_type_times(b)
    changes = [OpTypeChange(t, ta.get(t), tb.get(t)) for t in {**ta, **tb}]
    changes.sort(key=lambda c: (-abs(c.delta_s), c.op_type))
    return changes[:top] if top is not None else changes
