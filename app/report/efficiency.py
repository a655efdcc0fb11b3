"""Throughput mode and perf per watt, as the summaries, the results panel and the comparison show them.

Perf per watt is inferences per joule and the average power over the measured window,
both from the record's `energy` section (app.probes.recording), always with what the
power covers ("CPU package (RAPL)", "GPU board (NVML)"): a package counter includes
everything else on that package. When no power was measured it is N/A with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.common.fmt import NA, fmt_per_joule, fmt_rate, fmt_s, fmt_watts, number
from app.record.schema import RunMode, RunRecord
from app.report import facts


@dataclass(frozen=True)
class PerfPerWatt:
    inferences_per_joule: float | None
    mean_power_w: float | None
    covers: str  # what the power covers (set when measured)
    window_s: float | None
    reason: str  # why N/A (set when not measured)

    @property
    def available(self) -> bool:
        return self.inferences_per_joule is not None

    def text(self) -> str:
        """'5.00 inferences/J, 10.0 W average over 2.0 s (CPU package (RAPL))' or 'N/A (why)'."""
        if not self.available:
            return f"{NA} ({self.reason})"
        return (f"{fmt_per_joule(self.inferences_per_joule)}, {fmt_watts(self.mean_power_w)} average over "
                f"{fmt_s(self.window_s)} ({self.covers})")


def perf_per_watt(r: RunRecord) -> PerfPerWatt:
    e = r.energy
    if not r.measured:
        return PerfPerWatt(None, None, "", None, f"{facts.NOT_MEASURED}: no measured inference")
    if e is None:
        why = f"power was not sampled ({r.telemetry.reason})" if r.telemetry.reason else "power was not sampled"
        return PerfPerWatt(None, None, "", None, why)
    per_j, watts = number(e.inferences_per_joule), number(e.mean_power_w)
    if not e.available or per_j is None or watts is None:
        return PerfPerWatt(None, None, "", None, e.reason or "no power or energy reading in the measured window")
    return PerfPerWatt(per_j, watts, e.covers or "?", number(e.window_s), "")


def is_throughput(r: RunRecord) -> bool:
    return r.settings.mode is RunMode.THROUGHPUT


def latency_label(r: RunRecord) -> str:
    """'latency' or, in throughput mode, 'latency under load, 4 in flight'."""
    tp = r.throughput
    if not is_throughput(r):
        return "latency"
    return f"latency under load, {tp.requests} in flight" if tp else "latency under load"


def throughput_text(r: RunRecord) -> str:
    """'731 inferences/s' (with the count of a small sample), plus samples/s when a batch holds more than one."""
    rate = facts.with_count(fmt_rate(r.latency.throughput_per_s, unit=" inferences/s"), r.latency.count)
    tp = r.throughput
    if tp and tp.batch and tp.batch > 1 and tp.samples_per_s is not None:
        rate += f", {fmt_rate(tp.samples_per_s, unit=' samples/s')} (batch {tp.batch})"
    return rate


def requests_text(r: RunRecord) -> str:
    """How a throughput run ran: '2 requests in flight (OPTIMAL_NUMBER_OF_INFER_REQUESTS), OpenVINO
    AsyncInferQueue, 2 streams, 2 threads'; '' in latency mode."""
    tp = r.throughput
    if tp is None:
        return ""
    parts = [f"{tp.requests} requests in flight ({tp.requests_source})" if tp.requests_source
             else f"{tp.requests} requests in flight", tp.concurrency.label]
    if tp.streams is not None:
        parts.append(f"{tp.streams} streams")
    parts.append(f"{tp.threads} threads" if tp.threads is not None else "threads: runtime default")
    return ", ".join(parts)
