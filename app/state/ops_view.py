"""OpsViewState: what the Operators tab shows of one run's operator profile, without Qt.

The run's `op_profile` section (app.record.op_schema) seen by node or by op
type, the nodes behind one op type (a click on a type), the bars of the chart
(top operators, each split by the device its time ran on) and the lines above
the table (source, runs, the gap to the measured p50, the runtime's notes).

A run without a usable profile has no rows: `message` says why (the reason
from the record), so the view never shows an empty table as if it were data.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.common.fmt import fmt_share
from app.record import ops
from app.record.ops import OpBy, OpRow
from app.record.schema import OpProfile, OpStatus, RunRecord
from app.report.ops_bars import CHART_TOP, BarPart, OpBar, chart_bars
from app.report.ops_text import gap_line
from app.state.events import Event

INSIDE_TOP = 8  # bars of the EP's own rows under one partition node
NOT_ASKED = ("This run has no operator profile: it was made without Operator profile. Tick Operator profile in "
             "the run setup (or pass --op-profile to aipcprof run) and run again.")


@dataclass(frozen=True)
class ChartSection:
    """A group of bars under a heading: the top-level operators (heading ""), or the EP's rows inside one
    fused partition node (on the EP's own clock, shares of that node: never added to the totals)."""

    heading: str
    bars: tuple[OpBar, ...]
    partition: str = ""


def _short(name: str, keep: int = 10) -> str:
    """A long partition name ('QNNExecutionProvider_QNNExecutionProvider_8856…_2_0') by its two ends."""
    return name if len(name) <= 2 * keep + 4 else f"{name[:keep]}\u2026{name[-keep:]}"


def unavailable_message(r: RunRecord | None) -> str:
    """Why `r` has no operator table ("" when it has one)."""
    if r is None:
        return "Operator times appear here after a run with Operator profile ticked."
    p = r.op_profile
    if p is None:
        return NOT_ASKED
    if not p.available:
        return f"Operator profile unavailable: {p.reason or 'the run recorded no reason'}."
    if not p.top:
        why = f" ({p.reason})" if p.reason else ""
        return f"The runtime reported no operator for this run{why}."
    return ""


class OpsViewState:
    """The Operators tab's record, grouping and op-type selection; `changed` after each change."""

    def __init__(self) -> None:
        self.record: RunRecord | None = None
        self.by = OpBy.NODE
        self.selected_type: str | None = None  # the op type whose nodes are listed
        self.changed: Event[[]] = Event("ops.changed")

    # -- what is shown -------------------------------------------------------
    @property
    def message(self) -> str:
        return unavailable_message(self.record)

    @property
    def profile(self) -> OpProfile | None:
        """The record's profile when it can be shown as a table, else None (see `message`)."""
        return None if self.message else self.record.op_profile

    def set_record(self, r: RunRecord | None) -> None:
        self.record = r
        self.selected_type = None
        self.changed.emit()

    def set_by(self, by: OpBy) -> None:
        if by is OpBy.DEVICE:
            raise ValueError("the Operators tab groups by node or by op type")
        if by is not self.by:
            self.by = by
            self.changed.emit()

    def select_type(self, op_type: str | None) -> None:
        """List the nodes of `op_type` (None: no type selected); an op type the profile lacks is ignored."""
        p = self.profile
        if op_type is not None and (p is None or not ops.nodes_of(p, OpBy.TYPE, op_type)):
            op_type = None
        if op_type != self.selected_type:
            self.selected_type = op_type
            self.changed.emit()

    # -- rows, bars and lines -------------------------------------------------
    def rows(self) -> list[OpRow]:
        """The table: every top-level node (with the EP's rows inside each partition), or every op type."""
        p = self.profile
        if p is None:
            return []
        return ops.rows(p, self.by, with_partitions=self.by is OpBy.NODE)

    def type_nodes(self) -> list[OpRow]:
        """The nodes of the selected op type, slowest first (empty when none is selected)."""
        return [] if self.selected_type is None else self.nodes_of_type(self.selected_type)

    def nodes_of_type(self, op_type: str) -> list[OpRow]:
        """The top-level nodes of `op_type` as table rows, slowest first."""
        p = self.profile
        if p is None:
            return []
        names = {n.name for n in ops.nodes_of(p, OpBy.TYPE, op_type)}
        return [r for r in ops.rows(p, OpBy.NODE) if r.key in names]

    def bars(self, top: int = CHART_TOP) -> list[OpBar]:
        """The chart: the `top` slowest timed nodes or op types; a type's bar split by device."""
        p = self.profile
        return [] if p is None else chart_bars(p, self.by, top)

    def sections(self, top: int = CHART_TOP, inside_top: int = INSIDE_TOP) -> list[ChartSection]:
        """The chart: the top bars, then (by node) the EP's own rows inside each partition node that has them."""
        p = self.profile
        if p is None:
            return []
        out = [ChartSection("", tuple(chart_bars(p, self.by, top)))]
        if self.by is OpBy.NODE:
            for n in p.top:
                inner = [m for m in p.inside(n.name) if m.time_s is not None]
                if n.status is OpStatus.PARTITION and inner:
                    bars = tuple(OpBar(m.name, m.time_s, m.share, (BarPart(m.device or "?", ops.device_key(m),
                                                                            m.time_s),)) for m in inner[:inside_top])
                    out.append(ChartSection(f"Inside {_short(n.name)}: {len(inner)} ops, EP clock", bars, n.name))
        return out

    def untimed(self) -> int:
        """Top-level nodes the runtime reports without a time (fused, not run, optimised out)."""
        p = self.profile
        return 0 if p is None else sum(1 for n in p.top if n.time_s is None)

    def header_lines(self) -> list[str]:
        """Source and runs, the gap to the measured p50, what was not broken down, the runtime's notes."""
        p = self.profile
        if p is None:
            return []
        source = ", ".join(s.value for s in (p.sources or ([p.source] if p.source else []))) or "?"
        gap = gap_line(p)
        lines = [f"{source}: {p.runs_profiled} inferences profiled after {p.warmup_dropped} dropped, in a separate "
                 "session with the profiler on (the timed figures carry no profiling cost)",
                 gap[:1].upper() + gap[1:]]
        if p.by_device:
            lines.append("By device: " + ", ".join(f"{g.key} {fmt_share(g.share)}" for g in p.by_device))
        if p.reason:
            lines.append(f"Not broken down: {p.reason}")
        lines += [f"Note: {n}" for n in p.notes]
        return lines

