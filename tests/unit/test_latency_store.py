import numpy as np
import pytest

from app.run.latency_store import LatencyStore
from app.run.stats import latency_stats


def _feed(store: LatencyStore, lat: np.ndarray, batch: int = 997) -> None:
    offsets = np.cumsum(lat) - lat
    for i in range(0, lat.size, batch):
        store.add(offsets[i:i + batch], lat[i:i + batch])


def _latencies(n: int, seed: int = 0) -> np.ndarray:
    lat = np.random.default_rng(seed).lognormal(mean=np.log(1e-3), sigma=0.3, size=n)
    lat[n // 3] = 0.25  # one spike
    return lat.astype(np.float32).astype(np.float64)


def test_exact_mode_matches_plain_statistics():
    lat = _latencies(5_000)
    store = LatencyStore(exact_limit=10_000)
    _feed(store, lat)
    assert not store.bounded
    assert store.stats() == latency_stats(lat)
    durations, offsets = store.series()
    assert durations.size == 5_000 and offsets[0] == 0.0


def test_bounded_mode_keeps_memory_flat_and_percentiles_close():
    lat = _latencies(60_000)
    store = LatencyStore(exact_limit=10_000, series_limit=4_000)
    _feed(store, lat)
    assert store.bounded and store.count == 60_000
    exact, approx = latency_stats(lat), store.stats()
    for key in ("p50", "p90", "p95", "p99"):
        assert approx[key] == pytest.approx(exact[key], rel=1e-3)  # 0.1% bins
    for key in ("min", "max", "mean", "std"):
        assert approx[key] == pytest.approx(exact[key], rel=1e-6)
    durations, offsets = store.series()
    assert durations.size <= 4_000 and durations.size == offsets.size
    assert store.stride in (16, 32) and durations.max() == pytest.approx(0.25)  # the spike survives
    assert np.all(np.diff(offsets) > 0)


def test_going_bounded_does_not_count_the_kept_latencies_at_once():
    """The GUI builds the record on its event loop: the switch to bounded mode must not histogram the
    two million kept latencies in one go (~95 ms measured), so an open-ended run counts from its first batch."""
    lat = _latencies(30_000)
    store = LatencyStore(exact_limit=10_000, series_limit=4_000)
    counted: list[int] = []
    real = store._count_in
    store._count_in = lambda d: (counted.append(int(np.asarray(d).size)), real(d))[1]
    _feed(store, lat, batch=1000)
    assert store.bounded and max(counted) == 1000  # never more than one batch at a time
    assert store.stats()["p50"] == pytest.approx(latency_stats(lat)["p50"], rel=1e-3)


def test_a_run_that_fits_the_exact_limit_keeps_no_histogram():
    store = LatencyStore(exact_limit=10_000, expected=5_000)
    _feed(store, _latencies(5_000))
    assert not store.bounded and store.nbytes() == 2 * 4 * 5_000
