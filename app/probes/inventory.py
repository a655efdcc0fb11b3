"""The machine's compute devices and, per metric, whether it can be read here.

`build_inventory()` lists the CPU, each GPU and each NPU (sysfs on Linux,
PnP + PDH on Windows), then reads every probe of this platform once and
turns the statuses into per-metric capabilities: ok, or why not (unsupported,
denied with the exact fix, driver too old). Availability is decided by taking
a sample, not by whether a file or API exists. NVML is only initialised when
an NVIDIA device or driver is present (registry.nvidia_expected).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from app.probes.device import DeviceInfo, MetricCapability
from app.probes.model import (
    CATEGORIES,
    CPU,
    ERROR,
    GPU,
    METRIC_CATEGORY,
    NOT_READY,
    NPU,
    OK,
    SYSTEM,
    UNSUPPORTED,
    Probe,
    Sample,
    missing,
    status_rank,
)

# Why a metric has no source at all, when no probe said anything more specific.
_NO_SOURCE = {
    ("win32", NPU, "power"): "Windows exposes no NPU power source",
    ("win32", NPU, "energy"): "Windows exposes no NPU energy source",
    ("win32", NPU, "temperature"): "Windows exposes no NPU temperature source",
    ("win32", NPU, "frequency"): "no NPU clock source on Windows (DXCore QueryState not read)",
    ("win32", GPU, "power"): "D3DKMT reports GPU power only as % of limit (not read); NVML covers NVIDIA",
    ("win32", GPU, "energy"): "no GPU energy counter outside NVML on Windows",
    ("win32", GPU, "temperature"): "GPU temperature via D3DKMT/DXCore is not read; NVML covers NVIDIA",
    ("win32", GPU, "frequency"): "GPU clock via DXCore is not read; NVML covers NVIDIA",
    ("win32", CPU, "temperature"): "only ACPI thermal zones (see SYSTEM); the die sensor needs a kernel driver",
    ("linux", NPU, "power"): "no NPU power source here (Intel: root-only PMT telemetry, not read)",
    ("linux", NPU, "energy"): "no NPU energy counter here (Intel: root-only PMT telemetry, not read)",
    ("linux", NPU, "temperature"): "no NPU temperature source here (Intel: root-only PMT telemetry, not read)",
    ("linux", NPU, "frequency"): "NPU clock not exposed in sysfs by this driver",
    ("linux", NPU, "memory"): "device-wide NPU memory not exposed by this driver",
    ("linux", NPU, "utilisation"): "no NPU utilisation source for this driver on Linux",
}


def _platform() -> str:
    return "win32" if sys.platform == "win32" else "linux" if sys.platform.startswith("linux") else sys.platform


def default_reason(device: DeviceInfo, category: str, plat: str | None = None) -> str:
    return _NO_SOURCE.get((plat or _platform(), device.kind, category),
                          f"no {category} source for this {device.kind} here")


def _owners(devices: list[DeviceInfo], sample: Sample) -> list[DeviceInfo]:
    """The device(s) a sample belongs to: by key/alias, else the only device of its kind."""
    if sample.device == "nvml":  # NVML itself failed: that is the answer for every NVIDIA GPU
        return [d for d in devices if d.vendor == "NVIDIA"]
    for d in devices:
        if sample.device in d.keys or (sample.device.startswith("cpu:") and d.kind == CPU):
            return [d]
    same_kind = [d for d in devices if d.kind == sample.kind]
    if sample.device.startswith("thermal:") and len(same_kind) == 1:
        return same_kind
    return []


def attach_capabilities(devices: list[DeviceInfo], samples: Iterable[tuple[Probe, Sample]],
                        plat: str | None = None) -> list[DeviceInfo]:
    """Fill each device's per-category capability from one round of readings."""
    best: dict[tuple[str, str], tuple[Probe, Sample]] = {}
    system = DeviceInfo("system", SYSTEM, "", "Platform sensors (battery, ACPI zones, platform power)")
    for probe, s in samples:
        category = METRIC_CATEGORY.get(s.metric)
        if category is None:
            continue
        owners = _owners(devices, s) or ([system] if s.kind in (SYSTEM, "MEMORY") else [])
        if owners == [system] and system not in devices:
            devices.append(system)
        rank = status_rank(OK if s.status == NOT_READY else s.status)
        for owner in owners:
            k = (owner.key, category)
            if k not in best or rank < status_rank(OK if best[k][1].status == NOT_READY else best[k][1].status):
                best[k] = (probe, s)
    for d in devices:
        for category in CATEGORIES:
            hit = best.get((d.key, category))
            if hit is None:
                if d.kind != SYSTEM:
                    d.metrics[category] = MetricCapability(UNSUPPORTED, default_reason(d, category, plat))
                continue
            probe, s = hit
            status = OK if s.status == NOT_READY else s.status  # readable: a rate needs a second read
            d.metrics[category] = MetricCapability(status, "" if status == OK else s.reason, s.source,
                                                   probe.fix(s))
    return devices


