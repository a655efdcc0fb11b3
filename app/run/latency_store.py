"""Per-inference latencies with bounded memory, for runs of any length.

Up to `exact_limit` inferences every latency is kept (float32, 8 bytes with its
start offset) and the statistics are exact. Past that, a tiny model at 90,000
inferences/s would grow without bound (2.7 GB an hour), so the store switches
to bounded mode: every inference still counts in streaming moments (count,
min, max, mean, std) and in a log-spaced histogram whose bins are 0.1% wide
(percentiles within 0.05%), and the kept series becomes the max of each
`stride`-long bucket, so a spike is never averaged away.
"""

from __future__ import annotations

import math

import numpy as np

from app.run.stats import PERCENTILES, latency_stats

BIN_GROWTH = 1.001  # bin edges grow 0.1% per bin
BIN_FLOOR_S = 1e-8  # 10 ns
N_BINS = int(math.log(1e4 / BIN_FLOOR_S) / math.log(BIN_GROWTH)) + 2  # up to 10,000 s: ~27,700 bins


class LatencyStore:
    def __init__(self, exact_limit: int = 2_000_000, series_limit: int = 100_000) -> None:
        self.exact_limit = exact_limit
        self.series_limit = series_limit
        self._durations: list[np.ndarray] = []  # float32 s
        self._offsets: list[np.ndarray] = []  # float32 s since the first inference
        self.count = 0
        self._hist: np.ndarray | None = None  # set in bounded mode
        # bounded mode: raw samples not yet a whole `stride` bucket
        self._pending = (np.empty(0, np.float32), np.empty(0, np.float32))
        self._moments = [0.0, 0.0, math.inf, -math.inf]  # sum, sum of squares, min, max
        self.stride = 1

    @property
    def bounded(self) -> bool:
        return self._hist is not None

    def add(self, offsets_s: np.ndarray, durations_s: np.ndarray) -> None:
        durations = np.asarray(durations_s, np.float32)
        offsets = np.asarray(offsets_s, np.float32)
        self.count += durations.size
        if self.bounded:
            self._count_in(durations)
            self._bucket(offsets, durations)
            return
        self._durations.append(durations)
        self._offsets.append(offsets)
        if self.count > self.exact_limit:
            self._go_bounded()

    def _go_bounded(self) -> None:
        self._hist = np.zeros(N_BINS, np.int64)
        durations, offsets = np.concatenate(self._durations), np.concatenate(self._offsets)
        self._count_in(durations)
        self._durations, self._offsets = [], []
        self._bucket(offsets, durations)

    def _bucket(self, offsets: np.ndarray, durations: np.ndarray) -> None:
        """Append whole `stride`-long buckets (max latency, first offset); keep the rest pending."""
        offsets = np.concatenate([self._pending[0], offsets])
        durations = np.concatenate([self._pending[1], durations])
        whole = durations.size - durations.size % self.stride
        self._pending = (offsets[whole:], durations[whole:])
        if whole:
            self._durations.append(durations[:whole].reshape(-1, self.stride).max(axis=1))
            self._offsets.append(offsets[:whole:self.stride])
        self._fold_series()

    def _count_in(self, durations_s: np.ndarray) -> None:
        d = np.asarray(durations_s, np.float64)
        idx = np.clip(np.log(np.maximum(d, BIN_FLOOR_S) / BIN_FLOOR_S) / math.log(BIN_GROWTH), 0, N_BINS - 1)
        self._hist += np.bincount(idx.astype(np.int64), minlength=N_BINS)
        m = self._moments
        m[0] += float(d.sum())
        m[1] += float(np.dot(d, d))
        m[2] = min(m[2], float(d.min()))
        m[3] = max(m[3], float(d.max()))

    def _fold_series(self) -> None:
        """Keep at most series_limit points: max over buckets of `stride` inferences."""
        if sum(d.size for d in self._durations) <= self.series_limit:
            return
        durations = np.concatenate(self._durations)
        offsets = np.concatenate(self._offsets)
        while durations.size > self.series_limit:
            # pairs of buckets merge (an odd last one stays as it is: one narrower bucket)
            n = durations.size - durations.size % 2
            durations = np.concatenate([durations[:n].reshape(-1, 2).max(axis=1), durations[n:]])
            offsets = np.concatenate([offsets[:n:2], offsets[n:]])
            self.stride *= 2
        self._durations, self._offsets = [durations], [offsets]

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """(durations, offsets) in float64 s: every inference, or bucket maxima in bounded mode."""
        pending_offsets, pending = self._pending
        if self.bounded and pending.size:  # the unfinished last bucket, as one point
            pending_offsets, pending = pending_offsets[:1], pending.max(keepdims=True)
        durations = [*self._durations, pending]
        offsets = [*self._offsets, pending_offsets]
        return (np.concatenate(durations).astype(np.float64), np.concatenate(offsets).astype(np.float64))

    def stats(self) -> dict:
        if not self.bounded:
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
