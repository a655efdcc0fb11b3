"""Measurement conditions as text: the run summary's lines and the comparison's flags.

The numbers are the record's `conditions` section (app.record.conditions); the
warnings are the typed ones app.run.conditions added when a threshold was
crossed. A pair of runs is flagged when one was measured under a condition the
other was not (a busy machine, steal time, battery, a power-saving plan,
throttling, a quiet check that did not settle).
"""

from __future__ import annotations

from app.common.fmt import NA, fmt_s, fmt_share
from app.record.conditions import Conditions, CpuShare
from app.record.schema import RunRecord, WarningKind

CONDITION_KINDS = (WarningKind.BUSY_MACHINE, WarningKind.STEAL_TIME, WarningKind.ON_BATTERY,
                   WarningKind.POWER_SAVER, WarningKind.THROTTLED, WarningKind.NOT_QUIET)
KIND_LABELS = {WarningKind.BUSY_MACHINE: "busy machine", WarningKind.STEAL_TIME: "steal time",
               WarningKind.ON_BATTERY: "on battery", WarningKind.POWER_SAVER: "power-saving plan",
               WarningKind.THROTTLED: "throttled", WarningKind.NOT_QUIET: "did not settle"}


def share_text(s: CpuShare) -> str:
    return fmt_share(s.value) if s.value is not None else f"{NA} ({s.reason or 'not measured'})"


def _clock_text(c: Conditions) -> str:
    if c.clock_start is None and c.clock_end is None and c.clock_cap is None:
        return f"{NA} ({c.clock_reason or 'not read'})"
    text = f"{fmt_share(c.clock_start)} -> {fmt_share(c.clock_end)} of maximum"
    return text + (f", capped at {fmt_share(c.clock_cap)}" if c.clock_cap is not None and c.clock_cap < 1 else "")


def _temps_text(c: Conditions) -> str:
    if not c.temperatures:
        return f"{NA} ({c.temperatures_reason or 'not read'})"
    return ", ".join(f"{t.series} {_c(t.start_c)} -> {_c(t.end_c)}" for t in c.temperatures)


def _c(v: float | None) -> str:
    return NA if v is None else f"{v:.1f} °C"


def _cpu_line(c: Conditions) -> str:
    shares = (c.other_cpu, c.worker_cpu, c.profiler_cpu, c.steal)
    reasons = {s.reason for s in shares}
    if all(s.value is None for s in shares) and len(reasons) == 1:  # one reason said once, not four times
        return f"conditions: CPU shares {NA} ({reasons.pop() or 'not measured'})"
    return (f"conditions: other processes {share_text(c.other_cpu)} of the CPU, this run {share_text(c.worker_cpu)}, "
            f"the profiler {share_text(c.profiler_cpu)}, steal {share_text(c.steal)}")


def summary_lines(r: RunRecord) -> list[str]:
    """'conditions: ...' lines for the CLI summary (no line when the run measured nothing)."""
    c = r.conditions
    if c is None:
        return []
    lines = [_cpu_line(c)]
    throttle = (f"{c.throttle_events} event(s)" if c.throttle_events is not None
                else f"{NA} ({c.throttle_reason or 'not read'})")
    lines.append(f"  clock: {_clock_text(c)}; throttling: {throttle}")
    lines.append(f"  temperatures (start -> end): {_temps_text(c)}")
    q = c.quiet_check
    if q is not None:
        lines.append(f"  quiet check: {'settled' if q.settled else 'did not settle'} after {fmt_s(q.waited_s)} "
                     f"(bound {fmt_s(q.bound_s)}; other processes {fmt_share(q.other_cpu)} at the end)")
    return lines


def condition_kinds(r: RunRecord) -> set[WarningKind]:
    return {w.kind for w in r.warnings_of(*CONDITION_KINDS)}


def _describe(r: RunRecord, kinds: set[WarningKind]) -> str:
    out = []
    for kind in CONDITION_KINDS:
        if kind not in kinds:
            continue
        label = KIND_LABELS[kind]
        if kind is WarningKind.BUSY_MACHINE and r.conditions is not None:
            label += f" (other processes {fmt_share(r.conditions.other_cpu.value)} of the CPU)"
        out.append(label)
    return ", ".join(out) or "none"


def comparison_flags(records: list[RunRecord], names: list[str], baseline: int = 0) -> list[str]:
    """One line per run measured under different conditions from the baseline."""
    base, base_name = records[baseline], names[baseline]
    base_kinds = condition_kinds(base)
    out = []
    for i, (name, r) in enumerate(zip(names, records, strict=True)):
        if i == baseline:
            continue
        if (r.conditions is None) != (base.conditions is None) and (r.measured and base.measured):
            unknown = name if r.conditions is None else base_name
            out.append(f"{unknown}: measurement conditions were not recorded (an older record); "
                       f"they cannot be compared with the other run's.")
            continue
        kinds = condition_kinds(r)
        if kinds != base_kinds:
            out.append(f"{name}: measured under different conditions from {base_name}: "
                       f"{name} {_describe(r, kinds)}; {base_name} {_describe(base, base_kinds)}.")
    return out
