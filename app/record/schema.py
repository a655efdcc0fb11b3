"""The run record, typed: one dataclass per section (docs/run-record.md).

Every layer above this one (run, report, views, CLI) reads and writes records
through these classes; nothing matches section names or warning prose by hand.
`RunRecord.to_json()` is the file format; `app.record.io.load()` reads any
schema version this tool has written and upgrades it (`app.record.upgrade`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.common.errors import ErrorKind, UserError
from app.common.modes import Concurrency, RunMode
from app.record.accuracy_schema import Accuracy, Task  # noqa: F401
from app.record.conditions import Conditions
from app.record.genai_schema import GenAI, GenAIModel, GenAIPromptResult, GenAISettings  # noqa: F401
from app.record.op_schema import EpCounter, OpGroupTime, OpNodeTime, OpProfile, OpSource, OpStatus  # noqa: F401
from app.record.selection import CompiledModelInfo, PolicyChoiceInfo
from app.record.typed import FloatArray, Section

SCHEMA = "aipcprof.run"
SCHEMA_VERSION = 2


class RunStatus(str, enum.Enum):
    RUNNING = "running"  # only while the run is live; never in a saved record
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # stopped by the user: partial, kept
    FAILED = "failed"  # see `error`


class Phase(str, enum.Enum):
    """A step of a run. The value is what the record and the progress text show."""

    START = "start"  # the parent's state until the worker reports its first phase (never a record phase)
    LOAD = "load"
    COMPILE = "compile"
    FIRST_INFERENCE = "first_inference"
    SETTLE = "settle"  # --quiet-check: waiting for other processes to quieten before warm-up
    WARMUP = "warmup"
    DATA = "data"  # aipcprof eval: reading the data set into memory before the measured loop
    MEASURE = "measure"
    OUTPUT_CHECK = "output_check"
    OP_PROFILE = "op_profile"  # --op-profile: the separate profiling session after the timed loop
    SCORE = "score"  # aipcprof eval: the metrics over the data set's outputs (agreement: the reference runs first)

    def __str__(self) -> str:  # "load", not "Phase.LOAD", in f-strings on every Python version
        return self.value

    __format__ = str.__format__


class WarningKind(str, enum.Enum):
    """What a warning is about, so reports and views pick warnings by kind, never by their text."""

    NOTHING_ON_ACCELERATOR = "nothing_on_accelerator"  # 0 nodes on the target: the CPU fallback was measured
    PARTIAL_FALLBACK = "partial_fallback"  # some nodes fell back from the accelerator
    OUTPUT_MISMATCH = "output_mismatch"  # an output differs from the CPU reference
    CANCELLED = "cancelled"  # stopped by the user; partial results
    NOT_STEADY = "not_steady"  # --until-steady did not settle
    ENGINE_NOTE = "engine_note"  # a note from the engine while opening the session
    GUESSED_SHAPE = "guessed_shape"  # an input dim took a stated default (image 224, sequence 128)
    SUSPICIOUS_SHAPE = "suspicious_shape"  # an image input with a side of 1 (not fixed by the model)
    # Measurement conditions (app.run.conditions: thresholds in THRESHOLDS).
    BUSY_MACHINE = "busy_machine"  # other processes used the CPU during the measured loop
    STEAL_TIME = "steal_time"  # the hypervisor took CPU time from this VM
    ON_BATTERY = "on_battery"  # on battery at the start of the run or the end of the measurement
    POWER_SAVER = "power_saver"  # a power-saving plan / platform profile was active
    THROTTLED = "throttled"  # thermal throttle events, or the clock capped below the hardware maximum
    NOT_QUIET = "not_quiet"  # --quiet-check waited its bound and the machine did not settle
    OTHER = "other"


# -- sections --------------------------------------------------------------------------------------------

@dataclass
class ToolInfo(Section):
    name: str = "aipcprof"
    version: str = ""


@dataclass
class PowerInfo(Section):
    source: str = "unknown"  # AC | battery | unknown
    battery_percent: float | None = None
    reason: str = ""
    plan: str | None = None  # the OS power plan / platform profile, when readable
    plan_reason: str = ""  # why `plan` is missing
    saver: bool | None = None  # the plan saves power (power saver, low-power profile, EPP power); None: unknown


@dataclass
class HostInfo(Section):
    hostname: str = ""
    os: str = ""
    os_version: str = ""
    machine: str = ""
    cpu: str = ""
    logical_cpus: int | None = None
    physical_cpus: int | None = None
    ram_bytes: int | None = None
    python: str = ""
    power: PowerInfo = field(default_factory=PowerInfo)


@dataclass
class ModelInfo(Section):
    path: str = ""
    name: str = ""
    sha256: str | None = None
    size_bytes: int | None = None
    ir_version: int | None = None
    opsets: dict[str, int] = field(default_factory=dict)
    graph_name: str | None = None
    producer: str | None = None

    @property
    def display_name(self) -> str:
        """The model's file name; a run that failed while loading has only the path: its last part."""
        return self.name or re.split(r"[\\/]", self.path.rstrip("\\/"))[-1] or self.path or "?"


