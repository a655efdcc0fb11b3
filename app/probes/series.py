"""Bounded per-metric time series: a ring of (t_ns, value), capped per series.

Memory per series is capped at `capacity` points (16 bytes each); buffers
grow as points arrive, so a 100k-point cap costs nothing until it is used.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from app.probes.model import Sample


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
    """Appends go to array.array (tens of ns each, cheaper than numpy item writes at
    10 Hz); numpy arrays are built only when a snapshot is asked for."""

    def __init__(self, sample: Sample, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("max_points_per_series must be at least 2")
        self.capacity = capacity
        self.device, self.metric = sample.device, sample.metric
        self._t = array("q")
        self._v = array("d")
        self._n = 0  # points ever appended
        self.update_meta(sample)

    def update_meta(self, s: Sample) -> None:
        self.unit, self.kind, self.scope = s.unit, s.kind, s.scope or getattr(self, "scope", "")
        self.status, self.source, self.reason = s.status, s.source, s.reason

    def append(self, s: Sample) -> None:
        n = self._n
        if n < self.capacity:  # still filling: the arrays grow (amortised)
            self._t.append(s.t_ns)
            self._v.append(s.value)
        else:  # full: overwrite the oldest
            i = n % self.capacity
            self._t[i] = s.t_ns
            self._v[i] = s.value
        self._n = n + 1
        self.update_meta(s)

    def __len__(self) -> int:
        return min(self._n, self.capacity)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, values), oldest first, as copies."""
        t = np.frombuffer(self._t, dtype=np.int64).copy()
        v = np.frombuffer(self._v, dtype=np.float64).copy()
        if self._n <= self.capacity:
            return t, v
        i = self._n % self.capacity
        return np.concatenate([t[i:], t[:i]]), np.concatenate([v[i:], v[:i]])

    def snapshot(self, key: str) -> Series:
        t, v = self.arrays()
        return Series(key, self.device, self.metric, self.unit, self.kind, self.scope,
                      self.status, self.source, self.reason, t, v)
