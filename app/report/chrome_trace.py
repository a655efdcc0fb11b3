"""A run as one Chrome trace (chrome://tracing, Perfetto): phases, measured inferences, the operator
profile and the telemetry as counter tracks, on the worker's perf_counter_ns clock.

Tracks (process / thread in the trace):

* `run`: one span per phase, and up to MAX_INFERENCES measured inferences;
* `operator profile`: ONNX Runtime's own trace events (Session and Node), shifted
  to the run's clock (ts 0 of the ORT trace is about when the profiling session
  opened); rows an EP reported inside a fused partition are laid out inside each
  execution of that partition in node order, sized by their share (the EP gives
  no per-op timestamps); for OpenVINO, which gives per-node times but no
  timestamps, one inference laid out in node order from the per-node times;
* `telemetry`: one counter track per series (`device/metric`, in its unit).

Layouts that are not the runtime's own timestamps say so in the event's args.
"""

from __future__ import annotations

import math
from typing import Any

from app.record.schema import OpProfile, OpStatus, RunRecord

MAX_INFERENCES = 20000  # measured inferences drawn as spans (more would make the file huge)
PID_RUN, PID_OPS, PID_TELEMETRY = 1, 2, 3
LAYOUT_EP = "laid out in node order within the partition's span, sized by the EP's per-op share; not timestamps"
LAYOUT_OV = "laid out in node order from OpenVINO's per-node times (it reports no timestamps)"
DROP_ARGS = ("thread_scheduling_stats", "input_type_shape", "output_type_shape")


def _meta(pid: int, name: str, tid: int | None = None, thread: str = "") -> dict[str, Any]:
    if tid is None:
        return {"ph": "M", "pid": pid, "name": "process_name", "args": {"name": name}}
    return {"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": thread}}


def _base_ns(r: RunRecord) -> int | None:
    starts = [p.t0_ns for p in r.phases.values()]
    if r.op_profile and r.op_profile.t0_ns is not None:
        starts.append(r.op_profile.t0_ns)
    return min(starts) if starts else None


def build(r: RunRecord, ort_events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The trace document; `ort_events`: the ORT trace of the profiling session (None: not kept / not ORT)."""
    base = _base_ns(r)
    events: list[dict[str, Any]] = [_meta(PID_RUN, f"run: {r.model.display_name} on {r.target_id}"),
                                    _meta(PID_RUN, "", 1, "phases"), _meta(PID_RUN, "", 2, "measured inferences")]
    if base is not None:
        events += _phases(r, base) + _inferences(r, base) + _telemetry(r, base)
        p = r.op_profile
        if p is not None and p.available and p.t0_ns is not None:
            events += _profile_events(p, ort_events, (p.t0_ns - base) / 1e3)
    notes = list(r.op_profile.notes) if r.op_profile else []
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"tool": "aipcprof", "target": r.target_id, "model": r.model.display_name,
                          "clock": "perf_counter_ns of the run's worker, 0 = first phase", "notes": notes}}


def _phases(r: RunRecord, base: int) -> list[dict[str, Any]]:
    return [{"ph": "X", "pid": PID_RUN, "tid": 1, "name": name, "cat": "phase", "ts": (p.t0_ns - base) / 1e3,
             "dur": (p.t1_ns - p.t0_ns) / 1e3} for name, p in r.phases.items()]


def _inferences(r: RunRecord, base: int) -> list[dict[str, Any]]:
    lat = r.latency
    if lat.t0_ns is None or lat.samples_stride != 1 or not lat.samples.size:
        return []
    t0 = (lat.t0_ns - base) / 1e3
    return [{"ph": "X", "pid": PID_RUN, "tid": 2, "name": "inference", "cat": "measure",
             "ts": t0 + off * 1e6, "dur": dur * 1e6}
            for off, dur in zip(lat.offsets[:MAX_INFERENCES].tolist(), lat.samples[:MAX_INFERENCES].tolist(),
                                strict=False) if math.isfinite(off) and math.isfinite(dur)]


def _telemetry(r: RunRecord, base: int) -> list[dict[str, Any]]:
    window = r.telemetry.window
    if window is None:
        return []
    out = [_meta(PID_TELEMETRY, "telemetry")]
    for key, s in r.telemetry.series.items():
        label = f"{key} ({s.unit})" if s.unit else key
        for t, v in zip(s.t_s.tolist(), s.values.tolist(), strict=False):
            if math.isfinite(t) and math.isfinite(v):
                out.append({"ph": "C", "pid": PID_TELEMETRY, "name": label, "ts": (window.t0_ns - base) / 1e3 + t * 1e6,
                            "args": {s.metric or "value": v}})
    return out


def _profile_events(p: OpProfile, ort_events: list[dict[str, Any]] | None, shift_us: float) -> list[dict[str, Any]]:
    out = [_meta(PID_OPS, f"operator profile ({p.source.value if p.source else '?'})")]
    if ort_events:
        for e in ort_events:
            if e.get("ph") == "X" and e.get("cat") in ("Session", "Node"):
                args = {k: v for k, v in (e.get("args") or {}).items() if k not in DROP_ARGS}
                out.append({"ph": "X", "pid": PID_OPS, "tid": 1, "name": str(e.get("name", "")), "cat": e["cat"],
                            "ts": float(e.get("ts", 0)) + shift_us, "dur": float(e.get("dur", 0)), "args": args})
        out.append(_meta(PID_OPS, "", 1, "ONNX Runtime trace"))
        out += _ep_rows(p, [e for e in out if e.get("cat") == "Node"])
    else:
        out += _sequential(p, shift_us)
    return out


def _ep_rows(p: OpProfile, node_events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The EP's rows inside each execution of their partition node."""
    out = []
    for part in (n for n in p.top if n.status is OpStatus.PARTITION):
        rows = [m for m in p.inside(part.name) if m.time_s]
        total = math.fsum(m.time_s for m in rows)
        if not rows or not total:
            continue
        out.append(_meta(PID_OPS, "", 2, f"{part.provider} ops (layout)"))
        for e in (e for e in node_events if e["name"] == f"{part.name}_kernel_time"):
            t = e["ts"]
            for m in sorted(rows, key=lambda m: m.order):
                dur = e["dur"] * m.time_s / total
                out.append({"ph": "X", "pid": PID_OPS, "tid": 2, "name": m.name, "cat": "EP op", "ts": t, "dur": dur,
                            "args": {"op_type": m.op_type, "cycles": m.cycles, "layout": LAYOUT_EP}})
                t += dur
    return out


def _sequential(p: OpProfile, start_us: float) -> list[dict[str, Any]]:
    out = [_meta(PID_OPS, "", 1, "one inference (layout)")]
    t = start_us
    for n in sorted((n for n in p.top if n.time_s), key=lambda n: n.order):
        dur = n.time_s * 1e6
        out.append({"ph": "X", "pid": PID_OPS, "tid": 1, "name": n.name, "cat": "Node", "ts": t, "dur": dur,
                    "args": {"op_type": n.op_type, "exec_type": n.exec_type, "layout": LAYOUT_OV}})
        t += dur
    return out
