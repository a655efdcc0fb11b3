"""Per-inference latencies with bounded, preallocated memory, for runs of any length.

Up to `exact_limit` inferences every latency is kept (float32, 8 bytes with its
start offset) and the statistics are exact. Past that, a tiny model at 90,000
inferences/s would grow without bound (2.7 GB an hour), so the store switches
to bounded mode: every inference still counts in streaming moments (count,
min, max, mean, std) and in a log-spaced histogram whose bins are 0.1% wide
(percentiles within 0.05%), and the kept series becomes the max of each
`stride`-long bucket, so a spike is never averaged away.

Memory is allocated (and touched) once per mode, never grown: the exact buffers
when the first batch arrives (sized for `expected` inferences when the run says
how many), the bucket series when the store goes bounded. So the process's RSS
is flat from then on, at any inference rate. A full bucket series folds in place
(pairs of buckets merge, the stride doubles).

A run that may outgrow `exact_limit` (no `expected` count, or more than the
limit) keeps the histogram and moments from its first batch, a few tens of µs per
batch: counting two million kept latencies at once when the store goes bounded
took ~95 ms, a stall of the GUI's event loop (the GUI builds the record live).
"""

from __future__ import annotations

import math

import numpy as np

from app.run.stats import PERCENTILES, latency_stats

BIN_GROWTH = 1.001  # bin edges grow 0.1% per bin
BIN_FLOOR_S = 1e-8  # 10 ns
N_BINS = int(math.log(1e4 / BIN_FLOOR_S) / math.log(BIN_GROWTH)) + 2  # up to 10,000 s: ~27,700 bins


def _buffer(n: int) -> np.ndarray:
    """A float32 buffer whose pages are resident now (np.zeros would fault them in as they fill)."""
    return np.full(n, 0.0, np.float32)


