"""Compiled EP partitions in an ONNX Runtime profile: one fused node each, broken down where the EP can.

An EP that compiles a subgraph (QNN, OpenVINO EP, ...) runs it as one node in
ORT's trace, e.g. `QNNExecutionProvider_QNNExecutionProvider_<hash>_1_0` with op
type `QNNExecutionProvider_<hash>_1`. That node becomes a PARTITION row; its
`members` are the model nodes ORT assigned to it (graph assignment info), and
for the QNN EP the rows inside it come from the EP's profiling CSV: one block
per execution of each partition, in execution order.
"""

from __future__ import annotations

import math
from pathlib import Path

from app.record.schema import EpCounter, OpNodeTime, OpProfile, OpSource, OpStatus
from app.run import op_qnn

CPU_EP = "CPUExecutionProvider"


def _is_fused(node: OpNodeTime, accelerator: str) -> bool:
    short = accelerator.removesuffix("ExecutionProvider")
    return node.provider == accelerator and (accelerator in node.op_type or node.op_type.startswith(short + "_"))


def attach_partitions(profile: OpProfile, raw, accelerator: str, calls_per_run: dict[str, int],
                      drop_runs: int) -> None:
    """Mark the accelerator's fused nodes as PARTITION, add their members and the EP's own rows."""
    if accelerator == CPU_EP:
        return
    fused = sorted((n for n in profile.nodes if _is_fused(n, accelerator)), key=lambda n: n.order)
    for n in fused:
        n.status = OpStatus.PARTITION
    if not fused:
        return
    broken_down: set[str] = set()
    if raw.ep_csv_path:
        blocks = op_qnn.parse_csv(Path(raw.ep_csv_path).read_text(encoding="utf-8", errors="replace"))
        problem = _add_qnn_rows(profile, fused, blocks, raw.partitions, calls_per_run, drop_runs)
        if problem:
            profile.reason = _join(profile.reason, problem)
        else:
            profile.sources.append(OpSource.QNN_CSV)
            broken_down = {n.name for n in fused}
    _members_by_order(fused, raw.partitions)
    left = [n for n in fused if n.name not in broken_down]
    if left:
        short = accelerator.removesuffix("ExecutionProvider")
        profile.reason = _join(profile.reason, f"{len(left)} compiled {short} partition(s) report as one node each "
                                               f"and {short} gave no per-op profile for them; their member nodes "
                                               f"are listed from ORT's graph assignment")


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _members_by_order(fused: list[OpNodeTime], partitions: list[list[tuple[str, str]]]) -> None:
    """Members of fused nodes the EP's CSV did not name: ORT's subgraphs, matched in order when the counts agree."""
    if len(fused) == len(partitions):
        for node, members in zip(fused, partitions, strict=True):
            if not node.members:
                node.members = [name for name, _ in members]


def _add_qnn_rows(profile: OpProfile, fused: list[OpNodeTime], blocks: list[op_qnn.QnnBlock],
                  partitions: list[list[tuple[str, str]]], calls_per_run: dict[str, int], drop_runs: int) -> str:
    """The CSV's per-op rows under each fused node; a reason when they cannot be matched ('' when done)."""
    sequence = [n for n in fused for _ in range(calls_per_run.get(n.name, 0))]
    runs = drop_runs + profile.runs_profiled
    if not sequence or len(blocks) != len(sequence) * runs:
        return (f"the QNN profiling CSV holds {len(blocks)} graph executions, not {len(sequence)} per inference "
                f"x {runs} inferences, so its per-op rows could not be matched to the partitions")
    kept = blocks[drop_runs * len(sequence):]
    for node in fused:
        mine = [b for i, b in enumerate(kept) if sequence[i % len(sequence)] is node]
        members = _best_partition(mine, partitions)
        node.members = [name for name, _ in members]
        profile.nodes.extend(_rows(node, mine, dict(members), profile.runs_profiled))
        profile.ep_counters.extend(_counters(node, mine))
    zero = sum(1 for n in profile.nodes if n.partition and n.cycles == 0)
    profile.notes.append("QNN per-op times are each op's share of the accelerator cycles times the accelerator "
                         "execute time of the same execution")
    if zero:
        profile.notes.append(f"{zero} QNN op(s) report 0 cycles: the HTP fuses ops (e.g. Conv with the Relu after "
                             f"it) and counts their work on one of them")
    return ""


def _best_partition(blocks: list[op_qnn.QnnBlock], partitions: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    names = set().union(*(b.names for b in blocks)) if blocks else set()
    scored = [(len(names & {n for n, _ in p}), i) for i, p in enumerate(partitions)]
    best = max(scored, default=(0, -1))
    return partitions[best[1]] if best[0] else []


def _rows(node: OpNodeTime, blocks: list[op_qnn.QnnBlock], op_types: dict[str, str], runs: int) -> list[OpNodeTime]:
    rows: dict[str, OpNodeTime] = {}
    for block in blocks:
        for op in block.ops:
            row = rows.get(op.name)
            if row is None:
                row = rows[op.name] = OpNodeTime(
                    name=op.name, op_type=op_types.get(op.name, f"({op.name.split()[0].lower()})"),
                    provider=node.provider, device=node.device, status=OpStatus.EXECUTED, order=len(rows),
                    partition=node.name)
            row.calls += 1
            if op.time_s is not None:
                row.total_s = (row.total_s or 0.0) + op.time_s
            if op.cycles is not None:
                row.cycles = (row.cycles or 0.0) + op.cycles
    for row in rows.values():
        if row.cycles is not None and runs:
            row.cycles /= runs
    return list(rows.values())


def _counters(node: OpNodeTime, blocks: list[op_qnn.QnnBlock]) -> list[EpCounter]:
    """Each BACKEND/EXECUTE figure of the partition, averaged over its executions."""
    names: dict[str, str] = {}
    for b in blocks:
        for key, (_, unit) in b.counters.items():
            names.setdefault(key, unit)
    out = []
    for key, unit in names.items():
        values = [b.counters[key][0] for b in blocks if key in b.counters]
        out.append(EpCounter(name=key, value=math.fsum(values) / len(values), unit=unit, partition=node.name))
    return out