@dataclass
class TargetInfo(Section):
    """The target as discovered when the run started (app.common.targets.Target)."""

    id: str
    engine: str = ""
    provider: str = ""
    device_type: str = ""
    vendor: str = ""
    device_name: str = ""
    runtime_version: str = ""
    ep_version: str = ""
    status: str = ""
    reason: str = ""
    fix: str = ""
    emulated: bool = False
    default_options: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """'ort/qnn/npu (Snapdragon X Elite NPU)'."""
        device = self.device_name or self.device_type
        return f"{self.id} ({device})" if device else self.id


@dataclass
class RunSettings(Section):
    """What the user asked for: the run spec (app.run.runspec.RunSpec adds the model path).

    The defaults here are the tool's defaults, shared by the CLI and the GUI.
    """

    target_id: str = ""
    warmup: int = 10
    iterations: int | None = 100  # None when duration_s is set
    duration_s: float | None = None
    shapes: dict[str, list[int]] = field(default_factory=dict)  # --shape INPUT=d0,d1
    dims: dict[str, int] = field(default_factory=dict)  # --dim SYMBOL=N
    inputs: dict[str, str] = field(default_factory=dict)  # --input NAME=FILE|VALUE
    seed: int = 0
    ep_options: dict[str, str] = field(default_factory=dict)
    strict: bool = False
    threads: int | None = None
    io_binding: bool = False
    check_outputs: bool = True
    cache_dir: str | None = None
    # Stop measuring once the p50's 95% confidence half-width is below this share of the p50.
    until_steady: float | None = None
    # Wall-clock limit without progress (compile or one inference) before the worker is declared hung.
    stall_timeout_s: float = 600.0
    # --quiet-check: before warm-up, wait up to this long for other processes' CPU use to settle.
    quiet_check_s: float | None = None
    # After the timed loop, profile each operator in a separate session (the record's op_profile section).
    op_profile: bool = False
    mode: RunMode = RunMode.LATENCY
    requests: int | None = None  # throughput mode: requests in flight (None: the engine's optimal number)

    ALWAYS = ("iterations", "duration_s", "threads", "cache_dir", "until_steady", "requests")

    def settings_only(self) -> RunSettings:
        """Just the settings (a RunSpec without its model path), for the record."""
        from dataclasses import fields

        return RunSettings(**{f.name: getattr(self, f.name) for f in fields(RunSettings)})


@dataclass
class InputInfo(Section):
    name: str
    dtype: str = ""
    shape: list[int] | None = None
    source: str = ""
    # Per axis, where its value came from (app.model.dims.DimSource): model, bound, hint, default, guessed.
    dim_sources: list[str] = field(default_factory=list)
    guessed: list[int] = field(default_factory=list)  # axes that took a stated default (WarningKind.GUESSED_SHAPE)
    unit_sides: list[int] = field(default_factory=list)  # image side axes of size 1 (WarningKind.SUSPICIOUS_SHAPE)

    def dim_label(self, axis: int) -> str:
        """'x[2]=224'."""
        value = self.shape[axis] if self.shape is not None and axis < len(self.shape) else "?"
        return f"{self.name}[{axis}]={value}"


@dataclass
class PhaseTiming(Section):
    seconds: float
    t0_ns: int
    t1_ns: int
    count: int | None = None  # warm-up: inferences run


@dataclass
class LatencyStats(Section):
    """Per-inference latency of the measured loop, seconds."""

    count: int = 0
    unit: str = "s"
    min: float | None = None
    mean: float | None = None
    std: float | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    throughput_per_s: float | None = None
    # Raw per-inference latencies when samples_stride is 1; otherwise each stride-sized bucket's max.
    samples: FloatArray = field(default_factory=lambda: np.zeros(0))
    offsets: FloatArray = field(default_factory=lambda: np.zeros(0))  # start of each sample, s from t0_ns
    samples_stride: int = 1
    t0_ns: int | None = None
    percentile_method: str | None = None  # set when percentiles come from a histogram

    ALWAYS = ("min", "mean", "std", "p50", "p90", "p95", "p99", "max", "throughput_per_s", "t0_ns")

    def percentile(self, p: int) -> float | None:
        return {50: self.p50, 90: self.p90, 95: self.p95, 99: self.p99}[p]


@dataclass
class SteadyState(Section):
    reached: bool
    rel_ci: float
    after_inferences: int | None = None
    after_s: float | None = None


