"""Preallocated, double-written ring buffers for live charts.

Every value is written twice, at `i` and `i + capacity`, so the newest `n`
values are always one contiguous numpy slice (no concatenation, no copy)
that can go straight to `PlotDataItem.setData`. Memory is fixed at
construction: an hour-long run costs the same RAM as a one-minute run.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """Fixed-capacity (x, y) series; old points fall off the front."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._x = np.full(2 * capacity, np.nan)
        self._y = np.full(2 * capacity, np.nan)
        self._head = 0  # next write position in [0, capacity)
        self._size = 0
        self.total = 0  # points ever appended (for "new data since" checks)

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._head = 0
        self._size = 0
        self.total = 0

    def append(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append a batch; a batch larger than the capacity keeps only its tail."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        n = x.size
        if n == 0:
            return
        self.total += n
        cap = self.capacity
        if n >= cap:
            x, y, n = x[-cap:], y[-cap:], cap
        start = self._head
        first = min(n, cap - start)  # part before the wrap
        for buf, src in ((self._x, x), (self._y, y)):
            buf[start:start + first] = src[:first]
            buf[start + cap:start + cap + first] = src[:first]
            rest = n - first
            if rest:
                buf[:rest] = src[first:]
                buf[cap:cap + rest] = src[first:]
        self._head = (start + n) % cap
        self._size = min(cap, self._size + n)

    def view(self, last: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The newest `last` points (all when None), oldest first, as views (do not modify)."""
        n = self._size if last is None else min(last, self._size)
        # Both copies are always written, so the newest n end at head + capacity.
        end = self._head + self.capacity
        return self._x[end - n:end], self._y[end - n:end]

    def last_y(self) -> float:
        if not self._size:
            return float("nan")
        return float(self._y[(self._head - 1) % self.capacity])