def _read_once(probes: list[Probe]) -> list[tuple[Probe, Sample]]:
    out = []
    for p in probes:
        try:
            p.open()
            out += [(p, s) for s in p.read()]
        except Exception as e:  # noqa: BLE001 - one broken source must not hide the others
            out.append((p, missing(p.name, "util", "", ERROR, f"{e.__class__.__name__}: {e}", p.name)))
        finally:
            try:
                p.close()
            except Exception:  # noqa: BLE001
                pass
    return out


def _apply_nvml_facts(devices: list[DeviceInfo], probes: list[Probe]) -> None:
    from app.probes.nvml import NvmlProbe

    for p in probes:
        if not isinstance(p, NvmlProbe):
            continue
        for key, name in p.gpus():
            match = next((d for d in devices if key in d.keys), None)
            if match is None:
                match = DeviceInfo(key, GPU, "NVIDIA", name, bus=key.removeprefix("pci:"))
                devices.append(match)
            match.name, match.vendor = name, "NVIDIA"
            match.driver_version = p.driver_version or match.driver_version


def _discover(root: str | os.PathLike, probes: list[Probe]) -> list[DeviceInfo]:
    if sys.platform == "win32":
        from app.probes.inventory_windows import ort_luid_hints, windows_cpu_device, windows_devices
        from app.probes.win_pdh import WinPdhGpuProbe
        from app.probes.win_pnp import parse_pnp_json
        from app.probes.win_pnp_backend import PowerShellPnp

        adapters = {}
        for p in probes:
            if isinstance(p, WinPdhGpuProbe):
                adapters = p.adapters()
        pnp = parse_pnp_json(PowerShellPnp().query())
        return [windows_cpu_device(), *windows_devices(pnp, adapters, ort_luid_hints())]
    from app.probes.inventory_linux import cpu_device, linux_devices

    return linux_devices(root) if sys.platform.startswith("linux") else [cpu_device(root)]


def build_inventory(root: str | os.PathLike = "/", *, probes: list[Probe] | None = None) -> list[DeviceInfo]:
    """Every compute device here with per-metric capabilities (one read of each probe)."""
    from app.probes.registry import default_probes

    probes = default_probes(root, wake_suspended=True) if probes is None else probes
    samples = _read_once(probes)  # first: PDH adapters are known only after a collection
    devices = _discover(root, probes)
    _apply_nvml_facts(devices, probes)
    return attach_capabilities(devices, samples)


def _cap_line(category: str, cap: MetricCapability) -> str:
    text = f"     {category:<12} {cap.status:<12} {cap.source if cap.status == OK else cap.reason}"
    return text + (f"\n     {'':<12} fix: {cap.fix}" if cap.fix else "")


def format_inventory(devices: list[DeviceInfo]) -> str:
    """A human-readable listing: one block per device, one line per metric."""
    blocks = []
    for d in devices:
        facts = [f for f in (d.vendor, d.driver and f"driver {d.driver}", d.driver_version and f"version {d.driver_version}",
                             d.power_state and f"power {d.power_state}") if f]
        ids = f"{d.vendor_id}:{d.device_id}" if d.vendor_id and d.device_id else ""
        head = f"{d.kind:<4} {d.name}"
        lines = [head, f"     key {d.key}" + (f"  ids {ids}" if ids else "") + (f"  ({', '.join(facts)})" if facts else "")]
        lines += [_cap_line(c, d.capability(c)) for c in CATEGORIES if c in d.metrics]
        lines += [f"     note: {n}" for n in d.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else "No compute devices found."