@dataclass
class LatencyWindow(Section):
    t0_s: float
    t1_s: float
    count: int
    p50_s: float | None = None  # null when the window holds too few samples


@dataclass
class ThrottleOnset(Section):
    t_s: float
    window: int
    p50_ratio: float
    temp_delta_c: float | None = None
    clock_ratio: float | None = None
    evidence: str = ""


@dataclass
class Sustained(Section):
    """Latency drift over the run, and throttling onset when telemetry shows it."""

    drift: float | None = None  # last window's p50 over the first's, minus 1
    onset: ThrottleOnset | None = None
    p50_ci: list[float | None] = field(default_factory=list)
    steady_at_end: bool = False
    windows: list[LatencyWindow] = field(default_factory=list)
    error: str | None = None  # the analysis failed; the run record is still whole

    ALWAYS = ("onset",)


@dataclass
class Placement(Section):
    total_nodes: int = 0
    nodes_by_provider: dict[str, int] = field(default_factory=dict)
    accelerator: str = ""
    accelerator_nodes: int = 0
    accelerator_share: float | None = None  # 0-1; null when the graph has no nodes
    subgraphs: int = 0
    source: str = ""

    ALWAYS = ("accelerator_share",)

    @property
    def on_cpu_by_design(self) -> bool:
        """The target is the CPU: nothing can 'fall back'."""
        return self.accelerator == "CPUExecutionProvider" or self.accelerator.upper() == "CPU"


@dataclass
class SessionInfo(Section):
    providers: list[str] = field(default_factory=list)
    precision: str = ""
    cache: str = "n/a"
    effective_options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    policy: PolicyChoiceInfo | None = None  # ort/auto/* targets (app.record.selection)
    compiled: CompiledModelInfo | None = None  # an EP-context model: a cache hit, and what it saved


@dataclass
class OutputComparison(Section):
    name: str
    ok: bool = True
    shape: list[int] | None = None
    reference_shape: list[int] | None = None
    dtype: str | None = None
    max_abs_error: float | None = None
    mean_abs_error: float | None = None
    cosine_similarity: float | None = None
    nonfinite_mismatch: int | None = None
    exact_match: bool | None = None
    problem: str | None = None


@dataclass
class OutputCheck(Section):
    reference: str = "ort/cpu"
    skipped: str | None = None
    outputs: list[OutputComparison] = field(default_factory=list)


@dataclass
class TelemetryWindow(Section):
    t0_ns: int
    t1_ns: int
    duration_s: float



@dataclass
class SeriesSummary(Section):
    """One telemetry series inside the measured window (app.probes.window.summarize), keys in its order."""

    count: int | None = None  # readings inside the window
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    time_weighted_mean: float | None = None
    coverage: float | None = None  # share of the window the readings cover

    ALWAYS = ("count", "mean", "min", "max", "time_weighted_mean", "coverage")  # null says "no reading"

@dataclass
class TelemetrySeries(Section):
    """One metric of one device, around the measured loop (docs/telemetry.md)."""

    device: str = ""
    metric: str = ""
    unit: str = ""
    kind: str = ""
    scope: str = ""
    status: str = ""
    reason: str = ""
    source: str = ""
    t_s: FloatArray = field(default_factory=lambda: np.zeros(0))  # seconds from window.t0_ns
    values: FloatArray = field(default_factory=lambda: np.zeros(0))
    stride: int = 1
    reduce: str = "none"
    summary: SeriesSummary = field(default_factory=SeriesSummary)


@dataclass
class Telemetry(Section):
    available: bool = False
    reason: str = ""
    clock: str = "time.perf_counter_ns"
    window: TelemetryWindow | None = None
    sampler: dict[str, Any] = field(default_factory=dict)
    series: dict[str, TelemetrySeries] = field(default_factory=dict)


@dataclass
class Energy(Section):
    available: bool = False
    device_type: str = ""
    reason: str = ""
    covers: str = ""
    method: str = ""
    series: list[str] = field(default_factory=list)
    source: str = ""
    window_s: float | None = None
    energy_j: float | None = None
    mean_power_w: float | None = None
    coverage: float | None = None
    inferences: int | None = None
    joules_per_inference: float | None = None
    inferences_per_joule: float | None = None
    note: str = ""


