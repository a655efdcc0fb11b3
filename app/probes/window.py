"""Statistics of a telemetry series over a time window [t0, t1] (pure numpy).

Values between readings are taken as linear (trapezoid), so the time-weighted
mean is not biased by uneven sampling. Only finite values count; a window the
series covers only partly reports its coverage.
"""

from __future__ import annotations

import math

import numpy as np

NS = 1e-9


def _finite(t_ns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = np.isfinite(values)
    return t_ns[mask].astype(np.float64), values[mask]


def covered_curve(t_ns: np.ndarray, values: np.ndarray, t0_ns: int, t1_ns: int
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """The series restricted to [t0, t1] ∩ its own span, with interpolated end points."""
    t, v = _finite(np.asarray(t_ns), np.asarray(values, dtype=np.float64))
    if t.size < 2:
        return None
    a, b = max(float(t0_ns), t[0]), min(float(t1_ns), t[-1])
    if b <= a:
        return None
    inner = (t > a) & (t < b)
    tt = np.concatenate([[a], t[inner], [b]])
    vv = np.concatenate([[np.interp(a, t, v)], v[inner], [np.interp(b, t, v)]])
    return tt, vv


def time_weighted_mean(t_ns: np.ndarray, values: np.ndarray, t0_ns: int, t1_ns: int) -> tuple[float, float]:
    """(trapezoid mean over the covered part of the window, covered seconds)."""
    curve = covered_curve(t_ns, values, t0_ns, t1_ns)
    if curve is None:
        return math.nan, 0.0
    tt, vv = curve
    span = tt[-1] - tt[0]
    area = float(np.sum((vv[1:] + vv[:-1]) * 0.5 * np.diff(tt)))
    return area / span, span * NS


def summarize(t_ns: np.ndarray, values: np.ndarray, t0_ns: int, t1_ns: int) -> dict:
    """mean / min / max of the readings inside the window, plus the time-weighted mean."""
    t, v = _finite(np.asarray(t_ns), np.asarray(values, dtype=np.float64))
    inside = v[(t >= t0_ns) & (t <= t1_ns)]
    twa, covered = time_weighted_mean(t_ns, values, t0_ns, t1_ns)
    window = max((t1_ns - t0_ns) * NS, 0.0)
    return {
        "count": int(inside.size),
        "mean": float(inside.mean()) if inside.size else math.nan,
        "min": float(inside.min()) if inside.size else math.nan,
        "max": float(inside.max()) if inside.size else math.nan,
        "time_weighted_mean": twa,
        "coverage": covered / window if window > 0 else 0.0,
    }


def energy_from_counter(t_ns: np.ndarray, joules: np.ndarray, t0_ns: int, t1_ns: int) -> tuple[float, float]:
    """(joules over [t0, t1], covered fraction) from a cumulative energy series.

    The counter is interpolated at the window edges; a part of the window
    the series does not cover is filled at the covered part's mean power.
    """
    curve = covered_curve(t_ns, joules, t0_ns, t1_ns)
    window = (t1_ns - t0_ns) * NS
    if curve is None or window <= 0:
        return math.nan, 0.0
    tt, ee = curve
    covered = (tt[-1] - tt[0]) * NS
    return float(ee[-1] - ee[0]) * window / covered, covered / window


def energy_from_power(t_ns: np.ndarray, watts: np.ndarray, t0_ns: int, t1_ns: int) -> tuple[float, float]:
    """(joules over [t0, t1], covered fraction) by integrating power (trapezoid)."""
    twa, covered = time_weighted_mean(t_ns, watts, t0_ns, t1_ns)
    window = (t1_ns - t0_ns) * NS
    if not math.isfinite(twa) or window <= 0:
        return math.nan, 0.0
    return twa * window, covered / window


def downsample(t_ns: np.ndarray, values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, int]:
    """At most `limit` points for the record: per bucket the first time and the max value
    (spikes stay visible, like the latency downsample). Returns (t, v, stride)."""
    n = t_ns.size
    if n <= limit or limit <= 0:
        return t_ns, values, 1
    stride = math.ceil(n / limit)
    pad = (-n) % stride
    v = np.concatenate([values, np.full(pad, np.nan)]) if pad else values
    buckets = v.reshape(-1, stride)
    finite = np.isfinite(buckets)
    peaks = np.where(finite, buckets, -np.inf).max(axis=1)
    peaks[~finite.any(axis=1)] = np.nan  # an all-missing bucket stays missing
    return t_ns[::stride], peaks, stride
