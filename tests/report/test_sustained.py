"""Sustained-load math on synthetic series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.record.schema import Telemetry
from app.run.sustained import (
    analyse_record,
    drift,
    is_settled,
    is_steady,
    median_ci,
    rolling_p50,
    throttling_onset,
)


def _throttled(fast: float = 1e-3, slow: float = 1.3e-3, switch_s: float = 6.0, total_s: float = 10.0):
    """Back-to-back inferences: `fast` until `switch_s`, then `slow`."""
    lat, off, t = [], [], 0.0
    while t < total_s:
        d = fast if t < switch_s else slow
        lat.append(d)
        off.append(t)
        t += d
    return lat, off


def _track(t_switch: float, before: float, after: float, total_s: float = 10.0):
    t = np.arange(0.0, total_s, 0.1)
    return t.tolist(), np.where(t < t_switch, before, after).tolist()


def test_rolling_p50_and_drift():
    lat, off = _throttled()
    windows = rolling_p50(lat, off, window_s=1.0)
    assert len(windows) == 10
    assert [round(w.p50_s * 1e3, 3) for w in windows] == [1.0] * 6 + [1.3] * 4
    assert windows[0].t0_s == 0 and windows[3].t0_s == 3.0
    assert sum(w.count for w in windows) == len(lat)
    assert drift(windows) == pytest.approx(0.3)


def test_default_windows_and_missing_offsets():
    lat, _ = _throttled()
    windows = rolling_p50(lat)  # offsets rebuilt from back-to-back latencies, 10 windows by default
    assert len(windows) == 10 and drift(windows) == pytest.approx(0.3)
    assert rolling_p50([]) == [] and drift([]) is None


def test_sparse_windows_have_no_p50():
    windows = rolling_p50([1e-3, 1e-3, 1e-3], [0.0, 5.0, 9.0], window_s=1.0)
    assert all(math.isnan(w.p50_s) for w in windows) and drift(windows) is None


def test_onset_with_rising_temperature():
    lat, off = _throttled()
    windows = rolling_p50(lat, off, 1.0)
    onset = throttling_onset(windows, temperature=_track(5.5, 60.0, 80.0), threshold=0.10)
    assert onset is not None and onset.window == 6 and onset.t_s == pytest.approx(6.0)
    assert onset.p50_ratio == pytest.approx(1.3) and onset.temp_delta_c == pytest.approx(20.0)
    assert onset.evidence == "temperature" and onset.clock_ratio is None


def test_onset_with_falling_clock():
    lat, off = _throttled()
    clock = _track(5.8, 3.0e9, 2.0e9)
    onset = throttling_onset(rolling_p50(lat, off, 1.0), temperature=_track(0, 70.0, 70.0), clock=clock)
    assert onset.evidence == "clock" and onset.clock_ratio == pytest.approx(2 / 3)


def test_no_onset_when_telemetry_is_flat_or_rise_is_small():
    lat, off = _throttled()
    windows = rolling_p50(lat, off, 1.0)
    flat = _track(0, 65.0, 65.0)
    assert throttling_onset(windows, temperature=flat, clock=_track(0, 3e9, 3e9)) is None  # slower, not thermal
    small_lat, small_off = _throttled(slow=1.05e-3)
    assert throttling_onset(rolling_p50(small_lat, small_off, 1.0), temperature=_track(5.5, 60, 80)) is None


def test_onset_latency_only_without_telemetry():
    lat, off = _throttled()
    onset = throttling_onset(rolling_p50(lat, off, 1.0))
    assert onset.window == 6 and onset.evidence == "latency only"


def test_median_ci_order_statistics():
    values = np.arange(1.0, 101.0)  # 1..100, shuffled order must not matter
    np.random.default_rng(0).shuffle(values)
    lo, p50, hi = median_ci(values)  # ranks floor(50 - 9.8) = 40 and ceil(50 + 9.8) = 60
    assert (lo, p50, hi) == (40.0, 50.5, 60.0)
    assert all(math.isnan(x) for x in (median_ci([1.0, 2.0])[0], median_ci([1.0, 2.0])[2]))
    assert all(math.isnan(x) for x in median_ci([]))


def test_is_steady():
    rng = np.random.default_rng(1)
    tight = 1e-3 * (1 + 0.01 * rng.standard_normal(1000))
    assert is_steady(tight, rel_ci=0.01)
    wide = 1e-3 * (1 + 0.5 * rng.standard_normal(50))
    assert not is_steady(wide, rel_ci=0.01)
    assert is_steady(wide, rel_ci=0.5)
    assert not is_steady([1e-3] * 3)  # too few for an interval
    assert not is_steady([None, float("nan")])


def test_analyse_record_aligns_telemetry(record_factory):
    lat, off = _throttled()
    r = record_factory()
    r.latency.samples, r.latency.offsets = np.asarray(lat), np.asarray(off)
    r.latency.t0_ns = 2_000_000_000  # latencies start 1 s into the window
    t, temp = _track(6.5, 60.0, 85.0, total_s=11.0)  # seconds from the telemetry window start
    r.telemetry = Telemetry.from_json({"window": {"t0_ns": 1_000_000_000, "t1_ns": 12_000_000_000,
                                                  "duration_s": 11.0}, "series": {
        "cpu/temp": {"metric": "temp", "kind": "CPU", "status": "ok", "t_s": t, "values": temp, "unit": "degC"},
        "gpu/temp": {"metric": "temp", "kind": "GPU", "status": "unsupported", "t_s": [], "values": []}}})
    a = analyse_record(r, window_s=1.0)
    assert a.drift == pytest.approx(0.3) and a.raw_samples
    assert a.onset.window == 6 and a.onset.evidence == "temperature"  # 6.5 s - 1 s shift = 5.5 s
    assert a.steady is True  # throttled, but settled at the slower speed for the last windows


def test_steady_needs_the_drift_to_stop(record_factory):
    rng = np.random.default_rng(3)
    n = 20000
    creeping = (1e-3 * np.linspace(1.0, 1.5, n) * (1 + 0.002 * rng.standard_normal(n))).tolist()
    r = record_factory()
    r.latency.samples, r.latency.offsets = np.asarray(creeping), np.zeros(0)  # no offsets: back to back
    a = analyse_record(r)
    assert a.drift == pytest.approx(0.45, abs=0.03) and a.steady is False
    assert is_settled(rolling_p50(creeping), tolerance=0.1) and not is_settled(rolling_p50(creeping))
    flat = (1e-3 * (1 + 0.002 * rng.standard_normal(n))).tolist()
    r.latency.samples = np.asarray(flat)
    assert analyse_record(r).steady is True
