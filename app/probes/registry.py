"""Pick this platform's probes in one place (like psutil picks _pslinux/_pswindows).

Capability is decided here from cheap facts (which drivers are bound, whether
an NVIDIA device or nvml.dll exists), so NVML is never initialised on a
machine without an NVIDIA GPU. Each probe then reports per-metric statuses.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from app.probes.cpu_psutil import PsutilCpuProbe, PsutilProcessProbe, PsutilSystemProbe
from app.probes.linux_sysfs import natural_dirs, parse_uevent, read_attr
from app.probes.model import ERROR, Probe, Sample, missing
from app.probes.power_source import BatteryProbe


class UnavailableProbe(Probe):
    """Stands in for a probe whose backend could not even be created; says why."""

    period_s = 10.0

    def __init__(self, name: str, device: str, metric: str, unit: str, reason: str, kind: str = "") -> None:
        self.name = name
        self._sample = (device, metric, unit, reason, kind)

    def read(self) -> list[Sample]:
        device, metric, unit, reason, kind = self._sample
        return [missing(device, metric, unit, ERROR, reason, self.name, kind=kind)]


def accel_drivers(root: str | os.PathLike = "/") -> set[str]:
    """Drivers bound to /sys/class/accel/* (intel_vpu, amdxdna, qaic)."""
    drivers = set()
    for accel in natural_dirs(Path(root) / "sys/class/accel", "accel"):
        driver = parse_uevent(read_attr(accel / "device/uevent").text).get("DRIVER")
        if driver:
            drivers.add(driver)
    return drivers


def drm_drivers(root: str | os.PathLike = "/") -> set[str]:
    drivers = set()
    for card in natural_dirs(Path(root) / "sys/class/drm", "card"):
        if "-" not in card.name:
            driver = parse_uevent(read_attr(card / "device/uevent").text).get("DRIVER")
            if driver:
                drivers.add(driver)
    return drivers


def nvidia_expected(root: str | os.PathLike = "/") -> bool:
    """An NVIDIA driver is loaded or an NVIDIA PCI function exists (NVML then says which)."""
    if sys.platform == "win32":
        system32 = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32"
        return (system32 / "nvml.dll").exists()
    return (Path(root) / "proc/driver/nvidia/version").exists() or bool(nvidia_functions(root))


def nvidia_functions(root: str | os.PathLike = "/") -> list[Path]:
    """sysfs directories of the NVIDIA display functions (Linux)."""
    out = []
    for dev in natural_dirs(Path(root) / "sys/bus/pci/devices", ""):
        vendor = (read_attr(dev / "vendor").text or "").strip().lower()
        cls = (read_attr(dev / "class").text or "").strip().lower()
        if vendor == "0x10de" and cls.startswith("0x03"):
            out.append(dev)
    return out


def all_suspended(devices: list[Path]) -> Callable[[], bool]:
    """A check that is true while every given device is runtime-suspended (power/runtime_status)."""
    def check() -> bool:
        states = [(read_attr(d / "power/runtime_status").text or "").strip() for d in devices]
        return bool(states) and all(s == "suspended" for s in states)
    return check


def _linux_probes(root: str) -> list[Probe]:
    from app.probes.linux_amdxdna import AmdXdnaProbe
    from app.probes.linux_drm_gpu import DrmGpuProbe
    from app.probes.linux_hwmon import HwmonProbe
    from app.probes.linux_intel_npu import IntelNpuSysfsProbe
    from app.probes.linux_rapl import RaplPowercapProbe
    from app.probes.linux_thermal import ThermalZoneProbe

    probes: list[Probe] = [RaplPowercapProbe(root), HwmonProbe(root), ThermalZoneProbe(root)]
    accel = accel_drivers(root)
    if "intel_vpu" in accel:
        probes.append(IntelNpuSysfsProbe(root))
    if "amdxdna" in accel:
        probes.append(AmdXdnaProbe(root))
    if drm_drivers(root) & {"amdgpu", "i915", "xe"}:
        probes.append(DrmGpuProbe(root))
    return probes


def _windows_probes() -> list[Probe]:
    probes: list[Probe] = []
    try:
        from app.probes.win_pdh import WinPdhGpuProbe
        from app.probes.win_pdh_backend import PdhQuery
        from app.probes.win_thermal import WinThermalZoneProbe

        probes += [WinPdhGpuProbe(PdhQuery()), WinThermalZoneProbe(PdhQuery())]
    except (ImportError, OSError) as e:
        probes.append(UnavailableProbe("pdh", "pdh", "util", "%", f"PDH unavailable: {e}"))
    try:
        from app.probes.win_emi import WinEmiProbe
        from app.probes.win_emi_backend import EmiBackendWin

        probes.append(WinEmiProbe(EmiBackendWin()))
    except (ImportError, OSError) as e:
        probes.append(UnavailableProbe("emi", "cpu", "energy", "J", f"EMI unavailable: {e}", "CPU"))
    return probes


def default_probes(root: str | os.PathLike = "/", *, wake_suspended: bool = False) -> list[Probe]:
    """Every probe that can say something on this machine (each reports its own statuses).

    wake_suspended=False keeps NVML closed while a laptop dGPU sleeps, so measuring an
    NPU or CPU run does not wake it; the inventory passes True.
    """
    root = str(root)
    probes: list[Probe] = [PsutilCpuProbe(), PsutilSystemProbe(), PsutilProcessProbe()]
    if sys.platform.startswith("linux"):
        probes += _linux_probes(root)
    elif sys.platform == "win32":
        probes += _windows_probes()
    if nvidia_expected(root):
        from app.probes.nvml import NvmlProbe

        sleeping = None
        if not wake_suspended and sys.platform.startswith("linux") and nvidia_functions(root):
            sleeping = all_suspended(nvidia_functions(root))
        probes.append(NvmlProbe(is_suspended=sleeping))
    probes.append(BatteryProbe())
    return probes
