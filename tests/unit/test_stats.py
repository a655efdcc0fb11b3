import math

import numpy as np
import pytest

from app.run.stats import downsample_latencies, latency_stats


def test_stats_match_numpy_definitions():
    lat = np.array([0.004, 0.001, 0.002, 0.003, 0.010])
    s = latency_stats(lat)
    assert s["count"] == 5
    assert s["min"] == 0.001 and s["max"] == 0.010
    assert s["p50"] == pytest.approx(0.003)
    assert s["mean"] == pytest.approx(0.004)
    assert s["std"] == pytest.approx(np.std(lat, ddof=1))
    assert s["p99"] == pytest.approx(np.percentile(lat, 99))
    assert s["throughput_per_s"] == pytest.approx(250.0)


def test_empty_latencies_are_nan_not_zero():
    s = latency_stats(np.array([]))
    assert s["count"] == 0
    assert math.isnan(s["p50"]) and math.isnan(s["throughput_per_s"])


def test_single_sample_std_is_zero():
    assert latency_stats(np.array([0.5]))["std"] == 0.0


def test_downsample_keeps_spikes_and_reports_stride():
    lat = np.full(1_000, 0.001)
    lat[777] = 0.5
    values, stride = downsample_latencies(lat, limit=100)
    assert stride == 10 and values.size == 100
    assert values.max() == 0.5  # the spike survives
    raw, stride1 = downsample_latencies(lat, limit=10_000)
    assert stride1 == 1 and raw.size == 1_000
