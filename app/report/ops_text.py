"""The operator profile as terminal text and CSV: the run summary's lines, `aipcprof ops`, compare lines.

Every row comes from app.record.ops; a profile that is not available prints its
reason, never an empty table.
"""

from __future__ import annotations

import csv
import io

from app.common.fmt import fmt_ms, fmt_share, fmt_speedup
from app.record import ops
from app.record.ops import OpBy, OpRow
from app.record.schema import OpProfile, OpStatus, RunRecord

SUMMARY_TOP = 10
NAME_WIDTH = 40


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def gap_line(p: OpProfile) -> str:
    """'op times 1.21 ms per inference (median inference) vs measured p50 1.30 ms: gap 0.09 ms (7% ...)'."""
    median = p.sum_of_ops_p50_s is not None
    line = f"op times {fmt_ms(ops.ops_time_for_gap(p))} per inference ({'median' if median else 'mean'} profiled)"
    if p.inference_s is None or p.gap_s is None:
        return line + ", no measured p50 to compare with"
    why = ("framework overhead, copies, idle threads" if p.gap_s >= 0 else
           "the ops took longer with the profiler on: profiler cost, machine load, or ops that ran in parallel")
    return f"{line} vs measured p50 {fmt_ms(p.inference_s)}: gap {fmt_ms(p.gap_s)} ({_signed(p.gap_share)}: {why})"


def _signed(share: float | None) -> str:
    text = fmt_share(abs(share)) if share is not None else fmt_share(None)
    return f"-{text}" if share is not None and share < 0 else text


def summary_lines(r: RunRecord) -> list[str]:
    """The run summary's operator-profile lines (none when --op-profile was not asked for)."""
    p = r.op_profile
    if p is None:
        return []
    if not p.available:
        return [f"  operator profile: unavailable ({p.reason or 'no reason given'})"]
    lines = [f"  operator profile ({p.source.value if p.source else '?'}, {p.runs_profiled} inferences after "
             f"{p.warmup_dropped} dropped): {gap_line(p)}"]
    lines += ["    " + line for line in table(p, OpBy.NODE, SUMMARY_TOP)]
    lines.append("    by type: " + ", ".join(f"{g.key} {fmt_ms(g.time_s)} ({fmt_share(g.share)})" for g in p.by_type))
    lines.append("    by device: " + ", ".join(f"{g.key} {fmt_ms(g.time_s)} ({fmt_share(g.share)})"
                                             for g in p.by_device))
    lines += ["    " + line for line in inside_lines(p)]
    if p.reason:
        lines.append(f"    not broken down: {p.reason}")
    lines += [f"    note: {n}" for n in p.notes]
    return lines


def inside_lines(p: OpProfile) -> list[str]:
    """'inside <node> by type (QNNExecutionProvider's own profile): Relu 59%, Transpose 26%' per broken-down node."""
    out = []
    for node in ops.broken_down(p):
        whose = f"{node.provider}'s own profile" if node.status is OpStatus.PARTITION else "its subgraph"
        groups = ops.inside_by_type(p, node.name)
        out.append(f"inside {node.name} by type ({whose}): "
                   + ", ".join(f"{g.key} {fmt_share(g.share)}" for g in groups))
    return out


def _time(row: OpRow) -> str:
    if row.status in (OpStatus.NOT_RUN, OpStatus.OPTIMIZED_OUT, OpStatus.FUSED):
        return row.status.value
    return fmt_ms(row.time_s)


def table(p: OpProfile, by: OpBy, top: int | None) -> list[str]:
    """A plain-text table of `rows(p, by, top)` (header first); partition rows indented under their node."""
    rows = ops.rows(p, by, top, with_partitions=by is OpBy.NODE)
    first = {OpBy.NODE: "node", OpBy.TYPE: "op type", OpBy.DEVICE: "device"}[by]
    out = [f"{first:<{NAME_WIDTH}} {'type' if by is not OpBy.TYPE else 'nodes':<18} {'time':>10} {'share':>6}  "
           f"{'device':<28} kernel / precision"]
    for row in rows:
        key = ("  └ " + row.key) if row.partition else row.key
        second = row.op_type if by is not OpBy.TYPE else str(row.nodes)
        kernel = " / ".join(x for x in (row.exec_type, row.precision) if x)
        out.append(f"{_cut(key, NAME_WIDTH):<{NAME_WIDTH}} {_cut(second, 18):<18} {_time(row):>10} "
                   f"{fmt_share(row.share):>6}  {_cut(row.device, 28):<28} {kernel}".rstrip())
    shown = sum(1 for r in rows if not r.partition)
    total = len(p.top) if by is OpBy.NODE else len(p.by_type if by is OpBy.TYPE else p.by_device)
    if shown < total:
        out.append(f"... {total - shown} more (--top N to see more)")
    return out


CSV_COLUMNS = ("key", "op_type", "device", "exec_type", "precision", "status", "nodes", "calls", "time_s", "share",
               "partition")


def to_csv(p: OpProfile, by: OpBy, top: int | None) -> str:
    """The rows as CSV (seconds, shares 0-1; empty cell = not measured)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for row in ops.rows(p, by, top, with_partitions=by is OpBy.NODE):
        values = [getattr(row, c) for c in CSV_COLUMNS]
        w.writerow(["" if v is None else v.value if isinstance(v, OpStatus) else v for v in values])
    return buf.getvalue()


def change_lines(a: RunRecord, b: RunRecord, a_name: str = "", b_name: str = "", top: int = 5) -> list[str]:
    """'Conv: 9.10 ms on ort/cpu, 2.30 ms on ov/cpu (3.96x)' for the op types whose time changed most.

    Runs are named by target, or by `a_name` / `b_name` when both ran on the same target.
    """
    pa, pb = a.op_profile, b.op_profile
    if pa is None or pb is None:
        return []
    na, nb = (a.target_id, b.target_id) if a.target_id != b.target_id else (a_name or "a", b_name or "b")
    if not (pa.available and pb.available):
        why = "; ".join(f"{n}: {p.reason}" for n, p in ((na, pa), (nb, pb)) if not p.available)
        return [f"op types {na} vs {nb}: not compared ({why})"]
    lines = [f"op types {na} vs {nb} (time per inference; x = how many times faster {nb} runs it):"]
    for c in ops.type_changes(pa, pb, top):
        ratio = f" ({fmt_speedup(c.ratio)})" if c.ratio is not None else ""
        lines.append(f"  {c.op_type}: {fmt_ms(c.a_s)} on {na}, {fmt_ms(c.b_s)} on {nb}{ratio}")
    return lines


def compare_json(records: list[RunRecord], names: list[str], baseline: int) -> list[dict]:
    """The op-type changes of every run with a profile against the baseline's, for `compare --json`."""
    base = records[baseline].op_profile
    out = []
    for i, r in enumerate(records):
        p = r.op_profile
        if i == baseline or base is None or p is None or not (base.available and p.available):
            continue
        out += [{"run": names[i], "op_type": c.op_type, "baseline_s": c.a_s, "run_s": c.b_s, "ratio": c.ratio}
                for c in ops.type_changes(base, p)]
    return out


def compare_lines(records: list[RunRecord], names: list[str], baseline: int) -> list[str]:
    """change_lines of every run against the baseline (runs without an op profile are left out)."""
    base = records[baseline]
    return [line for i, r in enumerate(records) if i != baseline
            for line in change_lines(base, r, names[baseline], names[i])]
