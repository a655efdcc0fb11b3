"""Parse OpenVINO's per-node performance counts (PERF_COUNT=YES, InferRequest.get_profiling_info()).

The engine hands over, per profiled inference, one list of PerfCount
(app.engines.base): node name and type, exec type, status (EXECUTED, NOT_RUN,
OPTIMIZED_OUT), real and CPU time in seconds. The exec type names the kernel
and its precision (`brgconv_avx512_bf16`, `jit_uni_f32`, `ref_any_I8`). The
CPU plugin reports a node fused into a neighbour as NOT_RUN with exec type
`undef`: its time is in the node it was fused into.
"""

from __future__ import annotations

import math

from app.engines.base import PerfCount
from app.record.schema import OpNodeTime, OpStatus

PROVIDER = "OpenVINO"
FUSED_EXEC = "undef"
_PRECISIONS = {"f32": "f32", "fp32": "f32", "bf16": "bf16", "f16": "f16", "fp16": "f16", "i8": "i8", "u8": "u8",
               "i4": "i4", "u4": "u4", "i32": "i32", "i64": "i64", "boolean": "boolean", "u1": "u1"}
_STATUS = {"EXECUTED": OpStatus.EXECUTED, "NOT_RUN": OpStatus.NOT_RUN, "OPTIMIZED_OUT": OpStatus.OPTIMIZED_OUT}


class PerfCountError(ValueError):
    """The counts are not what the engine hands over (the message says what is wrong)."""


def precision_of(exec_type: str) -> str:
    """'brgconv_avx512_bf16' -> 'bf16'; 'jit_avx512_FP32' -> 'f32'; '' when the exec type names none."""
    tail = exec_type.rsplit("_", 1)[-1].lower() if "_" in exec_type else ""
    return _PRECISIONS.get(tail, "")


def _status(item: PerfCount) -> OpStatus:
    status = _STATUS.get(item.status)
    if status is None:
        raise PerfCountError(f"node {item.node_name!r}: unknown status {item.status!r}")
    if status is OpStatus.NOT_RUN and item.exec_type == FUSED_EXEC:
        return OpStatus.FUSED
    return status


def _seconds(value: object, item: PerfCount) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise PerfCountError(f"node {item.node_name!r}: {value!r} is not a duration")
    return float(value)


def parse_counts(runs: list[list[PerfCount]], drop_runs: int, device: str) -> list[OpNodeTime]:
    """Per-node totals over the inferences after the first `drop_runs`, in the runtime's node order."""
    kept = runs[drop_runs:]
    if not kept:
        raise PerfCountError(f"{len(runs)} inferences profiled; {drop_runs} were to be dropped as warm-up")
    nodes: dict[str, OpNodeTime] = {}
    for run in kept:
        for item in run:
            status = _status(item)
            node = nodes.get(item.node_name)
            if node is None:
                node = nodes[item.node_name] = OpNodeTime(
                    name=item.node_name, op_type=item.node_type, provider=PROVIDER, device=device,
                    exec_type=item.exec_type, precision=precision_of(item.exec_type), status=status, order=len(nodes))
            if status is OpStatus.EXECUTED:
                node.status = OpStatus.EXECUTED  # executed in any run: it has a time
                node.calls += 1
                node.total_s = (node.total_s or 0.0) + _seconds(item.real_time_s, item)
                node.cpu_time_s = (node.cpu_time_s or 0.0) + _seconds(item.cpu_time_s, item)
    for node in nodes.values():  # cpu_time per inference, like time_s
        if node.cpu_time_s is not None:
            node.cpu_time_s /= len(kept)
    return list(nodes.values())


def run_sums(runs: list[list[PerfCount]]) -> list[float]:
    """Each inference's executed node times added up (seconds)."""
    return [math.fsum(_seconds(i.real_time_s, i) for i in run if i.status == "EXECUTED") for run in runs]
