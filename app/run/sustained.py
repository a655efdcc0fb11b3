"""Sustained-load analysis: latency drift, throttling onset, steady state.

Pure functions over a run's per-inference latencies (s), their start offsets
(s since the first measured inference) and telemetry series (t in s on the
same axis). A laptop NPU or GPU that heats up slows down after a while: the
first windows of a long run are then faster than the rest, and a single p50
over the whole run hides that.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from app.record.schema import RunRecord, Sustained
from app.record.typed import to_json

DEFAULT_WINDOWS = 10  # a run is split into this many time windows unless window_s is given
MIN_PER_WINDOW = 5  # a window with fewer latencies has no p50
Z = {0.90: 1.6449, 0.95: 1.9600, 0.99: 2.5758}


@dataclass(frozen=True)
class Window:
    t0_s: float
    t1_s: float
    count: int
    p50_s: float  # nan when count < MIN_PER_WINDOW


@dataclass(frozen=True)
class ThrottleOnset:
    t_s: float  # start of the first slow window, s since the first measured inference
    window: int
    p50_ratio: float  # that window's p50 / the initial window's p50
    temp_delta_c: float | None  # temperature rise since the initial window; None without readings
    clock_ratio: float | None  # clock / initial clock; None without readings
    evidence: str  # "temperature", "clock", "temperature+clock" or "latency only"


def _floats(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


def _arrays(latencies, offsets) -> tuple[np.ndarray, np.ndarray]:
    """Finite latencies and their offsets; offsets default to back-to-back execution."""
    lat = _floats(latencies)
    if offsets is None or len(offsets) != lat.size:
        off = np.concatenate([[0.0], np.cumsum(np.nan_to_num(lat))[:-1]]) if lat.size else lat
    else:
        off = _floats(offsets)
    keep = np.isfinite(lat) & np.isfinite(off)
    return lat[keep], off[keep]


def rolling_p50(latencies, offsets=None, window_s: float | None = None) -> list[Window]:
    """p50 per consecutive time window (the drift curve)."""
    lat, off = _arrays(latencies, offsets)
    if lat.size == 0:
        return []
    end = float(off[-1] + lat[-1])
    width = window_s if window_s and window_s > 0 else end / DEFAULT_WINDOWS
    if width <= 0:
        return [Window(0.0, end, int(lat.size), float(np.median(lat)))]
    n = max(1, math.ceil(end / width - 0.5))  # a trailing sliver under half a window joins the last one
    idx = np.minimum((off // width).astype(int), n - 1)
    out = []
    for i in range(n):
        sel = lat[idx == i]
        p50 = float(np.median(sel)) if sel.size >= MIN_PER_WINDOW else math.nan
        out.append(Window(i * width, end if i == n - 1 else (i + 1) * width, int(sel.size), p50))
    return out


def drift(windows: list[Window]) -> float | None:
    """Relative change of p50 from the first to the last window with a p50 (0.1 = 10 % slower)."""
    p50s = [w.p50_s for w in windows if math.isfinite(w.p50_s)]
    if len(p50s) < 2 or p50s[0] <= 0:
        return None
    return p50s[-1] / p50s[0] - 1.0


def is_settled(windows: list[Window], tolerance: float = 0.02, last: int = 3) -> bool:
    """The last `last` windows' p50s lie within +-tolerance of their median: no drift left."""
    p50s = [w.p50_s for w in windows if math.isfinite(w.p50_s)][-last:]
    if len(p50s) < last:
        return False
    mid = float(np.median(p50s))
    return mid > 0 and all(abs(p / mid - 1.0) <= tolerance for p in p50s)


