"""Telemetry data types: a Sample (one reading), the Probe contract, statuses.

Every reading carries the time it was taken (`time.perf_counter_ns()`, the
clock the inference worker uses for latency timestamps), a value in SI units
(%, W, J, degC, Hz, bytes) and a status. A value that could not be read is
NaN with a non-ok status and a reason: never a fake 0.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Statuses, best first.
OK = "ok"
NOT_READY = "not_ready"  # a rate needs a second reading
STALE = "stale"  # the source did not advance since the last read
DENIED = "denied"  # permission (EACCES); a fix exists
ERROR = "error"  # the read failed unexpectedly
UNSUPPORTED = "unsupported"  # the source does not exist here, or returns a sentinel
STATUSES = (OK, NOT_READY, STALE, DENIED, ERROR, UNSUPPORTED)

# Device kinds: the compute device a reading belongs to ("" for the sampler itself).
CPU, GPU, NPU = "CPU", "GPU", "NPU"
SYSTEM = "SYSTEM"  # platform-wide (psys, battery, ACPI thermal zones)
MEMORY = "MEMORY"  # DRAM domains

# Units (SI at the probe edge).
PERCENT, WATT, JOULE, CELSIUS, HERTZ, BYTES, BOOL = "%", "W", "J", "degC", "Hz", "bytes", "bool"

# Sample metric name -> inventory category.
CATEGORIES = ("utilisation", "power", "energy", "temperature", "frequency", "memory")
METRIC_CATEGORY = {
    "util": "utilisation",
    "power": "power",
    "power_avg": "power",
    "energy": "energy",
    "temp": "temperature",
    "freq": "frequency",
    "mem_used": "memory",
    "mem_total": "memory",
}

Clock = Callable[[], int]
NAN = math.nan


@dataclass(slots=True)
class Sample:
    t_ns: int  # time.perf_counter_ns() taken at the read
    device: str  # "cpu", "pci:0000:00:0b.0", "luid:0x00000000_0x000095CA", "worker", ...
    metric: str  # "util", "power", "energy", "temp", "freq", "mem_used", ...
    value: float  # SI unit; NaN when status is not ok
    unit: str
    status: str = OK
    source: str = ""  # the file, counter or API it came from
    reason: str = ""  # why it is not ok (or a note)
    kind: str = ""  # CPU / GPU / NPU / SYSTEM / MEMORY
    scope: str = ""  # what a power/energy reading covers, e.g. "CPU package (RAPL)"

    @property
    def key(self) -> str:
        return f"{self.device}/{self.metric}"

    def to_dict(self) -> dict:
        value = self.value if math.isfinite(self.value) else None
        d = {"t_ns": self.t_ns, "device": self.device, "metric": self.metric, "value": value,
             "unit": self.unit, "status": self.status, "source": self.source, "kind": self.kind}
        if self.reason:
            d["reason"] = self.reason
        if self.scope:
            d["scope"] = self.scope
        return d


def reading(device: str, metric: str, value: float, unit: str, source: str, *, t_ns: int,
            kind: str = "", scope: str = "") -> Sample:
    """An ok reading."""
    return Sample(t_ns, device, metric, float(value), unit, OK, source, "", kind, scope)


def missing(device: str, metric: str, unit: str, status: str, reason: str, source: str, *,
            t_ns: int | None = None, kind: str = "", scope: str = "") -> Sample:
    """A reading that has no value: NaN plus why."""
    t = time.perf_counter_ns() if t_ns is None else t_ns
    return Sample(t, device, metric, NAN, unit, status, source, reason, kind, scope)


class Probe:
    """One telemetry source. Subclasses split pure parsing from I/O.

    `period_s` is how often the sampler reads it: ~0.1 s for cheap counters,
    0.2-1 s for costly ones, 0 for static facts read once after `open()`.
    """

    name = "probe"
    period_s = 0.1

    def open(self) -> None:
        """Discover what to read (called once, in the sampler thread)."""

    def read(self) -> list[Sample]:
        raise NotImplementedError

    def close(self) -> None:
        """Release handles (NVML, PDH queries, open files)."""

    def set_worker_pid(self, pid: int | None) -> None:
        """Process-level probes follow the inference worker; others ignore it."""

    def absent(self) -> bool:
        """True when open() found no source this probe reads on this machine (no RAPL zone, no battery): the
        sampler then stores its 'unsupported' readings once and stops reading it at every tick, where each
        read cost a cold wake-up's worth of CPU for the same answer."""
        return False

    def fix(self, sample: Sample) -> str:
        """The exact command/rule that would make a denied reading work ("" if none)."""
        return ""


def status_rank(status: str) -> int:
    """Lower is better: used to pick the best status among several readings."""
    try:
        return STATUSES.index(status)
    except ValueError:
        return len(STATUSES)
