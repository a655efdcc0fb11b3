"""Intel NPU (AI Boost) on Linux: the intel_vpu driver's sysfs files.

drivers/accel/ivpu/ivpu_sysfs.c, beside /sys/class/accel/accelN/device/:
  npu_busy_time_us           cumulative µs with jobs in firmware -> utilisation %
  npu_current_frequency_mhz  0 while the device is suspended (does not wake it)
  npu_max_frequency_mhz      static
  npu_memory_utilization     resident bytes (newer kernels)
The driver takes its submission lock to read npu_busy_time_us and asks for a
~1 s period, so this probe runs at 2 Hz. Kernels before npu_busy_time_us only
have power/runtime_active_time (time powered, an upper bound on busy time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.probes.counters import CounterDelta
from app.probes.linux_sysfs import (
    Reader,
    SysfsProbe,
    natural_dirs,
    parse_int,
    parse_uevent,
    read_attr,
    read_text,
)
from app.probes.model import (
    BYTES,
    HERTZ,
    NOT_READY,
    NPU,
    OK,
    PERCENT,
    UNSUPPORTED,
    Sample,
    missing,
    reading,
)

DRIVER = "intel_vpu"
OLD_DRIVER = "driver too old: intel_vpu has no {file} (needs a newer kernel)"


@dataclass
class IntelNpu:
    device_dir: Path  # the PCI device directory (accelN/device)
    key: str
    busy: CounterDelta = field(default_factory=CounterDelta)
    busy_file: str | None = None
    static_sent: bool = False


def discover(sys_root: Path, reader: Reader = read_text) -> list[IntelNpu]:
    npus = []
    for accel in natural_dirs(sys_root / "class/accel", "accel"):
        dev = accel / "device"
        ev = parse_uevent(read_attr(dev / "uevent", reader).text)
        if ev.get("DRIVER") != DRIVER:
            continue
        slot = ev.get("PCI_SLOT_NAME", accel.name).lower()
        npu = IntelNpu(dev, f"pci:{slot}")
        for candidate in ("npu_busy_time_us", "power/runtime_active_time"):
            if read_attr(dev / candidate, reader).status == OK:
                npu.busy_file = candidate
                break
        npus.append(npu)
    return npus


def busy_percent(delta_us: float, dt_ns: int) -> float:
    """Share of wall time with jobs on the NPU, clamped to 0..100."""
    return max(0.0, min(100.0, 100.0 * delta_us * 1e3 / dt_ns)) if dt_ns > 0 else float("nan")


class IntelNpuSysfsProbe(SysfsProbe):
    name = "intel-npu"
    period_s = 0.5

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover(sys_root, reader)

    def devices(self) -> list[str]:
        self.open()
        return [n.key for n in self.found or []]

    def read(self) -> list[Sample]:
        self.open()
        out: list[Sample] = []
        for npu in self.found or []:
            out.append(self._util(npu))
            out.append(self._plain(npu, "npu_current_frequency_mhz", "freq", HERTZ, 1e6))
            out.append(self._plain(npu, "npu_memory_utilization", "mem_used", BYTES, 1.0))
            if not npu.static_sent:
                npu.static_sent = True
                out.append(self._plain(npu, "npu_max_frequency_mhz", "freq_max", HERTZ, 1e6))
        return out

    def _util(self, npu: IntelNpu) -> Sample:
        if npu.busy_file is None:
            return missing(npu.key, "util", PERCENT, UNSUPPORTED, OLD_DRIVER.format(file="npu_busy_time_us"),
                           "intel_vpu sysfs", t_ns=self._clock(), kind=NPU)
        attr = read_attr(npu.device_dir / npu.busy_file, self._reader)
        t = self._clock()
        legacy = npu.busy_file != "npu_busy_time_us"
        src = f"intel_vpu {npu.busy_file}" + (" (powered time, upper bound)" if legacy else "")
        raw = parse_int(attr.text)
        if attr.status != OK or raw is None:
            return missing(npu.key, "util", PERCENT, attr.status if attr.status != OK else "error",
                           attr.reason or f"unparsable {attr.text!r}", src, t_ns=t, kind=NPU)
        primed = npu.busy.primed
        delta = npu.busy.update(raw * (1000 if legacy else 1), t)  # runtime_active_time is in ms
        if delta is None:
            why = "counter went backwards (reset)" if primed else "first reading"
            return missing(npu.key, "util", PERCENT, NOT_READY, why, src, t_ns=t, kind=NPU)
        return reading(npu.key, "util", busy_percent(delta.amount, delta.dt_ns), PERCENT, src, t_ns=t, kind=NPU)

    def _plain(self, npu: IntelNpu, file: str, metric: str, unit: str, scale: float) -> Sample:
        attr = read_attr(npu.device_dir / file, self._reader)
        t = self._clock()
        raw = parse_int(attr.text)
        src = f"intel_vpu {file}"
        if attr.status == OK and raw is not None:
            return reading(npu.key, metric, raw * scale, unit, src, t_ns=t, kind=NPU)
        if attr.status == UNSUPPORTED:
            return missing(npu.key, metric, unit, UNSUPPORTED, OLD_DRIVER.format(file=file), src, t_ns=t, kind=NPU)
        return missing(npu.key, metric, unit, attr.status if attr.status != OK else "error",
                       attr.reason or f"unparsable {attr.text!r}", src, t_ns=t, kind=NPU)
