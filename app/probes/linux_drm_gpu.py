"""Integrated / non-NVIDIA GPU busy, clock and memory from DRM sysfs.

- amdgpu: device/gpu_busy_percent (SMU-averaged %), device/mem_info_vram_used.
- i915: busy = 1 - Δ rc6_residency_ms / Δt (gt/gt0/ or power/), gt_cur_freq_mhz.
- xe: busy = 1 - Δ tile0/gt0/gtidle/idle_residency_ms / Δt, tile0/gt0/freq0/cur_freq.
RC6/idle residency is "time the render GT was power-gated", so 100 % - that is
an upper bound on busy (nvtop's reading); the source string says so.
NVIDIA cards are left to NVML.
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
from app.probes.model import BYTES, GPU, HERTZ, NOT_READY, OK, PERCENT, Sample, missing, reading

IDLE_FILES = {
    "i915": ("gt/gt0/rc6_residency_ms", "power/rc6_residency_ms"),
    "xe": ("device/tile0/gt0/gtidle/idle_residency_ms",),
}
FREQ_FILES = {
    "i915": ("gt_cur_freq_mhz", "gt/gt0/rps_cur_freq_mhz"),
    "xe": ("device/tile0/gt0/freq0/cur_freq",),
}


@dataclass
class DrmCard:
    card: Path  # /sys/class/drm/cardN
    driver: str
    key: str
    idle_file: str | None = None
    freq_file: str | None = None
    idle: CounterDelta = field(default_factory=CounterDelta)


def _first_readable(card: Path, candidates: tuple[str, ...], reader: Reader) -> str | None:
    return next((c for c in candidates if read_attr(card / c, reader).status == OK), None)


def discover(sys_root: Path, reader: Reader = read_text) -> list[DrmCard]:
    cards, seen = [], set()
    for card in natural_dirs(sys_root / "class/drm", "card"):
        if "-" in card.name:  # connectors such as card0-eDP-1
            continue
        ev = parse_uevent(read_attr(card / "device/uevent", reader).text)
        driver, slot = ev.get("DRIVER", ""), ev.get("PCI_SLOT_NAME", "").lower()
        if driver not in ("amdgpu", "i915", "xe") or not slot or slot in seen:
            continue
        seen.add(slot)
        cards.append(DrmCard(card, driver, f"pci:{slot}",
                             _first_readable(card, IDLE_FILES.get(driver, ()), reader),
                             _first_readable(card, FREQ_FILES.get(driver, ()), reader)))
    return cards


def busy_from_idle(delta_idle_ms: float, dt_ns: int) -> float:
    """100 % minus the idle (RC6) share of the interval, clamped to 0..100."""
    return max(0.0, min(100.0, 100.0 - 100.0 * delta_idle_ms * 1e6 / dt_ns)) if dt_ns > 0 else float("nan")


class DrmGpuProbe(SysfsProbe):
    name = "drm-gpu"
    period_s = 0.2

    def discover(self, sys_root: Path, reader: Reader) -> list:
        return discover(sys_root, reader)

    def read(self) -> list[Sample]:
        self.open()
        out: list[Sample] = []
        for card in self.found or []:
            if card.driver == "amdgpu":
                out.append(self._plain(card, "device/gpu_busy_percent", "util", PERCENT, 1.0))
                out.append(self._plain(card, "device/mem_info_vram_used", "mem_used", BYTES, 1.0))
            else:
                if card.idle_file:
                    out.append(self._busy(card))
                if card.freq_file:
                    out.append(self._plain(card, card.freq_file, "freq", HERTZ, 1e6))
        return out

    def _plain(self, card: DrmCard, file: str, metric: str, unit: str, scale: float) -> Sample:
        attr = read_attr(card.card / file, self._reader)
        t = self._clock()
        raw = parse_int(attr.text)
        src = f"{card.driver} {file}"
        if attr.status == OK and raw is not None:
            return reading(card.key, metric, raw * scale, unit, src, t_ns=t, kind=GPU)
        return missing(card.key, metric, unit, attr.status if attr.status != OK else "error",
                       attr.reason or f"unparsable {attr.text!r}", src, t_ns=t, kind=GPU)

    def _busy(self, card: DrmCard) -> Sample:
        attr = read_attr(card.card / (card.idle_file or ""), self._reader)
        t = self._clock()
        raw = parse_int(attr.text)
        src = f"{card.driver} {card.idle_file} (100 % - idle residency)"
        if attr.status != OK or raw is None:
            return missing(card.key, "util", PERCENT, attr.status if attr.status != OK else "error",
                           attr.reason or f"unparsable {attr.text!r}", src, t_ns=t, kind=GPU)
        primed = card.idle.primed
        delta = card.idle.update(raw, t)
        if delta is None:
            why = "counter went backwards (reset)" if primed else "first reading"
            return missing(card.key, "util", PERCENT, NOT_READY, why, src, t_ns=t, kind=GPU)
        return reading(card.key, "util", busy_from_idle(delta.amount, delta.dt_ns), PERCENT, src, t_ns=t, kind=GPU)
