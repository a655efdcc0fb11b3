"""The record's `op_profile` section: where one inference's time goes, operator by operator.

Written by the operator-profile pass (`aipcprof run --op-profile`), which runs
after the timed loop in a separate session with the runtime's profiler on, so
the timed figures never carry profiling overhead (docs/op-profile.md).

Units are SI: seconds, bytes. Per-node times are per inference (`time_s`, the
node's total over the profiled runs divided by `runs_profiled`); `total_s` is
the total over all profiled runs, `mean_s` the mean of one call. Missing data
is None (written as null), never 0.

Nodes come in two levels:

* top level (`partition == ""`): what the engine executed; their `time_s` add
  up to `sum_of_ops_s`, and `by_type` / `by_device` total them;
* inside another node (`partition` names a top-level node): the EP's own
  profile of the ops an EP compiled into one fused PARTITION node (QNN's
  per-op cycles, on the EP's own clock), or the nodes of a control-flow node's
  subgraph (If, Loop, Scan: the outer node's time includes them). They are a
  breakdown of that node and are never added to the totals.

The aggregation helpers over these classes are in app.record.ops.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.record.typed import Section


class OpSource(str, enum.Enum):
    """Which runtime profiler the per-node data came from."""

    ORT_TRACE = "ort-trace"  # ONNX Runtime SessionOptions.enable_profiling, cat == "Node" events
    QNN_CSV = "qnn-csv"  # the QNN EP's profiling_file_path CSV (per-op cycles inside a QNN partition)
    OPENVINO_PERF_COUNTS = "openvino-perf-counts"  # PERF_COUNT=YES, InferRequest.get_profiling_info()


class OpStatus(str, enum.Enum):
    """What the runtime did with a node."""

    EXECUTED = "executed"
    NOT_RUN = "not_run"  # OpenVINO NOT_RUN: in the compiled graph, not executed (e.g. a constant folded away)
    OPTIMIZED_OUT = "optimized_out"  # OpenVINO OPTIMIZED_OUT: removed by the graph optimiser
    FUSED = "fused"  # OpenVINO CPU: NOT_RUN with exec type 'undef': fused into a neighbour, its time counted there
    PARTITION = "partition"  # one fused node of an EP's compiled partition (its ops: `members` / partition rows)


@dataclass
class OpNodeTime(Section):
    """One node as the runtime ran it, over the profiled runs."""

    name: str
    op_type: str = ""
    # The model's (ONNX) op type of the node this row was made from, when the runtime names its own
    # (OpenVINO: Convolution made from a Conv -> "Conv"); "" when op_type is already the model's or unknown
    model_op_type: str = ""
    provider: str = ""  # the EP (CPUExecutionProvider, QNNExecutionProvider) or "OpenVINO"
    device: str = ""  # CPU, NPU, GPU, ... (the target's device for its EP; "CPU" for the CPU EP)
    exec_type: str = ""  # the kernel the runtime picked (OpenVINO: brgconv_avx512_bf16, jit_avx512_FP32, ...)
    precision: str = ""  # what the kernel computed in when the runtime says (f32, bf16, i8, fp16)
    status: OpStatus = OpStatus.EXECUTED
    calls: int = 0  # executions over the profiled runs
    total_s: float | None = None  # time over all profiled runs
    time_s: float | None = None  # per inference: total_s / runs_profiled
    mean_s: float | None = None  # per call: total_s / calls
    share: float | None = None  # of sum_of_ops_s (top level) or of the partition's time (inside one), 0-1
    cpu_time_s: float | None = None  # OpenVINO cpu_time per inference
    cycles: float | None = None  # per inference, where the EP reports cycles (QNN HTP)
    output_bytes: int | None = None  # ORT output_size
    parameter_bytes: int | None = None  # ORT parameter_size (weights)
    activation_bytes: int | None = None  # ORT activation_size (inputs)
    peak_memory_bytes: int | None = None  # ORT mem_in_use_peak after this node (the arena's peak in use)
    arena_bytes: int | None = None  # ORT mem_arena_held after this node
    order: int = 0  # position of the node's first call in an inference
    partition: str = ""  # the top-level node this row runs inside: a PARTITION, or If/Loop ("" = top level)
    members: list[str] = field(default_factory=list)  # a PARTITION's member nodes (model node names)

    ALWAYS = ("total_s", "time_s", "mean_s", "share")

    @property
    def top_level(self) -> bool:
        return not self.partition


@dataclass
class OpGroupTime(Section):
    """Top-level nodes totalled by op type or by device (per inference)."""

    key: str  # the op type, or the device (with its provider: "CPU (CPUExecutionProvider)")
    nodes: int = 0
    calls: int = 0
    time_s: float | None = None
    share: float | None = None  # of sum_of_ops_s, 0-1

    ALWAYS = ("time_s", "share")


@dataclass
class EpCounter(Section):
    """A profile-wide figure the EP reports (QNN: accelerator execute time, VTCM/HVX acquire)."""

    name: str
    value: float | None = None
    unit: str = ""  # "s", "cycles", "bytes", "count"
    partition: str = ""  # the PARTITION node it belongs to, when the EP reports per partition

    ALWAYS = ("value",)


@dataclass
class OpProfile(Section):
    """The operator profile of a run (None in the record when --op-profile was not asked for)."""

    available: bool = False
    reason: str = ""  # available: what could not be broken down; unavailable: why there is no profile
    source: OpSource | None = None
    sources: list[OpSource] = field(default_factory=list)  # every source merged (ORT trace + QNN CSV)
    engine: str = ""  # onnxruntime | openvino
    runs_profiled: int = 0  # inferences whose nodes are counted
    warmup_dropped: int = 0  # profiled inferences left out (first calls, caches)
    nodes: list[OpNodeTime] = field(default_factory=list)  # top level by time_s, then partition rows
    by_type: list[OpGroupTime] = field(default_factory=list)  # top level, by time_s descending
    by_device: list[OpGroupTime] = field(default_factory=list)
    sum_of_ops_s: float | None = None  # per inference: the top-level nodes' time_s added up (a mean)
    # The median over the profiled inferences of each one's op times added up: compared with the timed p50
    sum_of_ops_p50_s: float | None = None
    inference_s: float | None = None  # the timed loop's p50 (measured without profiling)
    profiled_inference_s: float | None = None  # mean wall time of one profiled inference (with profiler on)
    gap_s: float | None = None  # inference_s - sum_of_ops_p50_s (else sum_of_ops_s): framework, copies, idle
    gap_share: float | None = None  # gap_s / inference_s
    ep_counters: list[EpCounter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "absolute times are HTP emulator times"
    seconds: float | None = None  # wall time the profiling pass took
    t0_ns: int | None = None  # perf_counter_ns when the profiling session was opened (the ORT trace's time 0, about)
    trace_file: str | None = None  # the Chrome trace --trace wrote from this profile, if any

    ALWAYS = ("source", "sum_of_ops_s", "sum_of_ops_p50_s", "inference_s", "gap_s", "gap_share")

    @property
    def top(self) -> list[OpNodeTime]:
        """Top-level nodes (what the engine executed), slowest first."""
        return [n for n in self.nodes if n.top_level]

    def inside(self, partition: str) -> list[OpNodeTime]:
        """The EP's own rows for one PARTITION node."""
        return [n for n in self.nodes if n.partition == partition]
