"""Pixel-column decimation for the live charts, in numpy (no Qt).

A chart never needs more than about two points per pixel column: the
smallest and the largest value in it. Reducing a million latency points to
that before `setData` keeps every spike visible and makes a frame cost the
same at 1 or 30,000 inferences per second.

`column_minmax` reduces any sorted series over an x window; `ColumnCache`
does the same for a growing series incrementally: while the window stays put
a frame only bins the points that arrived since the last one, and when the
charts widen the window (in steps, as the run goes on) or fit it to the run
at its end, the old columns are merged into the new ones instead of re-reading the buffer. So the chart
keeps the min and max of every moment of the run, even after the oldest raw
points fell out of the ring buffer.
"""

from __future__ import annotations

import numpy as np

from app.views.ringbuffer import RingBuffer


def _column_starts(x: np.ndarray, x0: float, x1: float, ncols: int) -> tuple[np.ndarray, np.ndarray]:
    """(column index of each run of points, index of the run's first point); x sorted, inside [x0, x1]."""
    dx = (x1 - x0) / ncols
    col = np.clip(((x - x0) / dx).astype(np.int64), 0, ncols - 1)
    starts = np.flatnonzero(np.concatenate(([True], col[1:] != col[:-1])))
    return col[starts], starts


def column_minmax(x: np.ndarray, y: np.ndarray, x0: float, x1: float, ncols: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of a sorted series inside [x0, x1] (plus one on each side, so lines reach the edges),
    reduced to each pixel column's min and max in x order. A series with no more than 2 points per
    column passes through unchanged; a column of NaN stays NaN (a gap, never a zero)."""
    if x.size == 0 or ncols < 1 or not x1 > x0:
        return x, y
    i, j = np.searchsorted(x, [x0, x1])
    i, j = max(0, int(i) - 1), min(x.size, int(j) + 1)
    x, y = x[i:j], y[i:j]
    if x.size <= 2 * ncols:
        return x, y
    _, starts = _column_starts(x, x0, x1, ncols)
    ends = np.append(starts[1:], x.size) - 1
    lo, hi = np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)
    xs = np.empty(2 * starts.size)
    ys = np.empty(2 * starts.size)
    xs[0::2], xs[1::2] = x[starts], x[ends]
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


class ColumnCache:
    """Per-column min/max of a ring buffer's sorted x over a fixed window, updated with new points only.

    The window (x0, x1, ncols) changes rarely: widened (the x range grows in
    steps) it is re-binned from the columns; resized, moved, or when the buffer
    was cleared, it is rebuilt from the buffer. Points outside the window are
    ignored.
    """

    def __init__(self) -> None:
        self.key: tuple[float, float, int] | None = None
        self.total = 0
        self.lo = np.empty(0)
        self.hi = np.empty(0)
        self.rebuilds = 0  # for tests and the benchmark

    def update(self, buffer: RingBuffer, x0: float, x1: float, ncols: int) -> tuple[np.ndarray, np.ndarray]:
        key = (float(x0), float(x1), int(ncols))
        new = buffer.total - self.total
        if new < 0 or new > len(buffer) or (key != self.key and not self._rebinned(key)):
            self.key, self.rebuilds = key, self.rebuilds + 1
            self.lo, self.hi = np.full(ncols, np.nan), np.full(ncols, np.nan)
            self._merge(*buffer.view())
        elif new:
            self._merge(*buffer.view(new))
        self.total = buffer.total
        return self.points()

    def _rebinned(self, key: tuple[float, float, int]) -> bool:
        """A new window of the same pixel width (the x range grew as the run went on, or was fitted to the
        run at its end): move the old columns' min/max into the new columns (O(columns), not a pass over a
        million points). This also keeps the moments whose raw points already fell out of the ring buffer,
        which a rebuild from the buffer would lose. Narrowed, each old column lands in the new column of its
        centre (within half an old column, under a pixel here)."""
        old = self.key
        if old is None or key[2] != old[2] or not key[1] > key[0]:
            return False
        x0, x1, ncols = old
        cols = np.flatnonzero(np.isfinite(self.lo))
        centre = x0 + (cols + 0.5) * ((x1 - x0) / ncols)
        inside = (centre >= key[0]) & (centre < key[1])
        cols, centre = cols[inside], centre[inside]
        lo, hi = self.lo[cols], self.hi[cols]
        self.key = key
        self.lo, self.hi = np.full(ncols, np.nan), np.full(ncols, np.nan)
        if cols.size:
            target, starts = _column_starts(centre, key[0], key[1], ncols)
            self.lo[target] = np.fmin.reduceat(lo, starts)
            self.hi[target] = np.fmax.reduceat(hi, starts)
        return True

    def _merge(self, x: np.ndarray, y: np.ndarray) -> None:
        x0, x1, ncols = self.key
        if x.size == 0 or not x1 > x0:
            return
        i, j = np.searchsorted(x, [x0, x1])
        x, y = x[i:j], y[i:j]
        if x.size == 0:
            return
        cols, starts = _column_starts(x, x0, x1, ncols)
        self.lo[cols] = np.fmin(self.lo[cols], np.fmin.reduceat(y, starts))
        self.hi[cols] = np.fmax(self.hi[cols], np.fmax.reduceat(y, starts))

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Each non-empty column's min and max (one point when they are equal) at the column's centre."""
        if self.key is None:
            return np.empty(0), np.empty(0)
        x0, x1, ncols = self.key
        cols = np.flatnonzero(np.isfinite(self.lo))
        centre = x0 + (cols + 0.5) * ((x1 - x0) / ncols)
        lo, hi = self.lo[cols], self.hi[cols]
        two = hi > lo
        xs = np.concatenate((centre, centre[two]))
        ys = np.concatenate((lo, hi[two]))
        return xs, ys
