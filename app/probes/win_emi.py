"""CPU package energy on Windows from the Energy Meter Interface (EMI).

Windows 11 exposes the RAPL counters to unprivileged processes through EMI
devices (interface {45BD8344-7ED6-49CF-A440-C276C933B053}). Each channel
reports {AbsoluteEnergy u64 in picowatt-hours, AbsoluteTime u64 in 100 ns}.
Only `*_PKG` channels are used (PP0/PP1 are nested inside the package), and a
channel whose counter equals another's is a mirror (per-core or per-die
devices) and is dropped: summing everything gave 265 W instead of 154 W in
codecarbon PR #1263.

Parsing (EMI_METADATA_V1/V2, measurement bytes) is pure and runs on Linux;
the DeviceIoControl calls live in win_emi_backend.py.
"""

from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass, field
from typing import Protocol

from app.probes.counters import CounterDelta
from app.probes.model import (
    CPU,
    JOULE,
    NOT_READY,
    STALE,
    UNSUPPORTED,
    WATT,
    Clock,
    Probe,
    Sample,
    missing,
    reading,
)

EMI_VERSION_V1, EMI_VERSION_V2 = 1, 2
EMI_NAME_MAX = 16  # WCHARs in HardwareOEM / HardwareModel
MEASUREMENT_SIZE = 16  # EMI_CHANNEL_MEASUREMENT_DATA
PWH_TO_J = 3.6e-9
HNS_TO_S = 1e-7
MIRROR_TOLERANCE = 1e-6  # relative difference under which two counters are one
SCOPE = "CPU package (EMI RAPL)"
NO_EMI = "no Energy Meter Interface device (VM, or Windows 10 without metering hardware)"


class EmiDevice(Protocol):
    path: str

    def version(self) -> int: ...
    def metadata(self) -> bytes: ...
    def measure(self, channel_count: int) -> bytes: ...


class EmiBackend(Protocol):
    def devices(self) -> list[EmiDevice]: ...


@dataclass
class EmiMetadata:
    oem: str
    model: str
    revision: int
    channels: list[str]


def _wstr(raw: bytes) -> str:
    return raw.decode("utf-16-le", errors="replace").split("\x00")[0]


def parse_metadata(version: int, data: bytes) -> EmiMetadata:
    """EMI_METADATA_V1/V2 bytes -> names; ValueError on a truncated or unknown buffer."""
    name_bytes = 2 * EMI_NAME_MAX
    if version == EMI_VERSION_V2:
        # WCHAR OEM[16], WCHAR Model[16], USHORT Revision, USHORT ChannelCount, EMI_CHANNEL_V2[]
        head = 2 * name_bytes + 4
        if len(data) < head:
            raise ValueError(f"EMI v2 metadata too short ({len(data)} bytes)")
        revision, count = struct.unpack_from("<HH", data, 2 * name_bytes)
        channels, offset = [], head
        for _ in range(count):
            # EMI_CHANNEL_V2: ULONG MeasurementUnit, USHORT ChannelNameSize (bytes), WCHAR ChannelName[]
            if offset + 6 > len(data):
                raise ValueError("EMI v2 metadata truncated in channel header")
            (size,) = struct.unpack_from("<H", data, offset + 4)
            if offset + 6 + size > len(data):
                raise ValueError("EMI v2 metadata truncated in channel name")
            channels.append(_wstr(data[offset + 6: offset + 6 + size]))
            offset += 6 + size
        return EmiMetadata(_wstr(data[:name_bytes]), _wstr(data[name_bytes:2 * name_bytes]), revision, channels)
    if version == EMI_VERSION_V1:
        # ULONG MeasurementUnit, WCHAR OEM[16], WCHAR Model[16], USHORT Revision, USHORT NameSize, WCHAR Name[]
        head = 4 + 2 * name_bytes + 4
        if len(data) < head:
            raise ValueError(f"EMI v1 metadata too short ({len(data)} bytes)")
        revision, size = struct.unpack_from("<HH", data, 4 + 2 * name_bytes)
        name = _wstr(data[head: head + size]) or "EMI"
        return EmiMetadata(_wstr(data[4:4 + name_bytes]), _wstr(data[4 + name_bytes: head - 4]), revision, [name])
    raise ValueError(f"unknown EMI version {version}")


def parse_measurements(data: bytes) -> list[tuple[int, int]]:
    """Measurement bytes -> [(AbsoluteEnergy pWh, AbsoluteTime 100 ns)] per channel."""
    n = len(data) // MEASUREMENT_SIZE
    return [struct.unpack_from("<QQ", data, i * MEASUREMENT_SIZE) for i in range(n)]


def is_package(name: str) -> bool:
    return name.upper().endswith("_PKG")


