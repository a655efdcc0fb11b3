"""AMD Ryzen AI NPU (XDNA / XDNA2) on Linux: the amdxdna driver.

- Power and temperature: hwmon `name=amdxdna`, power1_input (µW, "NPU_power")
  and temp1_input (m°C). Works only with AMD PMF support; older drivers
  returned UINT32_MAX (amd/xdna-driver #713): sentinels are "unsupported",
  never a reading.
- Per-process busy time: DRM fdinfo `drm-engine-amdxdna` (upstream),
  `drm-engine-npu-amdxdna` (out-of-tree) or `drm-engine-amdxdna_accel_driver`
  (newer), in ns, for the inference worker (or this process when none).
- Device-wide utilisation needs the DRM_AMDXDNA_QUERY_SENSORS ioctl: not read.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.probes.counters import CounterDelta
from app.probes.linux_fdinfo import process_clients
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
    CELSIUS,
    NOT_READY,
    NPU,
    OK,
    PERCENT,
    UNSUPPORTED,
    WATT,
    Clock,
    Sample,
    missing,
    reading,
)

DRIVER = "amdxdna"
SCOPE = "NPU rail (amdxdna hwmon)"
# UINT32_MAX / UINT64_MAX / -1 from old drivers, and the u16-mW ceiling (65535 mW) when saturated.
SENTINELS_UW = {0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, -1, 65535 * 1000}
NO_HWMON = "no amdxdna hwmon: driver too old or AMD PMF (amd_pmf) not available"
NO_DEVICE_UTIL = ("device-wide NPU utilisation needs the DRM_AMDXDNA_QUERY_SENSORS ioctl (not read); "
                  "see worker_util for the worker's share")


@dataclass
class XdnaNpu:
    device_dir: Path
    key: str
    slot: str
    hwmon: Path | None = None
    busy: CounterDelta = field(default_factory=CounterDelta)
    busy_pid: int | None = None


def find_hwmon(sys_root: Path, device_dir: Path, slot: str, reader: Reader) -> Path | None:
    for hw in natural_dirs(device_dir / "hwmon", "hwmon"):
        return hw
    for hw in natural_dirs(sys_root / "class/hwmon", "hwmon"):
        name = (read_attr(hw / "name", reader).text or "").strip()
        ev = parse_uevent(read_attr(hw / "device/uevent", reader).text)
        if name == DRIVER and ev.get("PCI_SLOT_NAME", "").lower() == slot:
            return hw
    return None


def discover(sys_root: Path, reader: Reader = read_text) -> list[XdnaNpu]:
    npus = []
    for accel in natural_dirs(sys_root / "class/accel", "accel"):
        dev = accel / "device"
        ev = parse_uevent(read_attr(dev / "uevent", reader).text)
        if ev.get("DRIVER") != DRIVER:
            continue
        slot = ev.get("PCI_SLOT_NAME", accel.name).lower()
        npus.append(XdnaNpu(dev, f"pci:{slot}", slot, find_hwmon(sys_root, dev, slot, reader)))
    return npus


def sensor_value(text: str | None, scale: float, sentinels: set[int]) -> tuple[float | None, str]:
    """Raw hwmon text -> (SI value, "") or (None, why it is not a reading)."""
    raw = parse_int(text)
    if raw is None:
        return None, f"unparsable {text!r}"
    if raw in sentinels or raw < 0:
        return None, f"sentinel value {raw} (driver has no reading)"
    return raw * scale, ""


class AmdXdnaProbe(SysfsProbe):
    name = "amdxdna"
    period_s = 0.5

    def __init__(self, root: str | Path = "/", *, reader: Reader | None = None,
                 clock: Clock = time.perf_counter_ns) -> None:
        super().__init__(root, reader=reader, clock=clock)
        self._pid: int | None = None

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover(sys_root, reader)

    def set_worker_pid(self, pid: int | None) -> None:
        self._pid = pid

    def read(self) -> list[Sample]:
        self.open()
        out: list[Sample] = []
        pid = self._pid if self._pid is not None else os.getpid()
        clients = process_clients(self.root / "proc", pid, self._discover_reader) if self.found else []
        for npu in self.found or []:
            t = self._clock()
            out.append(missing(npu.key, "util", PERCENT, UNSUPPORTED, NO_DEVICE_UTIL, "amdxdna", t_ns=t, kind=NPU))
            out.extend(self._hwmon(npu))
            out.extend(self._worker(npu, pid, [c for c in clients if c.driver.startswith(DRIVER)
                                               and c.pdev in ("", npu.slot)]))
        return out

    def _hwmon(self, npu: XdnaNpu) -> list[Sample]:
        out = []
        for file, metric, unit, scale, sentinels, scope in (
                ("power1_input", "power", WATT, 1e-6, SENTINELS_UW, SCOPE),
                ("temp1_input", "temp", CELSIUS, 1e-3, {0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF}, "")):
            src = f"amdxdna hwmon {file}"
            if npu.hwmon is None:
                out.append(missing(npu.key, metric, unit, UNSUPPORTED, NO_HWMON, src,
                                   t_ns=self._clock(), kind=NPU, scope=scope))
                continue
            attr = read_attr(npu.hwmon / file, self._reader)
            t = self._clock()
            if attr.status != OK:
                out.append(missing(npu.key, metric, unit, attr.status, attr.reason, src, t_ns=t, kind=NPU, scope=scope))
                continue
            value, why = sensor_value(attr.text, scale, sentinels)
            out.append(reading(npu.key, metric, value, unit, src, t_ns=t, kind=NPU, scope=scope) if value is not None
                       else missing(npu.key, metric, unit, UNSUPPORTED, why, src, t_ns=t, kind=NPU, scope=scope))
        return out

    def _worker(self, npu: XdnaNpu, pid: int, clients: list) -> list[Sample]:
        t = self._clock()
        src = f"/proc/{pid}/fdinfo drm-engine-*"
        if pid != npu.busy_pid:
            npu.busy, npu.busy_pid = CounterDelta(), pid
        if not clients:
            return [missing(npu.key, "worker_util", PERCENT, NOT_READY,
                            f"pid {pid} has no amdxdna client open (not using the NPU yet)", src, t_ns=t, kind=NPU)]
        busy = [c.busy_ns for c in clients if c.engine_ns]
        out = []
        mem = sum(c.memory.get("drm-total-memory", 0) for c in clients)
        if any("drm-total-memory" in c.memory for c in clients):
            out.append(reading(npu.key, "worker_mem", mem, BYTES, f"/proc/{pid}/fdinfo drm-total-memory",
                               t_ns=t, kind=NPU))
        if not busy:
            out.append(missing(npu.key, "worker_util", PERCENT, UNSUPPORTED,
                               "driver too old: no drm-engine-* line in amdxdna fdinfo", src, t_ns=t, kind=NPU))
            return out
        primed = npu.busy.primed
        delta = npu.busy.update(sum(busy), t)
        if delta is None:
            why = "counter went backwards (client closed)" if primed else "first reading"
            out.append(missing(npu.key, "worker_util", PERCENT, NOT_READY, why, src, t_ns=t, kind=NPU))
        else:
            pct = max(0.0, min(100.0, 100.0 * delta.amount / delta.dt_ns))
            out.append(reading(npu.key, "worker_util", pct, PERCENT, src, t_ns=t, kind=NPU))
        return out
