"""Cumulative counters -> deltas and rates (energy, busy time, CPU time).

Each source's rate is computed against its own read timestamps, so a late
tick never inflates a rate. The first read has no rate (not_ready); a counter
that goes backwards either wrapped (when its range is known) or was reset, in
which case the last value is held and the next delta starts from the new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Delta:
    amount: float  # counter units, wrap-corrected, >= 0
    dt_ns: int

    def rate_per_s(self) -> float:
        return self.amount / (self.dt_ns * 1e-9) if self.dt_ns > 0 else float("nan")


class CounterDelta:
    """Turns successive raw readings of a monotonic counter into deltas.

    `max_range`: the value at which the counter wraps back to 0 (RAPL's
    max_energy_range_uj). None: the counter never wraps, so going backwards
    means a reset (driver reload): hold, report not ready.
    """

    def __init__(self, max_range: float | None = None) -> None:
        self.max_range = max_range
        self._last: tuple[float, int] | None = None
        self.total = 0.0  # wrap-corrected sum of deltas since the first reading
        self.wraps = 0
        self.resets = 0

    def update(self, raw: float, t_ns: int) -> Delta | None:
        """Feed one reading; returns the delta since the previous one, or None."""
        last = self._last
        self._last = (raw, t_ns)
        if last is None:
            return None
        prev, prev_t = last
        dt = t_ns - prev_t
        if dt <= 0:
            self._last = last  # same or earlier timestamp: ignore this reading
            return None
        if raw >= prev:
            amount = raw - prev
        elif self.max_range and 0 < self.max_range and prev <= self.max_range:
            amount = raw + self.max_range - prev  # wrapped once
            self.wraps += 1
        else:
            self.resets += 1
            return None
        self.total += amount
        return Delta(amount, dt)

    @property
    def primed(self) -> bool:
        return self._last is not None
