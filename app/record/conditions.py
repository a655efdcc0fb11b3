"""The run record's `conditions` section: how quiet the machine was while it measured.

Filled by app.run.conditions from the worker's counters at both ends of the
measured loop (app.probes.conditions) and the telemetry around it. Shares are
of all logical CPUs' time (0-1); a value that could not be read is null with
its reason beside it, never 0. The thresholds that turn these into warnings
are app.run.conditions.THRESHOLDS (docs/telemetry.md, "Measurement conditions").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.record.typed import Section


@dataclass
class CpuShare(Section):
    value: float | None = None  # 0-1 of all logical CPUs' time over the window
    reason: str = ""  # why value is null

    ALWAYS = ("value",)


@dataclass
class EdgeTemperature(Section):
    """One temperature series at the start and the end of the measured window (degC)."""

    series: str
    start_c: float | None = None
    end_c: float | None = None


@dataclass
class QuietCheck(Section):
    """--quiet-check: the wait for other processes' CPU use to fall below the threshold before warm-up."""

    bound_s: float
    waited_s: float = 0.0
    settled: bool = False
    other_cpu: float | None = None  # the last reading before measuring went ahead (0-1)
    reason: str = ""  # why it did not settle, or why the level is unknown


@dataclass
class Conditions(Section):
    window_s: float | None = None  # the span the CPU shares cover (the measured loop)
    source: str = ""
    other_cpu: CpuShare = field(default_factory=CpuShare)  # system busy minus the worker tree and the profiler
    worker_cpu: CpuShare = field(default_factory=CpuShare)  # the worker process and its children
    profiler_cpu: CpuShare = field(default_factory=CpuShare)  # the CLI / desktop app itself
    steal: CpuShare = field(default_factory=CpuShare)  # stolen by the hypervisor (VMs)
    throttle_events: int | None = None  # thermal_throttle counter rises in the window
    throttle_reason: str = ""
    clock_start: float | None = None  # mean current clock / hardware maximum over cpufreq policies
    clock_end: float | None = None
    clock_cap: float | None = None  # lowest allowed maximum / hardware maximum (below 1: capped)
    clock_reason: str = ""
    on_battery_end: bool | None = None  # at the end of the window (host.power has the start of the run)
    temperatures: list[EdgeTemperature] = field(default_factory=list)
    temperatures_reason: str = ""
    quiet_check: QuietCheck | None = None

    ALWAYS = ("window_s", "throttle_events", "clock_start", "clock_end", "clock_cap", "on_battery_end",
              "quiet_check")
