"""Measurement conditions of a run: the thresholds, the --quiet-check wait, the warnings.

The worker reads the counters (app.probes.conditions) at both ends of the
measured loop and sends `window_section(...)`; while `--quiet-check` waits it
calls `wait_until_quiet`. The parent's RecordBuilder then calls `finish`, which
adds the temperatures at both ends from the telemetry and turns every crossed
threshold into a typed warning. THRESHOLDS is the one place for the limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.common.fmt import fmt_s, fmt_share
from app.probes.conditions import ConditionsMeter, WindowLoad, load_between
from app.record.conditions import Conditions, CpuShare, EdgeTemperature, QuietCheck
from app.record.schema import RunRecord, WarningKind


@dataclass(frozen=True)
class Thresholds:
    other_cpu: float = 0.15  # BUSY_MACHINE: other processes used at least this share of all CPUs' time
    steal: float = 0.05  # STEAL_TIME: the hypervisor took at least this share
    clock_cap: float = 0.95  # THROTTLED: a cpufreq policy allowed less than this share of its maximum clock
    quiet_other_cpu: float = 0.05  # --quiet-check: settled once other processes stay below this share ...
    quiet_for_s: float = 2.0  # ... for this long
    quiet_step_s: float = 0.5  # one reading per step while waiting


THRESHOLDS = Thresholds()


# -- worker side -----------------------------------------------------------------------------------------

def window_section(load: WindowLoad) -> Conditions:
    """The counters' part of the section (the parent adds temperatures and the quiet check)."""
    def share(s) -> CpuShare:
        return CpuShare(s.value, s.reason)

    return Conditions(
        window_s=load.seconds, source=load.source, other_cpu=share(load.other), worker_cpu=share(load.worker),
        profiler_cpu=share(load.profiler), steal=share(load.steal), throttle_events=load.throttle_events,
        throttle_reason=load.throttle_reason, clock_start=load.clock_start, clock_end=load.clock_end,
        clock_cap=load.clock_cap, clock_reason=load.clock_reason, on_battery_end=load.on_battery_end)


def wait_until_quiet(meter: ConditionsMeter, bound_s: float, *, progress: Callable[[float | None, float], None],
                     cancelled: Callable[[], bool], th: Thresholds = THRESHOLDS,
                     sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic) -> QuietCheck:
    """Read other processes' CPU share every `th.quiet_step_s` until it stayed below `th.quiet_other_cpu`
    for `th.quiet_for_s`, or `bound_s` passed (then measuring goes ahead, not settled)."""
    t0 = clock()
    prev = meter.snapshot()
    quiet_s, level = 0.0, None
    while not cancelled():
        sleep(th.quiet_step_s)
        cur = meter.snapshot()
        load, prev = load_between(prev, cur), cur
        waited = clock() - t0
        level = load.other.value
        if level is None:  # cannot be judged: waiting longer would not help
            return QuietCheck(bound_s, waited, False, None, load.other.reason)
        quiet_s = quiet_s + load.seconds if level < th.quiet_other_cpu else 0.0
        progress(level, waited)
        if quiet_s >= th.quiet_for_s:
            return QuietCheck(bound_s, waited, True, level)
        if waited >= bound_s:
            return QuietCheck(bound_s, waited, False, level,
                              f"other processes kept using {fmt_share(level)} of the CPU "
                              f"(settled means below {fmt_share(th.quiet_other_cpu)} for {fmt_s(th.quiet_for_s)})")
    return QuietCheck(bound_s, clock() - t0, False, level, "cancelled")


# -- parent side -----------------------------------------------------------------------------------------

