"""Parse ONNX Runtime's profiling trace (SessionOptions.enable_profiling) into per-node times.

The trace is a Chrome-trace JSON list. Each inference is one `cat == "Session"`,
`name == "model_run"` event; each kernel call is a `cat == "Node"` event named
`<node>_kernel_time` with `args.op_name`, `args.provider`, sizes in bytes
(`output_size`, `parameter_size`, `activation_size`) and, in ORT >= 1.20, the
arena's `mem_in_use_peak` / `mem_arena_held`. Durations are microseconds.

The first `drop_runs` inferences (the profiling session's own warm-up) are
left out: every Node event that starts before the end of the last dropped run.
A Node event inside another one's span on the same thread is a node of a
control-flow subgraph (If, Loop, Scan): the outer node's time includes it, so
it is a row inside the outer node, not added to the totals again.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.record.schema import OpNodeTime, OpStatus

ENGINE_NAME = "onnxruntime"  # RawProfile.engine of an ONNX Runtime session
KERNEL_SUFFIX = "_kernel_time"
US = 1e-6


class TraceError(ValueError):
    """The trace is not what ONNX Runtime writes (the message says what is wrong)."""


@dataclass
class OrtTrace:
    """Per-node totals over the kept runs, and the runs' own wall times."""

    nodes: list[OpNodeTime] = field(default_factory=list)
    runs: int = 0  # inferences kept
    dropped: int = 0
    run_s: list[float] = field(default_factory=list)  # each kept model_run's duration
    calls_per_run: dict[str, int] = field(default_factory=dict)  # node -> calls in one kept run
    run_ops_s: list[float] = field(default_factory=list)  # each kept run's top-level op times added up


def load_events(text: str, source: str) -> list[dict[str, Any]]:
    """The events of an ORT trace file's text; TraceError naming `source` when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise TraceError(f"{source}: not JSON ({e})") from None
    if isinstance(data, dict):  # Chrome's object form: {"traceEvents": [...]}
        data = data.get("traceEvents")
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise TraceError(f"{source}: not a Chrome trace event list")
    return data


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _bytes(args: dict[str, Any], key: str) -> int | None:
    value = _num(args.get(key))
    return int(value) if value is not None and value >= 0 else None


def _runs(events: list[dict[str, Any]]) -> list[tuple[float, float]]:
    runs = []
    for e in events:
        if e.get("cat") == "Session" and e.get("name") == "model_run":
            ts, dur = _num(e.get("ts")), _num(e.get("dur"))
            if ts is None or dur is None:
                raise TraceError("a model_run event without ts/dur")
            runs.append((ts, dur))
    return sorted(runs)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _node_events(events: list[dict[str, Any]], cut: float) -> list[tuple[str, float, float, Any, dict[str, Any]]]:
    """(node, ts, dur, tid, args) of each kernel call after `cut`, by start time."""
    out = []
    for e in events:
        name, ts, dur = str(e.get("name", "")), _num(e.get("ts")), _num(e.get("dur"))
        if e.get("cat") != "Node" or not name.endswith(KERNEL_SUFFIX) or ts is None or dur is None or ts < cut:
            continue
        args = e.get("args") if isinstance(e.get("args"), dict) else {}
        out.append((name[: -len(KERNEL_SUFFIX)], ts, dur, e.get("tid"), args))
    return sorted(out, key=lambda x: (x[1], -x[2]))


def _outer(calls: list[tuple[str, float, float, Any, dict[str, Any]]]) -> list[str]:
    """For each call, the top-level call it runs inside on the same thread (If/Loop subgraphs), or ''."""
    open_span: dict[Any, tuple[str, float]] = {}  # tid -> (top-level node, its end)
    parents = []
    for name, ts, dur, tid, _ in calls:
        top = open_span.get(tid)
        if top is not None and ts + dur <= top[1] + 1:  # inside (1 us of rounding)
            parents.append(top[0])
        else:
            parents.append("")
            open_span[tid] = (name, ts + dur)
    return parents


def parse_trace(events: list[dict[str, Any]], drop_runs: int, device_of: Callable[[str], str]) -> OrtTrace:
    """Per-node totals over the inferences after the first `drop_runs`; `device_of(provider)` names the device."""
    runs = _runs(events)
    if len(runs) <= drop_runs:
        raise TraceError(f"the trace holds {len(runs)} inferences; {drop_runs} were to be dropped as warm-up")
    cut = runs[drop_runs - 1][0] + runs[drop_runs - 1][1] if drop_runs else -math.inf
    kept_runs = runs[drop_runs:]
    starts = [ts for ts, _ in kept_runs]
    out = OrtTrace(runs=len(kept_runs), dropped=drop_runs, run_s=[d * US for _, d in kept_runs],
                   run_ops_s=[0.0] * len(kept_runs))
    nodes: dict[str, OpNodeTime] = {}
    calls = _node_events(events, cut)
    for (name, ts, dur, _, args), parent in zip(calls, _outer(calls), strict=True):
        node = nodes.get(name)
        if node is None:
            provider = str(args.get("provider", ""))
            node = nodes[name] = OpNodeTime(
                name=name, op_type=str(args.get("op_name", "")), provider=provider, device=device_of(provider),
                status=OpStatus.EXECUTED, total_s=0.0, order=len(nodes), partition=parent,
                output_bytes=_bytes(args, "output_size"), parameter_bytes=_bytes(args, "parameter_size"),
                activation_bytes=_bytes(args, "activation_size"))
        node.calls += 1
        node.total_s = (node.total_s or 0.0) + dur * US
        node.peak_memory_bytes = _max(node.peak_memory_bytes, _bytes(args, "mem_in_use_peak"))
        node.arena_bytes = _max(node.arena_bytes, _bytes(args, "mem_arena_held"))
        run = max(0, bisect.bisect_right(starts, ts) - 1)
        if not parent:
            out.run_ops_s[run] += dur * US
        if run == 0:
            out.calls_per_run[name] = out.calls_per_run.get(name, 0) + 1
    out.nodes = list(nodes.values())
    return out