def _mean_in(track: tuple | None, t0: float, t1: float) -> float | None:
    """Mean of a (t_s, values) track inside [t0, t1], or the last reading before t1."""
    if track is None:
        return None
    t = np.asarray(track[0], dtype=np.float64)
    v = np.asarray([np.nan if x is None else x for x in track[1]], dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    inside = v[(t >= t0) & (t <= t1)]
    if inside.size:
        return float(inside.mean())
    before = v[t <= t1]
    return float(before[-1]) if before.size else None


def throttling_onset(windows: list[Window], *, temperature: tuple | None = None, clock: tuple | None = None,
                     threshold: float = 0.10, min_temp_rise_c: float = 2.0,
                     min_clock_drop: float = 0.03) -> ThrottleOnset | None:
    """The first window whose p50 is more than `threshold` above the initial window's,
    while the temperature rose by `min_temp_rise_c` or the clock fell by `min_clock_drop`.

    `temperature` and `clock` are (t_s, values) on the latency time axis. When
    neither has readings the slowdown is reported as "latency only".
    """
    valid = [(i, w) for i, w in enumerate(windows) if math.isfinite(w.p50_s)]
    if len(valid) < 2:
        return None
    first = valid[0][1]
    temp0, clock0 = _mean_in(temperature, first.t0_s, first.t1_s), _mean_in(clock, first.t0_s, first.t1_s)
    for i, w in valid[1:]:
        ratio = w.p50_s / first.p50_s
        if ratio <= 1.0 + threshold:
            continue
        temp, clk = _mean_in(temperature, w.t0_s, w.t1_s), _mean_in(clock, w.t0_s, w.t1_s)
        dtemp = temp - temp0 if temp is not None and temp0 is not None else None
        cratio = clk / clock0 if clk is not None and clock0 else None
        causes = [name for name, hit in (("temperature", dtemp is not None and dtemp >= min_temp_rise_c),
                                         ("clock", cratio is not None and cratio <= 1.0 - min_clock_drop)) if hit]
        if causes or (dtemp is None and cratio is None):
            return ThrottleOnset(w.t0_s, i, ratio, dtemp, cratio, "+".join(causes) or "latency only")
    return None


def median_ci(latencies, confidence: float = 0.95) -> tuple[float, float, float]:
    """(low, p50, high): a distribution-free confidence interval of the median from order statistics.

    The ranks n/2 -/+ z*sqrt(n)/2 bound the median with the given confidence
    (normal approximation to the binomial); nan bounds when n is too small.
    """
    lat, _ = _arrays(latencies, None)
    lat = np.sort(lat)
    n = lat.size
    if n == 0:
        return math.nan, math.nan, math.nan
    p50 = float(np.median(lat))
    z = Z.get(confidence) or Z[0.95]
    half = z * math.sqrt(n) / 2
    lo, hi = math.floor(n / 2 - half), math.ceil(n / 2 + half)  # 1-based ranks
    if lo < 1 or hi > n:
        return math.nan, p50, math.nan
    return float(lat[lo - 1]), p50, float(lat[hi - 1])


def is_steady(latencies, rel_ci: float = 0.01, *, confidence: float = 0.95) -> bool:
    """True when the p50's confidence-interval half-width is below `rel_ci` of the p50.

    Pass the most recent samples (say the last 30 s) to also catch a drifting
    p50: over a whole long run the interval narrows even while it drifts.
    """
    lo, p50, hi = median_ci(latencies, confidence)
    if not (math.isfinite(lo) and math.isfinite(hi)) or p50 <= 0:
        return False
    return (hi - lo) / 2 / p50 < rel_ci


def _track(record: RunRecord, metric: str) -> tuple[list, list] | None:
    """(t_s, values) of a telemetry metric on the latency time axis, preferring the target's device."""
    tel = record.telemetry
    kind = record.device_type.upper()
    candidates = [s for s in tel.series.values()  # a hand-edited file may pair times and values badly
                  if s.metric == metric and s.status == "ok" and s.t_s.shape == s.values.shape
                  and np.isfinite(s.values).any()]
    candidates.sort(key=lambda s: {kind: 0, "CPU": 1, "SYSTEM": 2}.get(s.kind.upper(), 3))
    if not candidates:
        return None
    lat_t0, window = record.latency.t0_ns, tel.window
    shift = (lat_t0 - window.t0_ns) * 1e-9 if lat_t0 is not None and window is not None else 0.0
    s = candidates[0]
    return (s.t_s - shift).tolist(), s.values.tolist()


@dataclass(frozen=True)
class Analysis:
    windows: list[Window]
    drift: float | None
    onset: ThrottleOnset | None
    p50_ci: tuple[float, float]
    steady: bool  # no drift over the last windows and a tight p50 in the last one
    raw_samples: bool  # False: a downsampled record keeps each bucket's max, so the interval is pessimistic

    def to_section(self) -> Sustained:
        return Sustained.from_json(to_json({
            "drift": self.drift, "onset": dataclasses.asdict(self.onset) if self.onset else None,
            "p50_ci": list(self.p50_ci), "steady_at_end": self.steady,
            "windows": [dataclasses.asdict(w) for w in self.windows]}))


def analyse_record(record: RunRecord, *, window_s: float | None = None, threshold: float = 0.10,
                   rel_ci: float = 0.01) -> Analysis:
    """Drift, throttling onset and steady-state verdict of one run record (for reports)."""
    lat = record.latency
    samples, offsets = lat.samples, lat.offsets
    windows = rolling_p50(samples, offsets, window_s)
    onset = throttling_onset(windows, temperature=_track(record, "temp"), clock=_track(record, "freq"),
                             threshold=threshold)
    lo, p50, hi = median_ci(samples)
    lat_arr, off_arr = _arrays(samples, offsets)
    recent = lat_arr[off_arr >= windows[-1].t0_s] if windows else lat_arr
    return Analysis(windows=windows, drift=drift(windows), onset=onset, p50_ci=(lo, hi),
                    steady=is_settled(windows) and is_steady(recent, rel_ci),
                    raw_samples=lat.samples_stride == 1)
