r"""Windows ACPI thermal-zone temperature through PDH (no admin needed).

`\Thermal Zone Information(*)\High Precision Temperature` is in tenths of a
kelvin (`Temperature`, whole kelvin, is the fallback on older builds). It is
an ACPI zone, often a board sensor that barely moves: the source string says
so. No documented NPU temperature exists on Windows.
"""

from __future__ import annotations

import time
from typing import Any

from app.probes.model import (
    CELSIUS,
    CPU,
    NOT_READY,
    SYSTEM,
    UNSUPPORTED,
    Clock,
    Probe,
    Sample,
    missing,
    reading,
)
from app.probes.win_pdh import PdhBackend

HIGH_PRECISION = r"\Thermal Zone Information(*)\High Precision Temperature"
WHOLE_KELVIN = r"\Thermal Zone Information(*)\Temperature"


def tenths_kelvin_to_c(value: float) -> float | None:
    """2982 -> 25.05 °C; 0 and non-physical values are 'no reading'."""
    c = value / 10.0 - 273.15
    return c if value > 0 and -40.0 <= c <= 150.0 else None


def zone_kind(instance: str) -> str:
    return CPU if "cpu" in instance.lower() else SYSTEM


class WinThermalZoneProbe(Probe):
    name = "pdh-thermal"
    period_s = 1.0

    def __init__(self, backend: PdhBackend, *, clock: Clock = time.perf_counter_ns) -> None:
        self._backend = backend
        self._clock = clock
        self._handle: Any = None
        self._path = HIGH_PRECISION
        self._failure = ""

    def open(self) -> None:
        if self._handle is not None or self._failure:
            return
        errors = []
        for path in (HIGH_PRECISION, WHOLE_KELVIN):
            try:
                self._handle, self._path = self._backend.add_counter(path), path
                return
            except OSError as e:
                errors.append(str(e))
        self._failure = f"no thermal-zone counters ({'; '.join(errors)})"

    def close(self) -> None:
        self._backend.close()
        self._handle, self._failure = None, ""

    def read(self) -> list[Sample]:
        self.open()
        if self._handle is None:
            return [missing("thermal", "temp", CELSIUS, UNSUPPORTED, self._failure or "no thermal zones",
                            HIGH_PRECISION, t_ns=self._clock(), kind=SYSTEM)]
        self._backend.collect()
        t = self._clock()
        values = self._backend.get_values(self._handle)
        if not values:
            return [missing("thermal", "temp", CELSIUS, UNSUPPORTED, "thermal-zone counter has no instances",
                            self._path, t_ns=t, kind=SYSTEM)]
        out = []
        tenths = self._path == HIGH_PRECISION
        for instance, value in sorted(values.items()):
            key, kind = f"thermal:{instance}".replace("/", "_"), zone_kind(instance)
            src = f"{self._path} (ACPI zone)"
            if value != value:  # NaN: no valid data yet
                out.append(missing(key, "temp", CELSIUS, NOT_READY, "no data yet", src, t_ns=t, kind=kind))
                continue
            c = tenths_kelvin_to_c(value if tenths else value * 10.0)
            out.append(reading(key, "temp", c, CELSIUS, src, t_ns=t, kind=kind) if c is not None
                       else missing(key, "temp", CELSIUS, UNSUPPORTED, f"sentinel value {value}", src, t_ns=t, kind=kind))
        return out
