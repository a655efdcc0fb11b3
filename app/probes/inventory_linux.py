"""Linux device discovery from sysfs: /sys/class/accel, /sys/class/drm, /sys/bus/pci.

Accel and DRM nodes name the bound driver; the PCI bus scan finds an NPU or
GPU that has no driver bound (the most common "why is my NPU missing").
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from app.common.cpuinfo import read_cpuinfo
from app.probes.device import DeviceInfo
from app.probes.ids import hex_id, kind_of_pci, npu_name, vendor_name
from app.probes.linux_sysfs import (
    driver_version,
    natural_dirs,
    parse_pci_class,
    parse_pci_id,
    parse_uevent,
    read_attr,
)
from app.probes.model import CPU, GPU, NPU


def cpu_device(root: str | os.PathLike = "/") -> DeviceInfo:
    vendor, name = read_cpuinfo(root)
    name = name or platform.processor() or platform.machine()
    cores = os.cpu_count() or 0
    return DeviceInfo("cpu", CPU, vendor, f"{name} ({cores} logical cores)" if cores else name,
                      aliases=["memory"])


def _pci_device(root: Path, dev_dir: Path, node: str) -> DeviceInfo | None:
    ev = parse_uevent(read_attr(dev_dir / "uevent").text)
    ids = parse_pci_id(ev.get("PCI_ID", ""))
    vendor_id, device_id = ids if ids else (None, None)
    driver = ev.get("DRIVER", "")
    kind = kind_of_pci(vendor_id, device_id, parse_pci_class(ev.get("PCI_CLASS", "")), driver)
    slot = ev.get("PCI_SLOT_NAME", "").lower()
    if kind is None or not slot:
        return None
    vendor = vendor_name(vendor_id)
    name = npu_name(vendor_id, device_id) if kind == NPU else None
    if name is None:
        product = (read_attr(dev_dir / "product_name").text or "").strip()  # amdgpu
        name = product or f"{vendor} {'NPU' if kind == NPU else 'GPU'} [{hex_id(vendor_id)}:{hex_id(device_id)}]"
    info = DeviceInfo(f"pci:{slot}", kind, vendor, name, driver=driver,
                      driver_version=driver_version(root, driver) if driver else "",
                      vendor_id=hex_id(vendor_id), device_id=hex_id(device_id), bus=slot,
                      power_state=(read_attr(dev_dir / "power/runtime_status").text or "").strip())
    if node:
        info.notes.append(f"node: /dev/{node}")
    if not driver:
        info.notes.append("no driver bound: install/enable the vendor driver to use this device")
    return info


def linux_devices(root: str | os.PathLike = "/") -> list[DeviceInfo]:
    """The CPU, then every GPU / NPU found under sysfs, one entry per PCI function."""
    r = Path(root)
    sys_root = r / "sys"
    found: dict[str, DeviceInfo] = {}
    candidates = [(a / "device", f"accel/{a.name}") for a in natural_dirs(sys_root / "class/accel", "accel")]
    candidates += [(c / "device", f"dri/{c.name}") for c in natural_dirs(sys_root / "class/drm", "card")
                   if "-" not in c.name]
    candidates += [(d, "") for d in natural_dirs(sys_root / "bus/pci/devices", "")]
    for dev_dir, node in candidates:
        info = _pci_device(r, dev_dir, node)
        if info is not None and info.key not in found:
            found[info.key] = info
    order = {CPU: 0, NPU: 1, GPU: 2}
    return [cpu_device(r), *sorted(found.values(), key=lambda d: (order.get(d.kind, 3), d.key))]