def finish(r: RunRecord, quiet: QuietCheck | None, th: Thresholds = THRESHOLDS) -> None:
    """Complete `r.conditions` (temperatures, quiet check) and add a warning per crossed threshold."""
    if r.conditions is None:
        if not r.measured and quiet is None:
            return  # nothing was measured: no conditions to speak of
        why = "the worker sent no readings for the measured loop (it failed or was stopped first)"
        r.conditions = Conditions(other_cpu=CpuShare(None, why), worker_cpu=CpuShare(None, why),
                                  profiler_cpu=CpuShare(None, why), steal=CpuShare(None, why),
                                  throttle_reason=why, clock_reason=why)
    c = r.conditions
    c.quiet_check = quiet
    c.temperatures, c.temperatures_reason = edge_temperatures(r)
    for kind, text in condition_warnings(r, th):
        r.warn(kind, text)


def condition_warnings(r: RunRecord, th: Thresholds = THRESHOLDS) -> list[tuple[WarningKind, str]]:
    c, power, out = r.conditions, r.host.power, []
    if c is None:
        return out
    other = c.other_cpu.value
    if other is not None and other >= th.other_cpu:
        out.append((WarningKind.BUSY_MACHINE, f"other processes used {fmt_share(other)} of the CPU during the "
                                              f"measurement (warning from {fmt_share(th.other_cpu)}); its numbers "
                                              f"include their interference. Close them, or use --quiet-check."))
    steal = c.steal.value
    if steal is not None and steal >= th.steal:
        out.append((WarningKind.STEAL_TIME, f"the hypervisor took {fmt_share(steal)} of this VM's CPU time during "
                                            f"the measurement (steal time; warning from {fmt_share(th.steal)})."))
    when = [w for w, on in (("at the start of the run", power.source == "battery"),
                            ("at the end of the measurement", c.on_battery_end is True)) if on]
    if when:
        out.append((WarningKind.ON_BATTERY, f"on battery {' and '.join(when)}: the OS may cap clocks and "
                                            f"accelerators; plug in for full-speed numbers."))
    if power.saver:
        out.append((WarningKind.POWER_SAVER, f"a power-saving plan was active ({power.plan}); the numbers may be "
                                             f"lower than in a balanced or performance plan."))
    if c.throttle_events:
        out.append((WarningKind.THROTTLED, f"the CPU throttled {c.throttle_events} time(s) during the measurement "
                                           f"(thermal_throttle counters)."))
    if c.clock_cap is not None and c.clock_cap < th.clock_cap:
        out.append((WarningKind.THROTTLED, f"the CPU clock was capped at {fmt_share(c.clock_cap)} of its maximum "
                                           f"(cpufreq scaling_max_freq; thermal or power limit, or a set cap)."))
    q = c.quiet_check
    if q is not None and not q.settled:
        out.append((WarningKind.NOT_QUIET, f"--quiet-check waited {fmt_s(q.waited_s)} and the machine did not "
                                           f"settle: {q.reason}."))
    return out


def edge_temperatures(r: RunRecord) -> tuple[list[EdgeTemperature], str]:
    """Every temperature series at the start and the end of the measured window, from the telemetry."""
    t = r.telemetry
    if not t.available or t.window is None:
        return [], f"no telemetry ({t.reason or 'not sampled'})"
    temps = {k: s for k, s in t.series.items() if s.metric.startswith("temp")}
    if not temps:
        return [], "no temperature sensor on this machine (no thermal zone, hwmon or NVML reading)"
    out, missing = [], []
    for key, s in sorted(temps.items()):
        start, end = _at(s.t_s, s.values, 0.0), _at(s.t_s, s.values, t.window.duration_s)
        if start is None and end is None:
            missing.append(f"{key}: {s.status} ({s.reason or 'no reading near the window'})")
            continue
        out.append(EdgeTemperature(key, start, end))
    return out, "; ".join(missing) if not out else ""


def _at(t_s, values, at: float) -> float | None:
    """The last finite reading at or before `at`, else the first after it (within the recorded context)."""
    before = [(t, v) for t, v in zip(t_s.tolist(), values.tolist()) if v is not None and math.isfinite(v)]
    if not before:
        return None
    earlier = [v for t, v in before if t <= at]
    return earlier[-1] if earlier else before[0][1]
