"""Counter deltas (wrap, reset), window statistics and the bounded series ring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.probes.counters import CounterDelta
from app.probes.model import reading
from app.probes.series import RingSeries
from app.probes.window import (
    downsample,
    energy_from_counter,
    energy_from_power,
    summarize,
    time_weighted_mean,
)

S = 1_000_000_000


def test_counter_first_reading_has_no_delta_then_rates_against_own_timestamps():
    c = CounterDelta()
    assert c.update(100.0, 0) is None
    d = c.update(350.0, S // 2)
    assert d.amount == 250.0 and d.dt_ns == S // 2
    assert d.rate_per_s() == pytest.approx(500.0)
    assert c.total == 250.0


def test_counter_wraps_at_max_range():
    c = CounterDelta(max_range=1000)
    c.update(990, 0)
    d = c.update(15, S)
    assert d.amount == 25  # 10 to the top, 15 after
    assert c.wraps == 1


def test_counter_going_backwards_without_range_is_a_reset_not_a_huge_delta():
    c = CounterDelta()
    c.update(5000, 0)
    assert c.update(10, S) is None
    assert c.resets == 1
    assert c.update(30, 2 * S).amount == 20  # counting restarts from the new value


def test_counter_ignores_a_reading_with_no_time_step():
    c = CounterDelta()
    c.update(1, S)
    assert c.update(5, S) is None
    assert c.update(11, 2 * S).amount == 10


def test_time_weighted_mean_is_not_biased_by_uneven_sampling():
    # 0 W read once a second for 9 s, then 100 W read ten times in the last second.
    t = (np.array([*range(0, 10), *np.linspace(9.1, 10.0, 10)]) * S).astype(np.int64)
    v = np.array([0.0] * 10 + [100.0] * 10)
    twa, covered = time_weighted_mean(t, v, 0, 10 * S)
    assert covered == pytest.approx(10.0)
    # trapezoid: ramp 9.0..9.1 s gives 5 J, 9.1..10 s gives 90 J -> 95 J / 10 s
    assert twa == pytest.approx(9.5)
    assert np.mean(v) == pytest.approx(50.0)  # what a plain mean would have said


def test_summary_interpolates_window_edges_and_skips_nan():
    t = np.array([0, 1, 2, 3, 4], dtype=np.int64) * S
    v = np.array([0.0, 10.0, np.nan, 30.0, 40.0])
    s = summarize(t, v, int(0.5 * S), int(3.5 * S))
    assert s["count"] == 2 and s["max"] == 30.0 and s["mean"] == 20.0
    # the line from (1,10) to (3,30) passes through 20 at t=2: trapezoid over 0.5..3.5 gives mean 20
    assert s["time_weighted_mean"] == pytest.approx(20.0)
    assert s["coverage"] == pytest.approx(1.0)


def test_energy_from_counter_interpolates_and_scales_partial_coverage():
    t = np.arange(0, 11, dtype=np.int64) * S  # counter at 5 W
    e = 5.0 * np.arange(0, 11)
    joules, cov = energy_from_counter(t, e, 2 * S + S // 2, 6 * S + S // 2)
    assert joules == pytest.approx(20.0) and cov == pytest.approx(1.0)
    joules, cov = energy_from_counter(t, e, 8 * S, 12 * S)  # only half the window covered
    assert cov == pytest.approx(0.5) and joules == pytest.approx(20.0)


def test_energy_from_power_of_missing_series_is_nan():
    t = np.array([0, S], dtype=np.int64)
    joules, cov = energy_from_power(t, np.array([np.nan, np.nan]), 0, S)
    assert math.isnan(joules) and cov == 0.0


def test_downsample_keeps_spikes_and_missing_buckets():
    t = np.arange(10, dtype=np.int64)
    v = np.array([1.0, 1.0, 9.0, 1.0, np.nan, np.nan, 1.0, 1.0, 1.0, 2.0])
    tt, vv, stride = downsample(t, v, 5)
    assert stride == 2
    assert vv.tolist()[:2] == [1.0, 9.0]
    assert math.isnan(vv[2])
    assert tt.tolist() == [0, 2, 4, 6, 8]


def test_ring_series_is_bounded_and_keeps_the_newest_in_order():
    ring = RingSeries(reading("d", "m", 0.0, "W", "x", t_ns=0), capacity=300)
    for i in range(1000):
        ring.append(reading("d", "m", float(i), "W", "x", t_ns=i))
    t, v = ring.arrays()
    assert len(ring) == 300 and t.size == 300
    assert v[0] == 700.0 and v[-1] == 999.0
    assert np.all(np.diff(t) > 0)


def test_ring_series_rejects_a_useless_capacity():
    with pytest.raises(ValueError):
        RingSeries(reading("d", "m", 0.0, "W", "x", t_ns=0), capacity=1)
