"""CPU package / DRAM / iGPU / platform energy from Linux RAPL powercap.

`/sys/class/powercap/intel-rapl:N[:M]/{name,energy_uj,max_energy_range_uj}`
(Intel and AMD Zen alike). energy_uj wraps at max_energy_range_uj and has
been root-only since Linux 5.10 (PLATYPUS): EACCES is reported as "denied"
with the udev rule that fixes it. `intel-rapl-mmio:*` duplicates package-0
and is skipped; package zones that read the very same counter (multi-die
mirrors) are kept once.

Readings: `energy` = joules counted since the probe started (wrap-corrected,
integrable over any window), `power` = watts over the last interval.
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
    CPU,
    DENIED,
    GPU,
    JOULE,
    MEMORY,
    NOT_READY,
    OK,
    STALE,
    SYSTEM,
    UNSUPPORTED,
    WATT,
    Sample,
    missing,
    reading,
)

UDEV_FIX = (
    "echo 'SUBSYSTEM==\"powercap\", KERNEL==\"intel-rapl:*\", ACTION==\"add\", "
    "RUN+=\"/bin/chgrp power /sys%p/energy_uj\", RUN+=\"/bin/chmod g+r /sys%p/energy_uj\"' "
    "| sudo tee /etc/udev/rules.d/99-aipcprof-rapl.rules && sudo groupadd -f power "
    "&& sudo usermod -aG power $USER && sudo udevadm control --reload "
    "&& sudo udevadm trigger --subsystem-match=powercap   (then log in again)"
)
DENIED_REASON = "energy_uj is root-only since Linux 5.10; run `aipcprof devices` for the udev fix"
NO_RAPL_REASON = ("no RAPL powercap zones (/sys/class/powercap/intel-rapl:*): "
                  "a VM, a non-x86 CPU, or intel_rapl_common not loaded")


@dataclass
class Zone:
    path: Path
    name: str  # "package-0", "core", "uncore", "dram", "psys"
    device: str
    kind: str
    metric_suffix: str  # "" for the covering domain, "_cores" for PP0
    scope: str
    counter: CounterDelta = field(default_factory=CounterDelta)


def classify_zone(name: str, package_index: int, igpu_key: str) -> tuple[str, str, str, str]:
    """RAPL domain name -> (device key, kind, metric suffix, scope)."""
    if name.startswith("package"):
        device = "cpu" if package_index == 0 else f"cpu:pkg{package_index}"
        return device, CPU, "", "CPU package (RAPL)"
    if name == "core":
        return "cpu", CPU, "_cores", "CPU cores, inside the package (RAPL PP0)"
    if name == "uncore":
        return igpu_key, GPU, "", "integrated GPU (RAPL uncore/PP1)"
    if name == "dram":
        return "memory", MEMORY, "", "DRAM (RAPL)"
    if name == "psys":
        return "system", SYSTEM, "", "whole platform (RAPL psys)"
    return f"rapl:{name}", SYSTEM, "", f"RAPL {name}"


def find_intel_igpu(sys_root: Path, reader: Reader = read_text) -> str:
    """The pci key of the one Intel display device (RAPL uncore's target), else 'igpu'."""
    slots = set()
    for card in natural_dirs(sys_root / "class/drm", "card"):
        if "-" in card.name:  # connectors: card0-eDP-1
            continue
        ev = parse_uevent(read_attr(card / "device/uevent", reader).text)
        if ev.get("DRIVER") in ("i915", "xe") and ev.get("PCI_SLOT_NAME"):
            slots.add(ev["PCI_SLOT_NAME"].lower())
    return f"pci:{slots.pop()}" if len(slots) == 1 else "igpu"


def discover_zones(sys_root: Path, reader: Reader = read_text) -> list[Zone]:
    base = sys_root / "class/powercap"
    igpu = find_intel_igpu(sys_root, reader)
    zones, packages = [], 0
    for path in natural_dirs(base, "intel-rapl:"):  # "intel-rapl-mmio:" does not match
        attr = read_attr(path / "name", reader)
        if attr.text is None:
            continue
        name = attr.text.strip()
        index = packages if name.startswith("package") else 0
        packages += name.startswith("package")
        device, kind, suffix, scope = classify_zone(name, index, igpu)
        rng = parse_int(read_attr(path / "max_energy_range_uj", reader).text)
        zones.append(Zone(path, name, device, kind, suffix, scope, CounterDelta(max_range=rng)))
    return zones


class RaplPowercapProbe(SysfsProbe):
    name = "rapl"
    period_s = 0.1

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover_zones(sys_root, reader)

    def fix(self, sample: Sample) -> str:
        return UDEV_FIX if sample.status == DENIED else ""

    def read(self) -> list[Sample]:
        self.open()
        if not self.found:
            t = self._clock()
            return [missing("cpu", m, u, UNSUPPORTED, NO_RAPL_REASON, "powercap", t_ns=t, kind=CPU,
                            scope="CPU package (RAPL)") for m, u in (("energy", JOULE), ("power", WATT))]
        out: list[Sample] = []
        seen_packages: dict[int, str] = {}
        for zone in self.found:
            out.extend(self._read_zone(zone, seen_packages))
        return out

    def _read_zone(self, zone: Zone, seen_packages: dict[int, str]) -> list[Sample]:
        attr = read_attr(zone.path / "energy_uj", self._reader)
        t = self._clock()
        src = f"powercap {zone.path.name}/energy_uj ({zone.name})"
        em, pm = "energy" + zone.metric_suffix, "power" + zone.metric_suffix
        kw = {"t_ns": t, "kind": zone.kind, "scope": zone.scope}
        raw = parse_int(attr.text)
        if attr.status != OK or raw is None:
            status = attr.status if attr.status != OK else "error"
            reason = DENIED_REASON if status == DENIED else (attr.reason or f"unparsable {attr.text!r}")
            return [missing(zone.device, em, JOULE, status, reason, src, **kw),
                    missing(zone.device, pm, WATT, status, reason, src, **kw)]
        if zone.kind == CPU and not zone.metric_suffix and not zone.counter.primed:
            # Multi-die parts can publish one counter twice; keep the first.
            if raw in seen_packages and raw > 0:
                zone.kind, zone.device = "", f"rapl-mirror:{zone.path.name}"
            seen_packages[raw] = zone.path.name
        if zone.kind == "":
            return []
        primed = zone.counter.primed
        delta = zone.counter.update(raw, t)
        energy = reading(zone.device, em, zone.counter.total * 1e-6, JOULE, src, **kw)
        if delta is None:
            why = "counter went backwards (reset)" if primed else "first reading"
            return [energy, missing(zone.device, pm, WATT, NOT_READY, why, src, **kw)]
        if delta.amount == 0:
            return [energy, missing(zone.device, pm, WATT, STALE, "counter did not advance (domain disabled?)",
                                    src, **kw)]
        return [energy, reading(zone.device, pm, delta.rate_per_s() * 1e-6, WATT, src, **kw)]
