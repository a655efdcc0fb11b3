"""What the inference worker tells its parent: one small frozen dataclass per message.

The worker (app.run.worker) sends these over a multiprocessing Pipe; the parent
(app.run.runner.ProfileRun) dispatches on the class. They are plain picklable
data: lists, dicts, numbers, strings and the enums below. Latencies travel as
one `LatencyBatch` per ~25 ms of inference, never one message per inference.

`Phase` (app.record.schema) names the steps of a run; the worker, the runner,
the record's `phases` section, the CLI progress and the GUI all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from app.common.errors import ErrorKind
from app.record.conditions import Conditions, QuietCheck
from app.record.genai_schema import GenAI
from app.record.schema import (
    Accuracy,
    InputInfo,
    ModelInfo,
    OpProfile,
    OutputCheck,
    Phase,
    Placement,
    SessionInfo,
    SteadyState,
    Throughput,
)


@dataclass(frozen=True)
class PhaseStarted:
    """A phase began (for progress: "Compiling... 12 s")."""

    phase: Phase
    t_ns: int  # time.perf_counter_ns() in the worker


@dataclass(frozen=True)
class PhaseEnded:
    """A phase finished; `extra` goes into the record's phase entry (warm-up: {"count": N})."""

    phase: Phase
    t0_ns: int
    t1_ns: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LatencyBatch:
    """A batch of measured inferences: start times and durations in perf_counter ns.

    The worker sends `array("q")`s (pickled as raw bytes, cheap to unpickle in the GUI); any int sequence works."""

    starts_ns: Sequence[int]
    durations_ns: Sequence[int]


@dataclass(frozen=True)
class ModelIdentity:
    """The model's identity for the record (name, sha256, opsets, ...)."""

    value: ModelInfo


@dataclass(frozen=True)
class InputsResolved:
    """The inputs as fed: name, shape, dtype and source of each."""

    value: list[InputInfo]


@dataclass(frozen=True)
class SessionOpened:
    """Session facts (providers, precision, cache, effective options, notes, outputs) and node placement."""

    session: SessionInfo
    placement: Placement | None


@dataclass(frozen=True)
class SteadyReached:
    """--until-steady: the p50 settled; the measured loop stopped early."""

    value: SteadyState


@dataclass(frozen=True)
class RequestsStarted:
    """Throughput mode, before the measured loop: how many requests are in flight and how the engine runs them."""

    value: Throughput


@dataclass(frozen=True)
class OutputChecked:
    """The comparison of each output with ONNX Runtime CPU."""

    value: OutputCheck


@dataclass(frozen=True)
class QuietProgress:
    """--quiet-check: one reading while waiting (`result` set on the last one)."""

    other_cpu: float | None  # share of all CPUs used by other processes over the last step
    waited_s: float
    bound_s: float
    result: QuietCheck | None = None


@dataclass(frozen=True)
class ConditionsMeasured:
    """The counters' view of the measured loop (app.run.conditions.window_section)."""

    value: Conditions


@dataclass(frozen=True)
class OpProfiled:
    """--op-profile: the operator profile from the separate profiling session (app.run.op_profile)."""

    value: OpProfile


@dataclass(frozen=True)
class AccuracyMeasured:
    """aipcprof eval: the accuracy section, scored after the data set ran (app.run.eval_loop)."""

    value: Accuracy


@dataclass(frozen=True)
class GenAIStarted:
    """A generative model's run, before warm-up: its card, the settings as run, the provider (no results yet)."""

    value: GenAI


@dataclass(frozen=True)
class GenerationMeasured:
    """One measured generation (app.run.genai_loop): its moments in the worker's perf_counter ns.

    Its decode steps went out before it as `LatencyBatch`es; `decode_ns` repeats their durations so the
    record can group them by prompt length."""

    prompt_tokens: int
    iteration: int
    t0_ns: int  # before the generator was created
    prefill_t0_ns: int  # append_tokens(prompt)
    prefill_t1_ns: int
    first_token_ns: int  # the first generated token in hand
    last_token_ns: int
    decode_ns: Sequence[int]  # each later token's generate_next_token() + get_next_tokens()
    rss_bytes: int | None  # the worker's resident memory at the last token
    peak_rss_bytes: int | None  # the worker's peak resident memory so far
    text: str  # the generated text (untrusted)


@dataclass(frozen=True)
class GeneratedText:
    """Text generated since the last piece, for the live view (only when a token takes long enough)."""

    prompt_tokens: int
    iteration: int
    text: str
    new_generation: bool = False  # the first piece of a generation


@dataclass(frozen=True)
class WorkerFailed:
    """The run failed in the worker; it exits next. `detail` keeps the last traceback line of an INTERNAL error."""

    message: str
    hint: str
    kind: ErrorKind
    detail: str = ""


@dataclass(frozen=True)
class WorkerDone:
    """The worker finished (completed or cancelled) and exits next."""


WorkerMessage = (PhaseStarted | PhaseEnded | LatencyBatch | ModelIdentity | InputsResolved | SessionOpened
                 | SteadyReached | RequestsStarted | OutputChecked | QuietProgress | ConditionsMeasured | OpProfiled
                 | AccuracyMeasured | GenAIStarted | GenerationMeasured | GeneratedText
                 | WorkerFailed | WorkerDone)
MESSAGE_TYPES: tuple[type, ...] = get_args(WorkerMessage)  # every message class