def package_index(name: str) -> int:
    m = re.search(r"package(\d+)", name, re.I)
    return int(m.group(1)) if m else 0


def mirrored(energies: list[tuple[object, int]]) -> set:
    """Keys whose counter equals (within 1e-6) an earlier one: the same meter seen twice."""
    kept: list[int] = []
    dupes = set()
    for key, energy in energies:
        if energy > 0 and any(abs(energy - k) <= MIRROR_TOLERANCE * max(energy, k) for k in kept):
            dupes.add(key)
        elif energy > 0:
            kept.append(energy)
    return dupes


def power_w(prev: tuple[int, int], cur: tuple[int, int]) -> float | None:
    """Watts between two (pWh, 100 ns) measurements, on the meter's own clock."""
    dt = cur[1] - prev[1]
    if dt <= 0 or cur[0] < prev[0]:
        return None
    return (cur[0] - prev[0]) * PWH_TO_J / (dt * HNS_TO_S)


@dataclass
class _Channel:
    device: EmiDevice
    index: int
    count: int  # channels on that device (the measurement buffer size)
    name: str
    key: str
    energy: CounterDelta = field(default_factory=CounterDelta)
    last: tuple[int, int] | None = None


class WinEmiProbe(Probe):
    name = "emi"
    period_s = 0.1

    def __init__(self, backend: EmiBackend, *, clock: Clock = time.perf_counter_ns) -> None:
        self._backend = backend
        self._clock = clock
        self._channels: list[_Channel] | None = None
        self._why_none = NO_EMI
        self._deduped = False

    def open(self) -> None:
        if self._channels is not None:
            return
        self._channels, seen = [], []
        for dev in self._backend.devices():
            try:
                meta = parse_metadata(dev.version(), dev.metadata())
            except (OSError, ValueError):
                continue
            seen += meta.channels
            for i, name in enumerate(meta.channels):
                if is_package(name):
                    pkg = package_index(name)
                    self._channels.append(_Channel(dev, i, len(meta.channels), name, "cpu" if pkg == 0 else f"cpu:pkg{pkg}"))
        if seen and not self._channels:
            self._why_none = f"EMI has no *_PKG channel (channels: {', '.join(seen)})"

    def close(self) -> None:
        closer = getattr(self._backend, "close", None)
        if closer is not None:
            closer()
            self._channels, self._deduped = None, False  # handles are gone: rediscover on restart

    def read(self) -> list[Sample]:
        self.open()
        if not self._channels:
            t = self._clock()
            return [missing("cpu", m, u, UNSUPPORTED, self._why_none, "EMI", t_ns=t, kind=CPU, scope=SCOPE)
                    for m, u in (("energy", JOULE), ("power", WATT))]
        raw: dict[int, tuple[list[tuple[int, int]], int]] = {}
        for ch in self._channels:
            if id(ch.device) not in raw:
                try:
                    values = parse_measurements(ch.device.measure(ch.count))
                except OSError:
                    values = []  # reported per channel as a short buffer
                raw[id(ch.device)] = (values, self._clock())
        if not self._deduped:  # first read: drop channels that mirror another
            self._deduped = True
            energies = [(id(ch), raw[id(ch.device)][0][ch.index][0]) for ch in self._channels
                        if ch.index < len(raw[id(ch.device)][0])]
            dupes = mirrored(energies)
            self._channels = [ch for ch in self._channels if id(ch) not in dupes]
        out: list[Sample] = []
        for ch in self._channels:
            values, t = raw[id(ch.device)]
            out.extend(self._channel_samples(ch, values, t))
        return out

    def _channel_samples(self, ch: _Channel, values: list[tuple[int, int]], t: int) -> list[Sample]:
        src = f"EMI {ch.name}"
        kw = {"t_ns": t, "kind": CPU, "scope": SCOPE}
        if ch.index >= len(values):
            return [missing(ch.key, m, u, "error", "EMI measurement failed or was short", src, **kw)
                    for m, u in (("energy", JOULE), ("power", WATT))]
        cur = values[ch.index]
        prev, ch.last = ch.last, cur
        ch.energy.update(cur[0], t)
        energy = reading(ch.key, "energy", ch.energy.total * PWH_TO_J, JOULE, src, **kw)
        if prev is None:
            return [energy, missing(ch.key, "power", WATT, NOT_READY, "first reading", src, **kw)]
        if cur[1] == prev[1]:
            return [energy, missing(ch.key, "power", WATT, STALE, "meter did not update since the last read", src, **kw)]
        watts = power_w(prev, cur)
        if watts is None:
            return [energy, missing(ch.key, "power", WATT, NOT_READY, "meter went backwards (reset)", src, **kw)]
        return [energy, reading(ch.key, "power", watts, WATT, src, **kw)]
