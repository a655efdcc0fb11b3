"""Windows device discovery: PnP devices joined to PDH adapter LUIDs.

PnP gives names, IDs and driver versions; PDH telemetry is keyed by LUID.
Windows has no direct PnP<->LUID map, so the join uses, in order:
ONNX Runtime's EP devices (they publish LUID + vendor/device id), then
"the only NPU / the only GPU on both sides". Anything left unmatched is
listed as is, with a note, rather than guessed.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable

from app.probes.device import DeviceInfo
from app.probes.ids import hex_id, npu_name
from app.probes.model import CPU, GPU, NPU
from app.probes.win_pdh import Adapter, luid_from_decimal, luid_key
from app.probes.win_pnp import PnpDevice

LuidHints = dict[str, tuple[int, int]]  # luid -> (vendor_id, device_id)


def ort_luid_hints() -> LuidHints:
    """LUID -> (vendor, device) from onnxruntime.get_ep_devices() (ORT >= 1.22); {} if unavailable."""
    try:
        import onnxruntime as ort

        ep_devices = ort.get_ep_devices()
    except Exception:  # noqa: BLE001 - optional: older ORT, no ORT, or a broken EP
        return {}
    hints: LuidHints = {}
    for ep in ep_devices:
        try:
            luid = dict(ep.device.metadata).get("LUID")
            if luid:
                hints[luid_from_decimal(luid)] = (int(ep.device.vendor_id), int(ep.device.device_id))
        except (AttributeError, TypeError, ValueError):
            continue
    return hints


def windows_cpu_device() -> DeviceInfo:
    name = platform.processor()
    try:
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0") as k:
            name = str(winreg.QueryValueEx(k, "ProcessorNameString")[0]).strip()
    except OSError:
        pass
    vendor = next((v for v in ("Intel", "AMD", "Qualcomm", "Snapdragon") if v.lower() in name.lower()), "")
    return DeviceInfo("cpu", CPU, "Qualcomm" if vendor == "Snapdragon" else vendor, name, aliases=["memory"])


def _pnp_info(dev: PnpDevice) -> DeviceInfo:
    vendor_id, device_id = dev.ids
    vid = hex_id(vendor_id) if isinstance(vendor_id, int) else str(vendor_id or "")
    name = dev.name or (npu_name(vendor_id, device_id) if isinstance(vendor_id, int) else None) or dev.device_id
    info = DeviceInfo(f"pnp:{dev.device_id}", dev.kind or GPU, dev.vendor, name, driver_version=dev.driver_version,
                      vendor_id=vid, device_id=hex_id(device_id), bus=dev.bus)
    if dev.bus:
        info.aliases.append(f"pci:{dev.bus}")  # NVML keys NVIDIA GPUs by PCI address
    return info


def _attach(info: DeviceInfo, luid: str) -> None:
    """The PDH key replaces the synthetic pnp: key; PCI aliases stay (NVML)."""
    info.key, info.luid = luid_key(luid), luid


def windows_devices(pnp: Iterable[PnpDevice], adapters: dict[str, Adapter], hints: LuidHints) -> list[DeviceInfo]:
    infos = [_pnp_info(d) for d in pnp if d.kind in (GPU, NPU)]
    free = dict(adapters)
    for info in infos:  # 1) exact: ORT says which LUID has this vendor/device id
        for luid, (vid, did) in hints.items():
            if luid in free and hex_id(vid) == info.vendor_id and hex_id(did) == info.device_id:
                _attach(info, luid)
                info.notes.append("LUID matched through ONNX Runtime EP device metadata")
                del free[luid]
                break
    for kind in (NPU, GPU):  # 2) unique on both sides
        left = [i for i in infos if i.kind == kind and not i.luid]
        luids = [luid for luid, a in free.items() if a.kind == kind]
        if len(left) == 1 and len(luids) == 1:
            _attach(left[0], luids[0])
            left[0].notes.append(f"LUID matched as the only {kind} adapter")
            del free[luids[0]]
    for info in infos:
        if not info.luid:
            info.notes.append("no PDH adapter matched: utilisation/memory counters not attributed")
    for luid, adapter in sorted(free.items()):  # 3) adapters nobody claimed
        engines = ", ".join(sorted(adapter.engine_types)) or "no engines seen"
        infos.append(DeviceInfo(luid_key(luid), adapter.kind or GPU, "", f"Adapter {luid}", luid=luid,
                                notes=[f"PDH adapter without a matching PnP device (engines: {engines}); "
                                       "may be the Microsoft Basic Render Driver"]))
    order = {NPU: 0, GPU: 1}
    return sorted(infos, key=lambda d: (order.get(d.kind, 2), d.name))
