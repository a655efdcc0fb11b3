"""Linux thermal zones: `/sys/class/thermal/thermal_zoneN/{type,temp}` (m°C).

The one temperature source on Snapdragon (nsp0..3-thermal = the Hexagon NPU,
per arch/arm64/boot/dts/qcom/x1e80100.dtsi) and a fallback elsewhere. Zone
types name the part they sit on; that decides the reading's device kind.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from app.probes.linux_hwmon import valid_temp_c
from app.probes.linux_sysfs import CachedReader, Reader, natural_dirs, parse_int, read_attr, read_text
from app.probes.model import (
    CELSIUS,
    CPU,
    GPU,
    NPU,
    OK,
    SYSTEM,
    UNSUPPORTED,
    Clock,
    Probe,
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


class ThermalZoneProbe(Probe):
    name = "thermal"
    period_s = 1.0

    def __init__(self, root: str | Path = "/", *, reader: Reader | None = None,
                 clock: Clock = time.perf_counter_ns) -> None:
        self.root = Path(root)
        # Discovery reads each file once; the periodic reads keep their files open.
        self._discover_reader: Reader = reader or read_text
        self._reader: Reader = reader or CachedReader()
        self._clock = clock
        self._zones: list[ThermalZone] | None = None

    def open(self) -> None:
        if self._zones is None:
            self._zones = discover_zones(self.root / "sys", self._discover_reader)

    def close(self) -> None:
        if isinstance(self._reader, CachedReader):
            self._reader.close()

    def read(self) -> list[Sample]:
        self.open()
        out = []
        for zone in self._zones or []:
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
