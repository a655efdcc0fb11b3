"""Parse OpenVINO's per-node performance counts (PERF_COUNT=YES, InferRequest.get_profiling_info()).

The engine hands over, per profiled inference, one list of PerfCount
(app.engines.base): node name and type, exec type, status (EXECUTED, NOT_RUN,
OPTIMIZED_OUT), real and CPU time in seconds. The exec type names the kernel
and its precision (`brgconv_avx512_bf16`, `jit_uni_f32`, `ref_any_I8`). The
CPU plugin reports a node fused into a neighbour as NOT_RUN with exec type
`undef`: its time is in the node it was fused into.

The times are running means, not the last inference's: after the k-th
inference on a request each node reports its mean over inferences 1..k (seen
on OpenVINO 2026.4 CPU: a node that took 6.5 ms on the first inference and
~8 us after reads 6.54, 3.28, 2.19, 1.64 ms). So the time over the kept
inferences d+1..n is n x mean_n - d x mean_d, and there is no per-inference
op sum to take a median of.
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


def _node(item: PerfCount, status: OpStatus, device: str, order: int) -> OpNodeTime:
    return OpNodeTime(name=item.node_name, op_type=item.node_type, provider=PROVIDER, device=device,
                      exec_type=item.exec_type, precision=precision_of(item.exec_type), status=status, order=order)


def parse_counts(runs: list[list[PerfCount]], drop_runs: int, device: str) -> list[OpNodeTime]:
    """Per-node totals over the inferences after the first `drop_runs`, in the runtime's node order.

    `runs[k]` is what the request reported after its (k+1)-th inference: running means (see above).
    """
    n, d = len(runs), drop_runs
    if n <= d:
        raise PerfCountError(f"{n} inferences profiled; {d} were to be dropped as warm-up")
    before = {i.node_name: i for i in runs[d - 1]} if d else {}
    nodes = []
    for order, item in enumerate(runs[-1]):
        status = _status(item)
        node = _node(item, status, device, order)
        if status is OpStatus.EXECUTED:
            prev = before.get(item.node_name)
            node.calls = n - d
            node.total_s = _kept_total(item.real_time_s, prev.real_time_s if prev else 0.0, n, d, item)
            node.cpu_time_s = _kept_total(item.cpu_time_s, prev.cpu_time_s if prev else 0.0, n, d, item) / (n - d)
        nodes.append(node)
    return nodes


def _kept_total(mean_n: float, mean_d: float, n: int, d: int, item: PerfCount) -> float:
    """n x mean_n - d x mean_d, the time of inferences d+1..n (>= 0: the means are rounded to 1 us)."""
    return max(0.0, n * _seconds(mean_n, item) - d * _seconds(mean_d, item))
