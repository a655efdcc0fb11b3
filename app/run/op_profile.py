"""The operator-profile pass (--op-profile): after the timed loop, a separate session with the profiler on.

The timed figures never carry profiling overhead: the worker opens a second
session with the runtime's profiler switched on (SessionSettings.profile_dir),
runs DROP_RUNS inferences it leaves out and then `runs` it keeps, and turns
what the runtime wrote into the record's `op_profile` section:

* ONNX Runtime, any EP: the trace JSON (app.run.op_ort); a node an EP compiled
  into one fused partition is a PARTITION node, its members from ORT's graph
  assignment, and for the QNN EP its per-op rows from the EP's CSV
  (app.run.op_qnn);
* OpenVINO: the per-node performance counts (app.run.op_openvino).

A failure here never costs the user the run: the section says why instead.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.common.targets import Target
from app.record import ops
from app.record.schema import OpProfile, OpSource
from app.run import op_model_types, op_openvino, op_ort, op_qnn
from app.run.op_partitions import attach_partitions

DROP_RUNS = 2  # the profiling session's own warm-up: first calls, allocations, caches
MIN_RUNS, MAX_RUNS = 3, 50
BUDGET_S = 2.0  # aim for about this much profiled inference time
CPU_EP = "CPUExecutionProvider"
OV_MEANS_NOTE = ("OpenVINO reports each node's running mean, not each inference: node times are the mean over the "
                 "kept inferences, and the gap compares their sum (a mean) with the timed p50")


def runs_for(p50_s: float | None) -> int:
    """How many inferences to profile, from the timed loop's p50."""
    if p50_s is None or not math.isfinite(p50_s) or p50_s <= 0:
        return MIN_RUNS
    return max(MIN_RUNS, min(MAX_RUNS, int(BUDGET_S / p50_s)))


def device_of(target: Target):
    """The device name of each provider in this target's runs: the CPU EP is the CPU; the target's own, its device."""
    own = target.device_type or "?"
    if target.emulated and target.device_name:
        own = target.device_name.split(" on ")[0]  # 'Hexagon HTP emulator on AMD EPYC' -> 'Hexagon HTP emulator'

    def name(provider: str) -> str:
        return "CPU" if provider in (CPU_EP, "") else own if provider == target.provider else provider

    return name


class ProfilingStopped(Exception):
    """The user cancelled during the profiling pass."""


def run_pass(model_path: str, target: Target, settings: Any, feeds: dict, *, io_binding: bool = False,
             runs: int = MIN_RUNS, keep_dir: str | None = None,
             stop: Callable[[], bool] = lambda: False) -> OpProfile:
    """Open a profiling session, run DROP_RUNS + `runs` inferences, return the profile (never raises UserError).

    `stop()` is asked between inferences: True ends the pass (the profile says it was cancelled).
    """
    from app.engines.registry import engine_for

    folder = keep_dir or tempfile.mkdtemp(prefix="aipcprof-ops-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    t0_ns = time.perf_counter_ns()
    try:
        session = engine_for(target).open(model_path, target, dataclasses.replace(settings, profile_dir=folder))
        try:
            wall = _profiled_runs(session, feeds, io_binding, DROP_RUNS + runs, stop)
            raw = session.end_profile()
        finally:
            session.close()
        profile = from_raw(raw, target, DROP_RUNS, wall[DROP_RUNS:], model_path)
        if keep_dir is None:
            profile.trace_file = None
    except (UserError, op_ort.TraceError, op_qnn.QnnCsvError, op_openvino.PerfCountError, OSError) as e:
        profile = OpProfile(available=False, reason=f"the profiling session failed: {e}")
    except ProfilingStopped:
        profile = OpProfile(available=False, reason="cancelled by the user during the operator-profile pass")
    finally:
        if keep_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    profile.t0_ns = t0_ns
    profile.seconds = (time.perf_counter_ns() - t0_ns) / 1e9
    return profile


def _profiled_runs(session, feeds: dict, io_binding: bool, count: int, stop: Callable[[], bool]) -> list[float]:
    runner = session.make_runner(feeds, io_binding=io_binding)
    clock = time.perf_counter_ns
    wall = []
    for _ in range(count):
        if stop():
            raise ProfilingStopped
        start = clock()
        runner()
        wall.append((clock() - start) / 1e9)
        session.after_profiled_run()
    return wall


def from_raw(raw, target: Target, drop_runs: int, wall_s: list[float], model_path: str | None = None) -> OpProfile:
    """The profile section from an engine's RawProfile (None: the engine has no profiler).

    `model_path`: the model, to name OpenVINO's runtime nodes by the model's nodes and op types.
    """
    if raw is None:
        return OpProfile(available=False, engine=target.engine,
                         reason=f"{target.id}: the {target.engine or '?'} engine gives no per-operator data")
    if raw.engine == op_ort.ENGINE_NAME:
        profile = _from_ort(raw, target, drop_runs)
    else:
        nodes = op_openvino.parse_counts(raw.perf_counts, drop_runs, device_of(target)(target.provider))
        if model_path and raw.originals:
            op_model_types.attach(nodes, raw.originals, model_path)
        profile = OpProfile(available=True, source=OpSource.OPENVINO_PERF_COUNTS,
                            sources=[OpSource.OPENVINO_PERF_COUNTS], runs_profiled=len(raw.perf_counts) - drop_runs,
                            nodes=nodes, profiled_inference_s=statistics.fmean(wall_s) if wall_s else None,
                            notes=[OV_MEANS_NOTE])
    profile.engine = raw.engine
    profile.warmup_dropped = drop_runs
    profile.notes = [*profile.notes, *raw.notes]
    if target.emulated:
        profile.notes.append(f"{target.id} is an emulator: the absolute times are emulator times on this CPU, "
                             f"not the device's; the per-op cycles and the shares are the HTP model's")
    return ops.complete(profile)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _from_ort(raw, target: Target, drop_runs: int) -> OpProfile:
    events = op_ort.load_events(Path(raw.trace_path).read_text(encoding="utf-8"), raw.trace_path)
    trace = op_ort.parse_trace(events, drop_runs, device_of(target))
    profile = OpProfile(available=True, source=OpSource.ORT_TRACE, sources=[OpSource.ORT_TRACE],
                        runs_profiled=trace.runs, nodes=trace.nodes, trace_file=raw.trace_path,
                        profiled_inference_s=statistics.fmean(trace.run_s) if trace.run_s else None,
                        sum_of_ops_p50_s=_median(trace.run_ops_s))
    attach_partitions(profile, raw, target.provider, trace.calls_per_run, drop_runs)
    if not profile.nodes:
        profile.available = False
        profile.reason = "the ONNX Runtime trace holds no node events for the profiled inferences"
    return profile
