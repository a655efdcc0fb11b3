"""Bounded per-metric time series: rings of (t_ns, value) at a few resolutions, preallocated.

Each series keeps `TIERS` rings of `capacity` points. Tier 0 holds the newest
points at the probe's own rate; every `FACTOR` points of a tier are averaged
into one point of the next (mean time, mean of the finite values: the integral
of a power series is kept), so tier k reaches FACTOR**k times further back.
With the default 4096 points, a 10 Hz metric is kept at full rate for the last
6.8 min, at 0.8 s for 55 min, at 6.4 s for 7 h and at 51 s for 2.4 days.

All rings are allocated and written (zeros) when the series is created, so
memory is fixed from the first sample: a sampler running for days costs the
same RAM as one running for a minute (16 bytes x capacity x TIERS per series).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np

from app.probes.model import Sample

TIERS = 4
FACTOR = 8  # points of one tier averaged into one point of the next


@dataclass
class Series:
    """A snapshot of one metric: chronological copies plus its latest metadata."""

    key: str
    device: str
    metric: str
    unit: str
    kind: str
    scope: str
    status: str
    source: str
    reason: str
    t_ns: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)

    @property
    def latest(self) -> float:
        return float(self.values[-1]) if self.values.size else float("nan")


class RingSeries:
    """Writes go to preallocated array.array rings (item stores cost tens of ns, cheaper than
    numpy's at 10 Hz); numpy arrays are built only when a snapshot is asked for."""

    def __init__(self, sample: Sample, capacity: int, tiers: int = TIERS, factor: int = FACTOR) -> None:
        if capacity < 2:
            raise ValueError("max_points_per_series must be at least 2")
        if tiers < 1 or factor < 2:
            raise ValueError("need at least one tier and a factor of at least 2")
        self.capacity, self.factor = capacity, factor
        self.device, self.metric = sample.device, sample.metric
        zeros = bytes(8 * capacity)  # the rings are filled now: their pages are resident from the start
        self._t = [array("q", zeros) for _ in range(tiers)]
        self._v = [array("d", zeros) for _ in range(tiers)]
        self._n = [0] * tiers  # points ever written to each tier
        # per tier but the last: [sum of t, points, sum of finite values, finite points] of the open bucket
        self._acc = [[0, 0, 0.0, 0] for _ in range(tiers - 1)]
        self.update_meta(sample)

    def update_meta(self, s: Sample) -> None:
        self.unit, self.kind, self.scope = s.unit, s.kind, s.scope or getattr(self, "scope", "")
        self.status, self.source, self.reason = s.status, s.source, s.reason

    def append(self, s: Sample) -> None:
        """One reading (10 times a second per series: update_meta's assignments inline, no call)."""
        self._put(0, s.t_ns, s.value)
        self.unit, self.kind, self.status, self.source, self.reason = s.unit, s.kind, s.status, s.source, s.reason
        if s.scope:
            self.scope = s.scope

    def _put(self, tier: int, t_ns: int, value: float) -> None:
        n = self._n[tier]
        i = n % self.capacity
        self._t[tier][i] = t_ns
        self._v[tier][i] = value
        self._n[tier] = n + 1
        if tier + 1 == len(self._t):
            return
        acc = self._acc[tier]
        acc[0] += t_ns
        acc[1] += 1
        if math.isfinite(value):
            acc[2] += value
            acc[3] += 1
        if acc[1] == self.factor:
            mean = acc[2] / acc[3] if acc[3] else math.nan  # a bucket of gaps stays a gap
            t_mean = acc[0] // acc[1]
            acc[:] = [0, 0, 0.0, 0]
            self._put(tier + 1, t_mean, mean)

    def __len__(self) -> int:
        return min(self._n[0], self.capacity)

    def _tier(self, tier: int) -> tuple[np.ndarray, np.ndarray]:
        """One tier's points, oldest first, as copies."""
        n = min(self._n[tier], self.capacity)
        t = np.frombuffer(self._t[tier], dtype=np.int64)[:n].copy()
        v = np.frombuffer(self._v[tier], dtype=np.float64)[:n].copy()
        if self._n[tier] <= self.capacity:
            return t, v
        i = self._n[tier] % self.capacity
        return np.concatenate([t[i:], t[:i]]), np.concatenate([v[i:], v[:i]])

    def arrays(self, since_ns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, values), oldest first, as copies: the newest points at full rate (tier 0).

        With `since_ns`, older points come from the coarser tiers, each used only before
        the first point of the finer one, so the series reaches back to `since_ns` (as far
        as the coarsest tier still holds) at the best resolution kept for each stretch.
        """
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        boundary: int | None = None
        for tier in range(len(self._t) if since_ns is not None else 1):
            if boundary is not None and boundary <= since_ns:
                break  # the finer tiers already reach back far enough
            t, v = self._tier(tier)
            if boundary is not None:
                keep = t < boundary
                t, v = t[keep], v[keep]
            if t.size:
                parts.append((t, v))
                boundary = int(t[0])
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        parts.reverse()
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def snapshot(self, key: str, since_ns: int | None = None) -> Series:
        t, v = self.arrays(since_ns)
        return Series(key, self.device, self.metric, self.unit, self.kind, self.scope,
                      self.status, self.source, self.reason, t, v)

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (*self._t, *self._v))
