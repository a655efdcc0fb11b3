r"""Windows GPU / NPU devices from PnP (Win32_PnPSignedDriver): parsing only.

NPUs are in the ComputeAccelerator class (MCDM), GPUs in Display. Device IDs
look like `PCI\VEN_8086&DEV_7D1D&SUBSYS_0C4B1028&REV_04\3&11583659&0&58` or,
for Snapdragon, `ACPI\QCOM0D0A\2&daba3ff&0`. The query itself runs in
win_pnp_backend.py and hands over its JSON text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from app.probes.ids import QUALCOMM_NPU_ACPI_IDS, npu_name, vendor_name
from app.probes.model import GPU, NPU

_PCI = re.compile(r"^PCI\\VEN_([0-9A-F]{4})&DEV_([0-9A-F]{4})", re.I)
_ACPI_VENDEV = re.compile(r"^ACPI\\VEN_([0-9A-Z]{4})&DEV_([0-9A-F]{4})", re.I)
_ACPI_HID = re.compile(r"^ACPI\\([A-Z]{4})([0-9A-F]{4})\\", re.I)
_LOCATION = re.compile(r"PCI bus (\d+), device (\d+), function (\d+)", re.I)


@dataclass
class PnpDevice:
    name: str
    device_id: str
    driver_version: str
    manufacturer: str
    device_class: str
    location: str

    @property
    def ids(self) -> tuple[int | str | None, int | None]:
        """(vendor, device): PCI ids as ints; an ACPI vendor stays text ('QCOM')."""
        return parse_device_id(self.device_id)

    @property
    def acpi_hid(self) -> str:
        m = _ACPI_HID.match(self.device_id)
        return (m.group(1) + m.group(2)).upper() if m else ""

    @property
    def kind(self) -> str | None:
        vendor, device = self.ids
        if (isinstance(vendor, int) and npu_name(vendor, device)) or self.acpi_hid in QUALCOMM_NPU_ACPI_IDS:
            return NPU
        cls = self.device_class.upper()
        return NPU if cls == "COMPUTEACCELERATOR" else GPU if cls == "DISPLAY" else None

    @property
    def vendor(self) -> str:
        vendor, _ = self.ids
        if isinstance(vendor, int):
            return vendor_name(vendor)
        return "Qualcomm" if vendor == "QCOM" else (self.manufacturer or str(vendor or ""))

    @property
    def bus(self) -> str:
        return parse_location(self.location)


def parse_device_id(device_id: str) -> tuple[int | str | None, int | None]:
    m = _PCI.match(device_id)
    if m:
        return int(m.group(1), 16), int(m.group(2), 16)
    m = _ACPI_VENDEV.match(device_id) or _ACPI_HID.match(device_id)
    if m:
        return m.group(1).upper(), int(m.group(2), 16)
    return None, None


def parse_location(location: str) -> str:
    """'PCI bus 0, device 11, function 0' -> '0000:00:0b.0' (domain 0 assumed)."""
    m = _LOCATION.search(location or "")
    if not m:
        return ""
    bus, dev, fn = (int(g) for g in m.groups())
    return f"0000:{bus:02x}:{dev:02x}.{fn}"


def parse_pnp_json(text: str) -> list[PnpDevice]:
    """ConvertTo-Json output (one object or a list) -> devices; malformed input -> []."""
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        return []
    rows = data if isinstance(data, list) else [data]
    out = []
    for row in rows:
        if not isinstance(row, dict) or not row.get("DeviceID"):
            continue
        out.append(PnpDevice(
            name=str(row.get("DeviceName") or row.get("FriendlyName") or ""),
            device_id=str(row["DeviceID"]),
            driver_version=str(row.get("DriverVersion") or ""),
            manufacturer=str(row.get("Manufacturer") or ""),
            device_class=str(row.get("DeviceClass") or ""),
            location=str(row.get("Location") or ""),
        ))
    return out
