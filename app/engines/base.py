"""The contract every runtime engine fulfils (ONNX Runtime, native OpenVINO).

An engine discovers targets and opens sessions. A session hands the worker a
zero-argument callable that runs one inference, so the measured loop adds
nothing but two clock reads per inference.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from app.common.targets import Target
from app.engines.requests import RequestPool


@dataclass
class SessionSettings:
    """What the user asked for, engine-neutral."""

    ep_options: dict[str, str] = field(default_factory=dict)
    strict: bool = False  # no CPU fallback: fail instead
    threads: int | None = None  # intra-op threads; None = runtime default
    # Symbolic dim -> value, applied as free-dimension overrides so NPU
    # compilers see static shapes.
    dim_overrides: dict[str, int] = field(default_factory=dict)
    # Input name -> full static shape (from --shape or resolved dims).
    input_shapes: dict[str, list[int]] = field(default_factory=dict)
    cache_dir: str | None = None  # EP context / compiled-model cache
    # Input name -> axes whose size was guessed (app.model.dims): errors from those sizes say so.
    guessed_dims: dict[str, list[int]] = field(default_factory=dict)
    # The model's own quantisation, e.g. "int8 (QOperator, dynamic quantisation)" (app.model.model_card).
    quant_label: str = ""
    # A profiling session (--op-profile): the runtime's profiler on, its files written into this folder.
    profile_dir: str | None = None
    throughput: bool = False  # --mode throughput: the engine is set up for several requests in flight
    requests: int | None = None  # --requests (None: the engine's choice)


@dataclass
class Placement:
    """Where the graph's nodes ended up."""

    total_nodes: int
    nodes_by_provider: dict[str, int]
    accelerator: str  # the provider/device that counts as "the accelerator"
    source: str  # how this was learned, e.g. "ort graph assignment info"
    subgraphs: int = 0  # number of partitions handed to the accelerator

    @property
    def accelerator_nodes(self) -> int:
        return self.nodes_by_provider.get(self.accelerator, 0)

    @property
    def accelerator_share(self) -> float | None:
        if self.total_nodes <= 0:
            return None
        return self.accelerator_nodes / self.total_nodes

    def to_dict(self) -> dict:
        d = asdict(self)
        d["accelerator_nodes"] = self.accelerator_nodes
        d["accelerator_share"] = self.accelerator_share
        return d


@dataclass
class PolicyChoice:
    """What an ONNX Runtime device policy picked, read back from the session (app.engines.ort_policy)."""

    policy: str  # "PREFER_NPU"
    ep: str  # the first provider of the session: the EP the policy put first
    device_type: str = ""  # "" when the EP offers several devices here and ORT does not say which
    device_target: str = ""  # the target id of that device ("ort/qnn/htp-emulator")
    device_name: str = ""
    candidates: list[str] = field(default_factory=list)  # target ids of the devices the EP offers here
    fallback: list[str] = field(default_factory=list)  # the session's other providers
    nodes_on_ep: int | None = None
    total_nodes: int | None = None
    note: str = ""


@dataclass
class CompiledModel:
    """An EP-context model (compiled ahead with `aipcprof compile` / ModelCompiler) and its load."""

    eps: list[str]  # the EPs its EPContext nodes belong to
    embed_mode: bool | None = None  # context binary inside the model (True) or in a file beside it
    compatibility: str = ""  # OrtCompiledModelCompatibility member, or "not checked: <why>"
    load_s: float | None = None  # this session's creation
    # Both models' session creation as `aipcprof compile` timed them, in one process after the compile.
    uncompiled_load_s: float | None = None
    compiled_load_s: float | None = None
    compiled_for: str = ""  # target id `aipcprof compile` compiled it for
    compile_s: float | None = None
    compiled_utc: str = ""


@dataclass
class SessionFacts:
    """Facts learned while opening the session."""

    providers: list[str] = field(default_factory=list)  # what the session actually uses
    precision: str = ""  # what the target computed in: "fp32", "fp16 (QNN enable_htp_fp16_precision)", ...
    cache: str = "n/a"  # "hit" | "miss" | "n/a"
    effective_options: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # warnings worth surfacing in the record
    policy: PolicyChoice | None = None  # ort/auto/* targets: what the policy picked
    compiled: CompiledModel | None = None  # the model is an EP context (compiled ahead)


@dataclass(frozen=True)
class PerfCount:
    """One node of OpenVINO's InferRequest.get_profiling_info() for one inference (times in seconds)."""

    node_name: str
    node_type: str
    exec_type: str
    status: str  # EXECUTED | NOT_RUN | OPTIMIZED_OUT
    real_time_s: float
    cpu_time_s: float


@dataclass
class RawProfile:
    """What a profiling session's runtime produced, unparsed (app.run.op_profile parses it)."""

    engine: str
    trace_path: str | None = None  # ONNX Runtime: the end_profiling() JSON trace
    ep_csv_path: str | None = None  # QNN EP: the profiling_file_path CSV (when the EP wrote one)
    # OpenVINO: per profiled inference, get_profiling_info()
    perf_counts: list[list[PerfCount]] = field(default_factory=list)
    # OpenVINO: each runtime node's originalLayersNames (the model's layers it was made from), by node name
    originals: dict[str, list[str]] = field(default_factory=dict)
    # The accelerator's subgraphs as ORT assigned them: each a list of (node name, op type), in graph order
    partitions: list[list[tuple[str, str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class EngineSession(ABC):
    facts: SessionFacts
    placement: Placement | None

    @abstractmethod
    def output_names(self) -> list[str]: ...

    @abstractmethod
    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """One inference returning outputs as numpy arrays (for the output check)."""

    @abstractmethod
    def make_runner(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> Callable[[], Any]:
        """A zero-argument callable running one inference on `feeds`.

        With io_binding the inputs are bound once and outputs preallocated, so
        the loop measures compute without per-call input copies.
        """

    def data_runner(self) -> Callable[[dict[str, np.ndarray]], Any]:
        """A callable running one inference on the feeds it is given, with as little around the runtime's call
        as `make_runner`'s (the eval's timed loop over a data set); its errors are the runtime's own, so a caller
        runs a failing sample again through `run` for the explained error. Default: `run`."""
        return self.run

    def after_profiled_run(self) -> None:  # noqa: B027 - optional hook
        """In a profiling session: collect what the runtime holds for the inference just run (OpenVINO)."""

    def end_profile(self) -> RawProfile | None:
        """In a profiling session: stop profiling and hand over the raw profile (None: this engine has none)."""
        return None

    @abstractmethod
    def request_pool(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> RequestPool:
        """Throughput mode: the requests that run `feeds` in flight together (app.engines.requests)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class Engine(ABC):
    name: str

    @abstractmethod
    def discover(self) -> list[Target]:
        """Every target of this engine on this machine, ready or not (with reason)."""

    @abstractmethod
    def open(self, model_path: str, target: Target, settings: SessionSettings) -> EngineSession:
        """Create the session (the compile phase). Raises UserError for user-fixable problems."""