@dataclass
class Throughput(Section):
    """A throughput run (`--mode throughput`): several requests in flight on one engine.

    `latency` holds the per-request latencies under this load (queueing included);
    this section holds the rate and how the engine was driven.
    """

    concurrency: Concurrency
    requests: int  # requests in flight
    requests_source: str = ""  # "--requests", "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "default: one per ..."
    streams: int | None = None  # the engine's execution streams (OpenVINO NUM_STREAMS), when it has them
    threads: int | None = None  # inference threads the engine reports (or was given)
    engine_settings: dict[str, str] = field(default_factory=dict)  # what the engine reports it ran with
    inferences: int = 0  # completed in the measured window
    window_s: float | None = None  # first request's start to the last one's end
    inferences_per_s: float | None = None  # inferences / window_s
    batch: int | None = None  # samples per inference (axis 0 shared by every input)
    samples_per_s: float | None = None  # inferences_per_s * batch
    batch_reason: str = ""  # why batch is unknown

    ALWAYS = ("streams", "threads", "window_s", "inferences_per_s", "batch", "samples_per_s")


@dataclass
class RunWarning(Section):
    kind: WarningKind
    text: str


@dataclass
class RunError(Section):
    message: str
    kind: ErrorKind = ErrorKind.INTERNAL
    hint: str = ""
    phase: str = ""
    detail: str = ""  # for INTERNAL: the last traceback line


@dataclass
class HistoryInfo(Section):
    """Only in stored runs (docs/compare.md)."""

    name: str = ""
    added_utc: str = ""
    imported_from: str | None = None


# -- the record --------------------------------------------------------------------------------------

@dataclass
class RunRecord(Section):
    target: TargetInfo
    schema: str = SCHEMA
    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo = field(default_factory=ToolInfo)
    created_utc: str = ""
    status: RunStatus = RunStatus.RUNNING
    host: HostInfo = field(default_factory=HostInfo)
    versions: dict[str, str] = field(default_factory=dict)
    model: ModelInfo = field(default_factory=ModelInfo)
    settings: RunSettings = field(default_factory=RunSettings)
    inputs: list[InputInfo] = field(default_factory=list)
    phases: dict[str, PhaseTiming] = field(default_factory=dict)
    latency: LatencyStats = field(default_factory=LatencyStats)
    steady_state: SteadyState | None = None
    sustained: Sustained | None = None
    placement: Placement | None = None
    session: SessionInfo | None = None
    precision: str | None = None
    output_check: OutputCheck | None = None
    telemetry: Telemetry = field(default_factory=Telemetry)
    energy: Energy | None = None
    conditions: Conditions | None = None  # app/record/conditions.py; None in records before it existed
    op_profile: OpProfile | None = None  # --op-profile (app.record.op_schema); None: not asked for
    throughput: Throughput | None = None  # throughput mode only
    accuracy: Accuracy | None = None  # aipcprof eval (app.record.accuracy_schema); None: not an eval
    genai: GenAI | None = None  # a generative model's run (app.record.genai_schema); None: not one
    warnings: list[RunWarning] = field(default_factory=list)
    error: RunError | None = None
    worker_pid: int | None = None
    history: HistoryInfo | None = None
    worker_log: str | None = None  # what native libraries printed in the worker (None: nothing)

    ALWAYS = ("placement", "precision", "output_check", "energy", "error", "sustained", "conditions")

    def to_json(self) -> dict[str, Any]:
        """Sections in the documented order (the dataclass must list `target` first: it has no default)."""
        out = super().to_json()
        head = {k: out.pop(k) for k in ("schema", "schema_version", "tool", "created_utc", "status", "host",
                                         "versions", "model") if k in out}
        return {**head, **out}

    # -- questions every reader asks --------------------------------------------------------------
    @property
    def measured(self) -> bool:
        return self.latency.count > 0

    @property
    def target_id(self) -> str:
        return self.target.id

    @property
    def device_type(self) -> str:
        """The device the run measured: an ort/auto policy's pick when known, else the target's."""
        choice = self.session.policy if self.session else None
        return (choice.device_type if choice and choice.device_type else self.target.device_type) or "CPU"

    def phase(self, phase: Phase) -> PhaseTiming | None:
        return self.phases.get(phase.value)

    def warnings_of(self, *kinds: WarningKind) -> list[RunWarning]:
        return [w for w in self.warnings if w.kind in kinds]

    def warn(self, kind: WarningKind, text: str, *, first: bool = False) -> None:
        w = RunWarning(kind, text)
        self.warnings.insert(0, w) if first else self.warnings.append(w)

    @property
    def nothing_on_accelerator(self) -> bool:
        return bool(self.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR))

    def copy(self) -> RunRecord:
        return RunRecord.from_json(self.to_json())


def check_schema(data: Any, source: str) -> int:
    """The schema version of a parsed record, or a UserError naming `source`."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UserError(f"{source}: not an AI PC Profiler run record.",
                        hint="Pass a file written by `aipcprof run --out`.")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(f"{source}: run record has no valid schema_version.", hint="The file is corrupted.")
    if version > SCHEMA_VERSION:
        raise UserError(f"{source}: run record version {version} is newer than this tool understands "
                        f"({SCHEMA_VERSION}).", hint="Update AI PC Profiler to read it.")
    return version
