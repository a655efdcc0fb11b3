"""The run record's `telemetry` and `energy` sections from sampled series.

Energy per inference prefers integrating an energy counter (RAPL, NVML total
energy, EMI) over integrating power, and says what the number covers: a CPU
package, a GPU board and an NPU rail are different things, and all of them
include idle power and anything else that ran on that device meanwhile.
"""

from __future__ import annotations

import math

import numpy as np

from app.probes.model import CPU, OK, SYSTEM
from app.probes.series import Series
from app.probes.window import downsample, energy_from_counter, energy_from_power, summarize

CONTEXT_NS = 1_000_000_000  # keep 1 s of context either side of the window in the record
WHOLE_DOMAIN_NOTE = ("whole-domain energy: includes idle power and any other work on that device "
                     "during the run")
PLATFORM = "system"  # the device key of whole-platform readings (RAPL psys)
PLATFORM_NOTE = ("no power source covers the {kind} itself: this is the whole platform's power (the {kind}, the CPU, "
                 "memory, display...), an upper bound on what the {kind} used")


def _clean(values: np.ndarray) -> list:
    return [float(x) if math.isfinite(x) else None for x in values.tolist()]


def _finite_dict(d: dict) -> dict:
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in d.items()}


def series_entry(s: Series, t0_ns: int, t1_ns: int, max_points: int) -> dict:
    sel = (s.t_ns >= t0_ns - CONTEXT_NS) & (s.t_ns <= t1_ns + CONTEXT_NS)
    t, v = s.t_ns[sel], s.values[sel]
    in_window = np.isfinite(v[(t >= t0_ns) & (t <= t1_ns)])
    status, reason = (OK, "") if in_window.any() else (s.status, s.reason)
    t, v, stride = downsample(t, v, max_points)
    return {
        "device": s.device, "metric": s.metric, "unit": s.unit, "kind": s.kind, "scope": s.scope,
        "status": status, "reason": reason, "source": s.source,
        "t_s": [round((x - t0_ns) * 1e-9, 6) for x in t.tolist()],  # seconds from the window start
        "values": _clean(v), "stride": stride, "reduce": "max" if stride > 1 else "none",
        "summary": _finite_dict(summarize(s.t_ns, s.values, t0_ns, t1_ns)),
    }


def telemetry_section(series: dict[str, Series], t0_ns: int, t1_ns: int, *, max_points: int = 2000,
                      sampler: dict | None = None) -> dict:
    return {
        "available": True,
        "clock": "time.perf_counter_ns",
        "window": {"t0_ns": int(t0_ns), "t1_ns": int(t1_ns), "duration_s": (t1_ns - t0_ns) * 1e-9},
        "sampler": sampler or {},
        "series": {k: series_entry(s, t0_ns, t1_ns, max_points) for k, s in sorted(series.items())},
    }


def _device_energy(by_metric: dict[str, Series], t0_ns: int, t1_ns: int) -> dict | None:
    """Energy for one device from its 'energy' counter, else its 'power' series."""
    for metric, method, fn in (("energy", "energy counter", energy_from_counter),
                               ("power", "power integral", energy_from_power),
                               ("power_avg", "integral of a 1 s average power", energy_from_power)):
        s = by_metric.get(metric)
        if s is None:
            continue
        joules, coverage = fn(s.t_ns, s.values, t0_ns, t1_ns)
        if math.isfinite(joules) and coverage > 0:
            return {"joules": joules, "coverage": coverage, "method": method, "series": s.key,
                    "source": s.source, "covers": s.scope or f"{s.device} ({s.source})"}
    return None


def energy_section(series: dict[str, Series], t0_ns: int, t1_ns: int, inferences: int, device_type: str,
                   device_key: str | None = None) -> dict:
    kind = device_type.upper()
    devices: dict[str, dict[str, Series]] = {}
    for s in series.values():
        if s.kind == kind and s.metric in ("energy", "power", "power_avg") and (device_key is None or s.device == device_key):
            devices.setdefault(s.device, {})[s.metric] = s
    results = {dev: r for dev, m in devices.items() if (r := _device_energy(m, t0_ns, t1_ns)) is not None}
    window_s = (t1_ns - t0_ns) * 1e-9
    if results and window_s > 0:
        return _energy(kind, results, window_s, inferences)
    platform = _platform_energy(series, t0_ns, t1_ns) if kind != SYSTEM and window_s > 0 else None
    if platform is not None:  # no source for the device itself, but the whole platform's power is measured
        return _energy(kind, {PLATFORM: platform}, window_s, inferences, PLATFORM_NOTE.format(kind=kind))
    grouped: dict[tuple[str, str], list[str]] = {}
    for m in devices.values():
        for s in m.values():
            if s.status != OK:
                grouped.setdefault((s.status, s.reason), []).append(s.key)
    why = "; ".join(f"{', '.join(keys)}: {status} ({reason})" for (status, reason), keys in grouped.items()) \
        or "no reading in the measured window"
    if not devices:
        why = f"no power or energy source covers the {kind} on this machine"
    return {"available": False, "device_type": kind, "reason": why}


def _platform_energy(series: dict[str, Series], t0_ns: int, t1_ns: int) -> dict | None:
    """The whole platform's energy (RAPL psys), for a device no power source covers."""
    platform = {s.metric: s for s in series.values()
                if s.kind == SYSTEM and s.device == PLATFORM and s.metric in ("energy", "power", "power_avg")}
    return _device_energy(platform, t0_ns, t1_ns) if platform else None


def _energy(kind: str, results: dict[str, dict], window_s: float, inferences: int, extra_note: str = "") -> dict:
    note = WHOLE_DOMAIN_NOTE + (f"; {extra_note}" if extra_note else "")
    if kind == CPU:  # several packages: they add up
        chosen = list(results.values())
    else:  # several GPUs/NPUs: the busiest one is the target unless device_key said which
        best = max(results.values(), key=lambda r: r["joules"])
        if len(results) > 1:
            note += f"; {len(results)} {kind} devices report energy, the one using the most was taken"
        chosen = [best]
    joules = sum(r["joules"] for r in chosen)
    out = {
        "available": True, "device_type": kind,
        "covers": " + ".join(sorted({r["covers"] for r in chosen})),
        "method": " + ".join(sorted({r["method"] for r in chosen})),
        "series": [r["series"] for r in chosen],
        "source": "; ".join(r["source"] for r in chosen),
        "window_s": window_s, "energy_j": joules, "mean_power_w": joules / window_s,
        "coverage": min(r["coverage"] for r in chosen), "inferences": int(inferences),
        "joules_per_inference": joules / inferences if inferences > 0 else None,
        "inferences_per_joule": inferences / joules if inferences > 0 and joules > 0 else None,
        "note": note,
    }
    if out["coverage"] < 0.9:
        out["note"] += f"; readings cover {out['coverage']:.0%} of the window, the rest is extrapolated"
    return out
