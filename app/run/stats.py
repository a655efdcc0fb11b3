"""Latency statistics over per-inference durations (seconds)."""

from __future__ import annotations

import math

import numpy as np

PERCENTILES = (50, 90, 95, 99)


def latency_stats(latencies_s: np.ndarray) -> dict[str, float | int]:
    """min, mean, std, p50..p99, max in seconds, plus count and throughput.

    Throughput is inferences per second of busy time (1 / mean latency),
    which for a sequential loop equals count / loop time minus clock reads.
    """
    lat = np.asarray(latencies_s, dtype=np.float64)
    if lat.size == 0:
        nan = math.nan
        return {"count": 0, "min": nan, "mean": nan, "std": nan, "max": nan,
                **{f"p{p}": nan for p in PERCENTILES}, "throughput_per_s": nan}
    pct = np.percentile(lat, PERCENTILES)
    mean = float(lat.mean())
    return {
        "count": int(lat.size),
        "min": float(lat.min()),
        "mean": mean,
        "std": float(lat.std(ddof=1)) if lat.size > 1 else 0.0,
        **{f"p{p}": float(v) for p, v in zip(PERCENTILES, pct)},
        "max": float(lat.max()),
        "throughput_per_s": 1.0 / mean if mean > 0 else math.nan,
    }


def downsample_latencies(latencies_s: np.ndarray, limit: int = 100_000) -> tuple[np.ndarray, int]:
    """Keep at most `limit` values for the record, preserving spikes.

    Returns (values, stride). Within each stride-sized bucket the max is kept,
    so a spike is never averaged away; stride 1 means the values are raw.
    """
    lat = np.asarray(latencies_s, dtype=np.float64)
    if lat.size <= limit:
        return lat, 1
    stride = math.ceil(lat.size / limit)
    pad = (-lat.size) % stride
    padded = np.concatenate([lat, np.full(pad, -np.inf)]) if pad else lat
    return padded.reshape(-1, stride).max(axis=1), stride
