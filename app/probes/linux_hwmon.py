"""CPU and GPU temperature / power / energy from Linux hwmon.

`/sys/class/hwmon/hwmonN/{name, temp*_input (m°C), temp*_label, power1_input
or power1_average (µW), energy*_input (µJ)}`. CPU sensors (coretemp, k10temp,
zenpower) map to "cpu"; sensors on a PCI GPU (amdgpu, i915, xe, nouveau) map to
that GPU's "pci:<slot>" key. `amdxdna` belongs to the AMD NPU probe. Drivers
cache these values, so 2 Hz is enough.
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
    CELSIUS,
    CPU,
    GPU,
    JOULE,
    NOT_READY,
    OK,
    UNSUPPORTED,
    WATT,
    Sample,
    missing,
    reading,
)

CPU_SENSORS = {"coretemp": ("Package id 0",), "k10temp": ("Tctl", "Tdie"), "zenpower": ("Tdie", "Tctl"),
               "cpu_thermal": ()}
GPU_DRIVERS = {"amdgpu", "radeon", "i915", "xe", "nouveau"}
OWNED_ELSEWHERE = {"amdxdna"}  # linux_amdxdna.py
GPU_POWER_SCOPE = {"amdgpu": "GPU (amdgpu hwmon; on an APU this is the whole SoC)",
                   "i915": "GPU card (i915 hwmon)", "xe": "GPU package (xe hwmon)"}
NO_CPU_SENSOR = "no coretemp/k10temp/zenpower hwmon sensor (VM, or the driver is not loaded)"


def valid_temp_c(millideg: int | None) -> float | None:
    """m°C -> °C; values outside a physical range are driver sentinels, not readings."""
    if millideg is None:
        return None
    c = millideg / 1000.0
    return c if -40.0 <= c <= 150.0 else None


def pick_temp_file(files: dict[str, str], preferred: tuple[str, ...]) -> str | None:
    """Among {tempN: label}, the preferred label's sensor, else the lowest-numbered one."""
    for want in preferred:
        for sensor, label in files.items():
            if label == want:
                return sensor
    return min(files, key=lambda s: int(s[4:]) if s[4:].isdigit() else 1 << 30) if files else None


@dataclass
class Chip:
    path: Path
    name: str
    device: str
    kind: str
    temp_sensor: str | None
    power_file: str | None
    energy_file: str | None
    scope: str = ""
    energy: CounterDelta = field(default_factory=CounterDelta)


def discover_chips(sys_root: Path, reader: Reader = read_text) -> list[Chip]:
    chips = []
    for path in natural_dirs(sys_root / "class/hwmon", "hwmon"):
        name = (read_attr(path / "name", reader).text or "").strip()
        if not name or name in OWNED_ELSEWHERE:
            continue
        try:
            entries = set(p.name for p in path.iterdir())
        except OSError:
            continue
        temps = {e[: -len("_input")]: (read_attr(path / f"{e[:-6]}_label", reader).text or "").strip()
                 for e in entries if e.startswith("temp") and e.endswith("_input")}
        if name in CPU_SENSORS:
            chips.append(Chip(path, name, "cpu", CPU, pick_temp_file(temps, CPU_SENSORS[name]), None, None))
            continue
        ev = parse_uevent(read_attr(path / "device/uevent", reader).text)
        if ev.get("DRIVER") not in GPU_DRIVERS or not ev.get("PCI_SLOT_NAME"):
            continue
        power = next((f for f in ("power1_input", "power1_average") if f in entries), None)
        # xe: energy1 is the card, energy2 the package; i915 has only energy1.
        energy = "energy2_input" if name == "xe" and "energy2_input" in entries else (
            "energy1_input" if "energy1_input" in entries else None)
        chips.append(Chip(path, name, f"pci:{ev['PCI_SLOT_NAME'].lower()}", GPU,
                          pick_temp_file(temps, ("edge", "pkg")), power, energy,
                          GPU_POWER_SCOPE.get(ev["DRIVER"], f"GPU ({name} hwmon)")))
    return chips


class HwmonProbe(SysfsProbe):
    name = "hwmon"
    period_s = 0.5

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover_chips(sys_root, reader)

    def read(self) -> list[Sample]:
        self.open()
        out: list[Sample] = []
        for chip in self.found or []:
            out.extend(self._read_chip(chip))
        if not any(c.kind == CPU for c in self.found or []):
            out.append(missing("cpu", "temp", CELSIUS, UNSUPPORTED, NO_CPU_SENSOR, "hwmon",
                               t_ns=self._clock(), kind=CPU))
        return out

    def _value(self, chip: Chip, file: str) -> tuple[int | None, str, str, int]:
        attr = read_attr(chip.path / file, self._reader)
        t = self._clock()
        value = parse_int(attr.text)
        if attr.status == OK and value is None:
            return None, "error", f"{file}: unparsable {attr.text!r}", t
        return value, attr.status, attr.reason, t

    def _read_chip(self, chip: Chip) -> list[Sample]:
        out = []
        kw = {"kind": chip.kind}
        if chip.temp_sensor:
            file = f"{chip.temp_sensor}_input"
            raw, status, reason, t = self._value(chip, file)
            src = f"hwmon {chip.name} {file}"
            temp = valid_temp_c(raw)
            if status == OK and temp is None:
                status, reason = UNSUPPORTED, f"sentinel value {raw}"
            out.append(reading(chip.device, "temp", temp, CELSIUS, src, t_ns=t, **kw) if status == OK
                       else missing(chip.device, "temp", CELSIUS, status, reason, src, t_ns=t, **kw))
        if chip.power_file:
            raw, status, reason, t = self._value(chip, chip.power_file)
            src = f"hwmon {chip.name} {chip.power_file}"
            if status == OK and raw is not None and raw >= 0xFFFFFFFF:
                status, reason = UNSUPPORTED, f"sentinel value {raw}"
            out.append(reading(chip.device, "power", raw * 1e-6, WATT, src, t_ns=t, scope=chip.scope, **kw)
                       if status == OK else
                       missing(chip.device, "power", WATT, status, reason, src, t_ns=t, scope=chip.scope, **kw))
        if chip.energy_file:
            out.extend(self._read_energy(chip))
        return out

    def _read_energy(self, chip: Chip) -> list[Sample]:
        raw, status, reason, t = self._value(chip, chip.energy_file or "")
        src = f"hwmon {chip.name} {chip.energy_file}"
        kw = {"t_ns": t, "kind": chip.kind, "scope": chip.scope}
        if status != OK or raw is None:
            return [missing(chip.device, "energy", JOULE, status, reason, src, **kw)]
        delta = chip.energy.update(raw, t)
        out = [reading(chip.device, "energy", chip.energy.total * 1e-6, JOULE, src, **kw)]
        if not chip.power_file:  # derive power when the chip has no power file
            out.append(missing(chip.device, "power", WATT, NOT_READY, "first reading", src, **kw) if delta is None
                       else reading(chip.device, "power", delta.rate_per_s() * 1e-6, WATT, src, **kw))
        return out