class LatencyStore:
    def __init__(self, exact_limit: int = 2_000_000, series_limit: int = 100_000,
                 expected: int | None = None) -> None:
        if series_limit < 2:
            raise ValueError("series_limit must be at least 2")
        self.exact_limit = exact_limit
        self.series_limit = series_limit
        # A run that says how many inferences it makes needs no more room than that.
        self._capacity = exact_limit if expected is None else max(1, min(exact_limit, expected))
        self._durations: np.ndarray | None = None  # float32 s: every inference, or bucket maxima
        self._offsets: np.ndarray | None = None  # float32 s since the first inference
        self._n = 0  # points used in the buffers
        self.count = 0
        # Counted from the first batch when the run may go bounded (see the module docstring).
        self._hist: np.ndarray | None = None
        self._may_bound = expected is None or expected > exact_limit
        self._bounded = False
        self._open = [0, -math.inf, 0.0]  # bounded mode: inferences in the unfinished bucket, its max, first offset
        self._moments = [0.0, 0.0, math.inf, -math.inf]  # sum, sum of squares, min, max
        self.stride = 1

    @property
    def bounded(self) -> bool:
        return self._bounded

    def add(self, offsets_s: np.ndarray, durations_s: np.ndarray) -> None:
        durations = np.asarray(durations_s, np.float32).ravel()
        offsets = np.asarray(offsets_s, np.float32).ravel()
        if not durations.size:
            return
        self.count += durations.size
        if self._hist is None and (self._may_bound or self.count > self.exact_limit):
            self._hist = np.zeros(N_BINS, np.int64)
            self._count_in(self._durations[:self._n] if self._durations is not None else durations[:0])
        if self._hist is not None:
            self._count_in(durations)
        if self._bounded:
            self._bucket(offsets, durations)
            return
        if self.count > self.exact_limit:
            self._go_bounded(offsets, durations)
            return
        if self._durations is None or self._n + durations.size > self._durations.size:
            self._grow(self._n + durations.size)
        end = self._n + durations.size
        self._durations[self._n:end] = durations
        self._offsets[self._n:end] = offsets
        self._n = end

    def _grow(self, need: int) -> None:
        """The exact buffers: `capacity` points at first, up to exact_limit if a run outgrows its estimate."""
        size = max(need, self._capacity if self._durations is None else min(self.exact_limit, 2 * need))
        durations, offsets = _buffer(size), _buffer(size)
        if self._durations is not None:
            durations[:self._n], offsets[:self._n] = self._durations[:self._n], self._offsets[:self._n]
        self._durations, self._offsets = durations, offsets

    def _go_bounded(self, offsets: np.ndarray, durations: np.ndarray) -> None:
        """Past exact_limit (histogram and moments already hold everything so far): bucket maxima only."""
        n = self._n
        old_d = self._durations[:n] if self._durations is not None else durations[:0]
        old_o = self._offsets[:n] if self._offsets is not None else offsets[:0]
        self._bounded = True
        self._durations, self._offsets, self._n = _buffer(self.series_limit), _buffer(self.series_limit), 0
        self._bucket(old_o, old_d)  # the exact buffers are dropped after this
        self._bucket(offsets, durations)

    def _bucket(self, offsets: np.ndarray, durations: np.ndarray) -> None:
        """Add inferences to the bucket series: whole `stride` buckets as one max each, the rest kept open."""
        i, m = 0, durations.size
        while i < m:
            k, top, first = self._open
            if k or m - i < self.stride:  # fill the unfinished bucket
                take = min(self.stride - k, m - i)
                top = max(top, float(durations[i:i + take].max()))
                first = float(offsets[i]) if k == 0 else first
                k, i = k + take, i + take
                self._open = [k, top, first]
                if k == self.stride:
                    self._open = [0, -math.inf, 0.0]
                    self._emit(np.array([first], np.float32), np.array([top], np.float32))
                continue
            whole = min((m - i) // self.stride, self.series_limit - self._n)
            j = i + whole * self.stride
            self._emit(offsets[i:j:self.stride], durations[i:j].reshape(whole, self.stride).max(axis=1))
            i = j

    def _emit(self, offsets: np.ndarray, maxima: np.ndarray) -> None:
        """Append whole buckets (never more than the free room); a full series folds in place."""
        end = self._n + maxima.size
        self._durations[self._n:end] = maxima
        self._offsets[self._n:end] = offsets
        self._n = end
        if end == self.series_limit:
            self._fold()

    def _fold(self) -> None:
        """Pairs of buckets merge (max of the two, first offset); the stride doubles."""
        n, d, o = self._n, self._durations, self._offsets
        half = n // 2
        d[:half] = np.maximum(d[0:2 * half:2], d[1:2 * half:2])
        o[:half] = o[0:2 * half:2]
        if n % 2:  # an odd last bucket is half of a new one: it stays open
            self._open = [self.stride, float(d[n - 1]), float(o[n - 1])]
        self._n = half
        self.stride *= 2

    def _count_in(self, durations_s: np.ndarray) -> None:
        if not durations_s.size:
            return
        d = np.asarray(durations_s, np.float64)
        idx = np.clip(np.log(np.maximum(d, BIN_FLOOR_S) / BIN_FLOOR_S) / math.log(BIN_GROWTH), 0, N_BINS - 1)
        self._hist += np.bincount(idx.astype(np.int64), minlength=N_BINS)
        m = self._moments
        m[0] += float(d.sum())
        m[1] += float(np.dot(d, d))
        m[2] = min(m[2], float(d.min()))
        m[3] = max(m[3], float(d.max()))

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """(durations, offsets) in float64 s: every inference, or bucket maxima in bounded mode."""
        if self._durations is None:
            return np.empty(0), np.empty(0)
        durations = self._durations[:self._n].astype(np.float64)
        offsets = self._offsets[:self._n].astype(np.float64)
        k, top, first = self._open
        if self.bounded and k:  # the unfinished last bucket, as one point
            durations, offsets = np.append(durations, float(np.float32(top))), np.append(offsets, float(np.float32(first)))
        return durations, offsets

    def stats(self) -> dict:
        if not self._bounded:
            return latency_stats(self.series()[0])
        total, squares, lo, hi = self._moments
        n = self.count
        mean = total / n
        var = max(0.0, (squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
        return {"count": n, "min": lo, "mean": mean, "std": math.sqrt(var),
                **{f"p{p}": self._percentile(p) for p in PERCENTILES}, "max": hi,
                "throughput_per_s": 1.0 / mean if mean > 0 else math.nan}

    def _percentile(self, p: float) -> float:
        """The geometric centre of the bin holding the p-th percentile (within 0.05%)."""
        cum = np.cumsum(self._hist)
        k = int(np.searchsorted(cum, p / 100.0 * cum[-1]))
        return BIN_FLOOR_S * BIN_GROWTH ** (k + 0.5)

    def nbytes(self) -> int:
        """Bytes the store holds in numpy buffers (for the memory tests and the soak benchmark)."""
        return sum(a.nbytes for a in (self._durations, self._offsets, self._hist) if a is not None)
