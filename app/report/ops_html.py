"""The operator profile in the HTML report: a run's slowest operators (table and chart), its op types and
devices, and the op-type difference of the comparison. Every node and op-type name is escaped (`esc`,
`table`): they come from the model file."""

from __future__ import annotations

from app.common.fmt import fmt_ms, fmt_share
from app.record import ops
from app.record.ops import OpBy, OpRow
from app.record.schema import OpStatus, RunRecord
from app.report import ops_compare
from app.report.html import Safe, table
from app.report.ops_svg import top_ops_svg, type_diff_svg
from app.report.ops_text import gap_line
from app.report.svg import esc

TOP_NODES = 10
UNTIMED = {OpStatus.NOT_RUN: "not run", OpStatus.OPTIMIZED_OUT: "optimized out", OpStatus.FUSED: "fused"}


def _time(row: OpRow) -> str:
    return UNTIMED[row.status] if row.time_s is None and row.status in UNTIMED else fmt_ms(row.time_s)


def _node_rows(rows: list[OpRow]) -> list[list]:
    out = []
    for r in rows:
        name = Safe(f'<span class="muted">\u2514</span> {esc(r.key)}') if r.partition else r.key
        out.append([name, r.op_type, _time(r), fmt_share(r.share), r.device,
                    " / ".join(x for x in (r.exec_type, r.precision) if x) or None])
    return out


def op_profile_html(r: RunRecord, theme: str = "auto") -> str:
    """One run's 'Operators' section; the reason when there is no profile (never an empty table)."""
    p = r.op_profile
    head = "<h3>Operators</h3>"
    if p is None:
        return head + ('<p class="muted">Operator profile: not recorded (the run was made without --op-profile / '
                       "Operator profile).</p>")
    if not p.available or not p.top:
        why = p.reason or ("no reason recorded" if not p.available else "the runtime reported no operator")
        return head + f'<p class="warn">Operator profile unavailable: {esc(why)}.</p>'
    source = ", ".join(s.value for s in (p.sources or ([p.source] if p.source else []))) or "?"
    lines = [f"{source}: {p.runs_profiled} inferences profiled after {p.warmup_dropped} dropped, in a separate "
             "session with the profiler on.", gap_line(p)[:1].upper() + gap_line(p)[1:] + "."]
    if p.reason:
        lines.append(f"Not broken down: {p.reason}")
    lines += [f"Note: {n}" for n in p.notes]
    rows = ops.rows(p, OpBy.NODE, TOP_NODES, with_partitions=True)
    more = len(p.top) - sum(1 for x in rows if not x.partition)
    parts = [head, *(f"<p>{esc(line)}</p>" for line in lines),
             top_ops_svg(p, theme=theme),
             table(["node", "type", "time / inference", "share", "device", "kernel / precision"], _node_rows(rows)),
             f'<p class="muted">\u2026 and {more} more nodes (aipcprof ops RUN.json --top N).</p>' if more > 0 else "",
             "<h3>Operators by type and by device</h3>",
             table(["op type", "nodes", "calls", "time / inference", "share"],
                   [[g.key, g.nodes, g.calls, fmt_ms(g.time_s), fmt_share(g.share)] for g in p.by_type]),
             table(["device", "nodes", "calls", "time / inference", "share"],
                   [[g.key, g.nodes, g.calls, fmt_ms(g.time_s), fmt_share(g.share)] for g in p.by_device])]
    return "\n".join(x for x in parts if x)


def type_diff_html(records: list[RunRecord], names: list[str], baseline: int, theme: str = "auto") -> str:
    """The comparison's op-type section ("" when no run asked for an operator profile)."""
    chart = ops_compare.type_diff(records, names, baseline)
    if chart is None:
        return ""
    head = "<h2>Operator types</h2>"
    if chart.message:
        return head + f'<p class="muted">{esc(chart.message)}</p>'
    whole = ops_compare.type_diff(records, names, baseline, chart.b, top=None)
    a, b = chart.names
    rows = [[c.op_type, fmt_ms(c.a_s) if c.a_s is not None else "none",
             fmt_ms(c.b_s) if c.b_s is not None else "none", ops_compare.ratio_text(c, b)] for c in whole.changes]
    return "\n".join([head, type_diff_svg(chart, theme=theme),
                      table(["op type", f"{a} (ms / inference)", f"{b} (ms / inference)", f"{b} vs {a}"], rows)])
