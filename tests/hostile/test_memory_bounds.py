"""Long runs keep memory flat (#16): the stores a run fills stay within a fixed size, counted, not timed.

A one-node model runs at ~90,000 inferences/s and the sampler reads dozens of metrics for hours; the
latency store, the telemetry rings and the drain queue must each stop growing once set up, and the
run record must stay the same size however long the run. (benchmarks/soak.py measures the RSS of the
real processes over minutes; see docs/performance.md.)
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from app.probes.model import reading
from app.probes.sampler import PENDING_MAX_AGE_S, Sampler
from app.probes.series import FACTOR, TIERS, RingSeries
from app.record import io as rec
from app.run.builder import RecordBuilder
from app.run.latency_store import N_BINS, LatencyStore
from app.run.runspec import RunSpec

BATCH = 3000  # inferences per LatencyBatch at ~90,000/s (one per ~33 ms)


def _feed(store: LatencyStore, batches: int, start: int = 0, rng=None) -> None:
    rng = rng or np.random.default_rng(0)
    for b in range(start, start + batches):
        durations = rng.lognormal(np.log(1e-5), 0.2, BATCH).astype(np.float32)
        offsets = (np.arange(BATCH) + b * BATCH) * 1.1e-5
        store.add(offsets, durations)


def _growth(fn) -> int:
    """Bytes still allocated after fn() that were not before (numpy buffers included)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_latency_store_stops_growing_once_bounded():
    store = LatencyStore(exact_limit=200_000, series_limit=10_000)
    _feed(store, 100)  # 300,000 inferences: past the exact limit
    assert store.bounded
    size = store.nbytes()
    grown = _growth(lambda: _feed(store, 2000, start=100))  # 6 million more (~1 min at 90,000/s)
    assert store.count == 2100 * BATCH
    assert store.nbytes() == size  # no buffer grew or was added
    assert grown < 64 * 1024, f"{grown} bytes kept after 6 million inferences"
    durations, offsets = store.series()
    assert durations.size <= 10_000 and durations.size == offsets.size
    assert np.all(np.diff(offsets) > 0)


def test_latency_store_sizes_its_exact_buffers_to_the_run():
    assert LatencyStore(expected=1000).nbytes() == 0  # nothing before the first batch
    small = LatencyStore(expected=1000)
    for i in range(4):
        small.add(np.arange(250) + 250.0 * i, np.full(250, 1e-3))
    assert small.count == 1000 and small.nbytes() == 2 * 4 * 1000  # float32 latencies and offsets, once
    timed = LatencyStore(exact_limit=50_000)  # a timed run: room for exact_limit at once, then no growth
    _feed(timed, 1)
    size = timed.nbytes()
    _feed(timed, 15, start=1)
    # ...and the histogram it may go bounded with, counted from the first batch (no stall at the switch)
    assert not timed.bounded and timed.nbytes() == size == 2 * 4 * 50_000 + 8 * N_BINS


def test_telemetry_rings_are_fixed_from_the_first_sample():
    ring = RingSeries(reading("cpu", "power", 10.0, "W", "test", t_ns=0), capacity=256)
    size = ring.nbytes()
    assert size == 256 * TIERS * 16

    def append_many() -> None:
        for i in range(1, 200_001):  # 5.5 h at 10 Hz
            ring.append(reading("cpu", "power", 10.0 + i % 7, "W", "test", t_ns=i * 100_000_000))

    grown = _growth(append_many)
    assert ring.nbytes() == size and len(ring) == 256
    assert grown < 16 * 1024, f"{grown} bytes kept after 200,000 samples"
    t, v = ring.arrays()
    assert t[-1] == 200_000 * 100_000_000 and t.size == 256  # the newest points at full rate
    t_all, v_all = ring.arrays(since_ns=0)  # reaching back through the coarser tiers
    assert np.all(np.diff(t_all) > 0) and t_all.size < TIERS * 256
    assert t_all[0] <= 200_000 * 100_000_000 - 256 * FACTOR ** (TIERS - 1) * 100_000_000 * 0.9
    assert np.nanmean(v_all) == pytest.approx(13.0, abs=0.1)  # averages keep the level (10 + mean of 0..6)


def test_an_undrained_sampler_queue_keeps_at_most_its_age_limit():
    s = Sampler([], cpu_budget=None)
    now = time.perf_counter_ns()
    step = 1_000_000  # one sample per ms: 100 s of them, nobody draining (as in `aipcprof run`)
    first = now - 100_000 * step
    for i in range(100):
        s._store([reading("cpu", "util", 1.0, "%", "t", t_ns=first + (i * 1000 + k) * step) for k in range(1000)])
    pending = s.drain()
    assert len(pending) <= PENDING_MAX_AGE_S * 1000 + 1000  # ~30 s worth, not 100 s
    assert pending and pending[-1].t_ns == first + 99_999 * step  # the newest are the ones kept


def test_the_run_record_stays_the_same_size_however_long_the_run():
    sizes = []
    for batches in (1000, 2000):  # 3 and 6 million inferences
        builder = RecordBuilder(RunSpec(model_path="m.onnx", target_id="ort/cpu", iterations=None, duration_s=60.0))
        rng = np.random.default_rng(1)
        for b in range(batches):
            starts = 10**9 + (np.arange(BATCH, dtype=np.int64) + b * BATCH) * 11_000
            builder.add_latencies(starts, (rng.lognormal(np.log(1e4), 0.2, BATCH)).astype(np.int64))
        record = builder.finish()
        assert record.latency.count == batches * BATCH
        sizes.append(len(rec.dumps(record)))
    assert sizes[1] <= sizes[0] * 1.05, sizes
    assert sizes[1] < 8 * 2**20
