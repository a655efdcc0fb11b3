"""Linux thermal zones: `/sys/class/thermal/thermal_zoneN/{type,temp}` (m°C).

The one temperature source on Snapdragon (nsp0..3-thermal = the Hexagon NPU,
per arch/arm64/boot/dts/qcom/x1e80100.dtsi) and a fallback elsewhere. Zone
types name the part they sit on; that decides the reading's device kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.probes.linux_hwmon import valid_temp_c
from app.probes.linux_sysfs import (
    Reader,
    SysfsProbe,
    natural_dirs,
    parse_int,
    read_attr,
    read_text,
)
from app.probes.model import (
    CELSIUS,
    CPU,
    GPU,
    NPU,
    OK,
    SYSTEM,
    UNSUPPORTED,
    Sample,
    missing,
    reading,
)

_KIND_PATTERNS = (
    (re.compile(r"^(nsp|npu|cdsp)", re.I), NPU),
    (re.compile(r"^(gpu|gpuss|video)", re.I), GPU),
    (re.compile(r"^(x86_pkg_temp|cpu|cpuss|cpu\d|soc_dts|tcpu|k10temp)", re.I), CPU),
)


def kind_of_zone(zone_type: str) -> str:
    for pattern, kind in _KIND_PATTERNS:
        if pattern.match(zone_type):
            return kind
    return SYSTEM


@dataclass
class ThermalZone:
    path: Path
    type: str
    device: str
    kind: str


def discover_zones(sys_root: Path, reader: Reader = read_text) -> list[ThermalZone]:
    zones, used = [], {}
    for path in natural_dirs(sys_root / "class/thermal", "thermal_zone"):
        ztype = (read_attr(path / "type", reader).text or "").strip() or path.name
        n = used.get(ztype, 0)
        used[ztype] = n + 1
        device = f"thermal:{ztype}" + (f"#{n}" if n else "")  # several "acpitz" zones are common
        zones.append(ThermalZone(path, ztype, device.replace("/", "_"), kind_of_zone(ztype)))
    return zones


class ThermalZoneProbe(SysfsProbe):
    name = "thermal"
    period_s = 1.0

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover_zones(sys_root, reader)

    def read(self) -> list[Sample]:
        self.open()
        out = []
        for zone in self.found or []:
            attr = read_attr(zone.path / "temp", self._reader)
            t = self._clock()
            src = f"thermal {zone.path.name} ({zone.type})"
            raw = parse_int(attr.text)
            temp = valid_temp_c(raw)
            if attr.status == OK and temp is not None:
                out.append(reading(zone.device, "temp", temp, CELSIUS, src, t_ns=t, kind=zone.kind))
                continue
            status, reason = attr.status, attr.reason
            if status == OK:
                status, reason = (UNSUPPORTED, f"sentinel value {raw}") if raw is not None else (
                    "error", f"unparsable {attr.text!r}")
            out.append(missing(zone.device, "temp", CELSIUS, status, reason, src, t_ns=t, kind=zone.kind))
        return out
