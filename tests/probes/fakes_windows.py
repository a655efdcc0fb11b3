"""Replay backends for the Windows probes: recorded PDH traces and EMI bytes."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .conftest import DATA


class FakePdh:
    """PdhQuery stand-in: each collect() advances one frame of a JSON trace.

    A null value in the trace is an item without valid data (NaN), as PDH
    returns for a rate counter before its second collection.
    """

    def __init__(self, trace: str | Path | dict, *, missing_paths: tuple[str, ...] = ()) -> None:
        data = trace if isinstance(trace, dict) else json.loads((DATA / "pdh" / trace).read_text())
        self.frames = data["frames"]
        self.missing_paths = missing_paths
        self.index = -1
        self.closed = False

    def add_counter(self, path: str) -> str:
        if path in self.missing_paths:
            raise OSError(f"PdhAddEnglishCounterW({path}) failed: 0xC0000BB8")
        return path

    def collect(self) -> None:
        self.index = min(self.index + 1, len(self.frames) - 1)

    def get_values(self, handle: str) -> dict[str, float]:
        values = self.frames[self.index]["counters"].get(handle, {})
        return {k: (math.nan if v is None else float(v)) for k, v in values.items()}

    def close(self) -> None:
        self.closed = True


class FakeEmiDevice:
    def __init__(self, name: str, version: int = 2) -> None:
        self.path = f"\\\\?\\ROOT#EMI#{name}"
        self.name = name
        self._version = version
        self.snap = 0

    def version(self) -> int:
        return self._version

    def metadata(self) -> bytes:
        return (DATA / "emi" / f"{self.name}.meta.bin").read_bytes()

    def measure(self, channel_count: int) -> bytes:
        data = (DATA / "emi" / f"{self.name}.snap{self.snap}.bin").read_bytes()
        return data[: 16 * channel_count]


class FakeEmi:
    def __init__(self, names=("pkg", "core0", "core1")) -> None:
        self._devices = [FakeEmiDevice(n) for n in names]

    def devices(self):
        return self._devices

    def set_snapshot(self, snap: int) -> None:
        for d in self._devices:
            d.snap = snap
