"""Parent side of a run: spawn the worker, follow its stream, survive its death.

`ProfileRun` never blocks unless asked: the GUI calls `poll()` from a timer,
the CLI calls `wait()`. Both end with the same run record (app.record.io).

The worker's messages (app.run.messages) fill the record through the
RecordBuilder. What the CLI and the GUI see are `RunEvent`s, one frozen
dataclass per kind, each with typed fields:

    RunPhaseStarted(phase, t_ns)                  a phase began
    RunPhaseEnded(phase, t0_ns, t1_ns)            a phase finished
    RunLatencies(starts_ns, durations_ns)         a batch of inferences (int64 numpy arrays, perf_counter ns)
    RunSettling(other_cpu, waited_s, bound_s)     --quiet-check: other processes' CPU share while waiting
    RunGeneration(prompt_tokens, iteration, ...)  a generative model: one measured generation's moments
    RunText(prompt_tokens, iteration, text, ...)  a generative model: text generated since the last piece
    RunFailed(message, hint, error_kind, phase)   the run failed; RunEnded follows
    RunEnded(record)                              the run record (any status); always the last event

One class per kind (rather than one class with optional fields) so a consumer
matches on the class and reads fields that are always set:
`match ev: case RunLatencies(): live.add(ev.starts_ns, ev.durations_ns)`.
`ev.kind` (a RunEventKind) names the kind for filters and logs. Session facts,
inputs and the output check are not events: they are in the record at the end.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

import numpy as np

from app.common.errors import ErrorKind
from app.model.input_files import check_input_files
from app.record.schema import RunRecord
from app.run import native_log
from app.run.builder import RecordBuilder
from app.run.messages import (
    AccuracyMeasured,
    ConditionsMeasured,
    GenAIStarted,
    GeneratedText,
    GenerationMeasured,
    InputsResolved,
    LatencyBatch,
    ModelIdentity,
    OpProfiled,
    OutputChecked,
    Phase,
    PhaseEnded,
    PhaseStarted,
    QuietProgress,
    RequestsStarted,
    SessionOpened,
    SteadyReached,
    WorkerDone,
    WorkerFailed,
    WorkerMessage,
)
from app.run.runspec import RunSpec
from app.run.worker import worker_main

CANCEL_GRACE_S = 5.0  # after Stop, how long the worker may take to finish its batch
MAX_MESSAGES_PER_POLL = 500  # keep one GUI timer tick short


class RunEventKind(str, Enum):
    PHASE_STARTED = "phase_started"
    PHASE_ENDED = "phase_ended"
    LATENCIES = "latencies"
    SETTLING = "settling"
    GENERATION = "generation"
    TEXT = "text"
    FAILED = "failed"
    ENDED = "ended"

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


@dataclass(frozen=True)
class RunEvent:
    """Base of the events `ProfileRun.poll()` returns."""

    kind: ClassVar[RunEventKind]


@dataclass(frozen=True)
class RunPhaseStarted(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.PHASE_STARTED
    phase: Phase
    t_ns: int  # the worker's perf_counter_ns (same clock as the sampler's)


@dataclass(frozen=True)
class RunPhaseEnded(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.PHASE_ENDED
    phase: Phase
    t0_ns: int
    t1_ns: int

    @property
    def seconds(self) -> float:
        return (self.t1_ns - self.t0_ns) / 1e9


@dataclass(frozen=True)
class RunLatencies(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.LATENCIES
    starts_ns: np.ndarray  # int64
    durations_ns: np.ndarray  # int64


@dataclass(frozen=True)
class RunSettling(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.SETTLING
    other_cpu: float | None  # share of all CPUs other processes used over the last step (None: unknown)
    waited_s: float
    bound_s: float


@dataclass(frozen=True)
class RunGeneration(RunEvent):
    """A generative model's measured generation: prefill and decode, on the worker's perf_counter ns."""

    kind: ClassVar[RunEventKind] = RunEventKind.GENERATION
    prompt_tokens: int
    iteration: int
    t0_ns: int
    prefill_t0_ns: int
    prefill_t1_ns: int
    first_token_ns: int
    last_token_ns: int


@dataclass(frozen=True)
class RunText(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.TEXT
    prompt_tokens: int
    iteration: int
    text: str  # untrusted: shown as plain text
    new_generation: bool


@dataclass(frozen=True)
class RunFailed(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.FAILED
    message: str
    hint: str
    error_kind: ErrorKind
    phase: Phase


@dataclass(frozen=True)
class RunEnded(RunEvent):
    kind: ClassVar[RunEventKind] = RunEventKind.ENDED
    record: RunRecord


class ProfileRun:
    def __init__(self, spec: RunSpec, *, sampler=None, target=None, finish_in_thread: bool = False) -> None:
        """finish_in_thread (the desktop app): the record is built on a helper thread after the worker exits
        (latency statistics, drift analysis and the telemetry summary of a long run take tens to hundreds of
        ms), and a later poll() returns RunEnded; the GUI's event loop keeps turning meanwhile."""
        self.spec = spec.validate()
        # --input files are checked here, in the parent (CLI and desktop app), from their headers
        # only: a file declaring terabytes is refused before a worker is spawned to run out of memory.
        check_input_files(spec.inputs)
        if self.spec.log_path is None:  # each run its own log of native output (app.run.native_log)
            self.spec = dataclasses.replace(self.spec, log_path=native_log.new_log_path())
        self.sampler = sampler
        self.builder = RecordBuilder(self.spec, target=target)
        self._ctx = mp.get_context("spawn")
        self._cancel = self._ctx.Event()
        self._conn = None
        self._proc = None
        self._last_progress = 0.0
        self._phase = Phase.START
        self._cancel_requested_at: float | None = None
        self._ending_since: float | None = None  # worker said done/error; waiting for it to exit
        self.record: RunRecord | None = None
        self._finish_in_thread = finish_in_thread
        self._finishing: tuple[threading.Thread, dict] | None = None  # the record being built off this thread

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=worker_main, args=(self.spec.to_dict(), child, self._cancel, os.getpid()),
                                 name="aipcprof-worker", daemon=True)
        proc.start()
        child.close()  # so the parent sees EOF when the worker dies
        self._attach(parent, proc)

    def _attach(self, conn, proc) -> None:
        """Follow this worker's stream (tests attach a Pipe and a stand-in process here)."""
        self._conn, self._proc = conn, proc
        self._last_progress = time.monotonic()
        self.builder.started(proc.pid)
        if self.sampler is not None:
            self.sampler.set_worker_pid(proc.pid)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def finished(self) -> bool:
        return self.record is not None

    def cancel(self) -> None:
        """Stop: the worker finishes its current inference batch, then exits; the partial record is kept."""
        if self._cancel_requested_at is None and not self.finished and self._finishing is None:
            self._cancel.set()
            self._cancel_requested_at = time.monotonic()
            self.builder.cancelled()

    # -- event pump ------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[RunEvent]:
        if self._finishing is not None:
            return self._collect_record(timeout)
        if self.finished or self._conn is None:
            return []
        if self._ending_since is not None:
            return self._finish_when_exited(timeout)
        events: list[RunEvent] = []
        deadline = time.monotonic() + timeout
        while len(events) < MAX_MESSAGES_PER_POLL:
            wait = max(0.0, deadline - time.monotonic()) if not events else 0.0
            try:
                if not self._conn.poll(wait):
                    break
                msg = self._conn.recv()
            except (EOFError, OSError):
                events.extend(self._on_worker_gone())
                return events
            self._last_progress = time.monotonic()
            events.extend(self._handle(msg))
            if self._ending_since is not None:
                return events + self._finish_when_exited(0.0)
        events.extend(self._check_health())
        return events

    def wait(self, on_event=None, tick: float = 0.1) -> dict:
        """Block until the run ends (CLI). `on_event` sees every event."""
        while not self.finished:
            for ev in self.poll(tick):
                if on_event:
                    on_event(ev)
        return self.record  # type: ignore[return-value]

    def _handle(self, msg: WorkerMessage) -> list[RunEvent]:
        """Apply one worker message to the record; return what the CLI/GUI should see."""
        b = self.builder
        match msg:
            case LatencyBatch():  # the hot path: one per ~25 ms of inference
                starts, durations = np.asarray(msg.starts_ns, np.int64), np.asarray(msg.durations_ns, np.int64)
                b.add_latencies(starts, durations)
                return [RunLatencies(starts, durations)]
            case PhaseStarted():
                self._phase = msg.phase
                return [RunPhaseStarted(msg.phase, msg.t_ns)]
            case PhaseEnded():
                b.phase(msg.phase, msg.t0_ns, msg.t1_ns, msg.extra)
                return [RunPhaseEnded(msg.phase, msg.t0_ns, msg.t1_ns)]
            case ModelIdentity():
                b.set_model(msg.value)
            case InputsResolved():
                b.set_inputs(msg.value)
            case SessionOpened():
                b.set_session(msg.session, msg.placement)
            case SteadyReached():
                b.set_steady(msg.value)
            case RequestsStarted():
                b.set_throughput(msg.value)
            case OutputChecked():
                b.set_output_check(msg.value)
            case ConditionsMeasured():
                b.set_conditions(msg.value)
            case QuietProgress():
                if msg.result is not None:
                    b.set_quiet_check(msg.result)
                return [RunSettling(msg.other_cpu, msg.waited_s, msg.bound_s)]
            case OpProfiled():
                b.set_op_profile(msg.value)
            case AccuracyMeasured():
                b.set_accuracy(msg.value)
            case GenAIStarted():
                b.genai.started(msg.value)
            case GenerationMeasured():
                b.genai.add(msg)
                return [RunGeneration(msg.prompt_tokens, msg.iteration, msg.t0_ns, msg.prefill_t0_ns,
                                      msg.prefill_t1_ns, msg.first_token_ns, msg.last_token_ns)]
            case GeneratedText():
                return [RunText(msg.prompt_tokens, msg.iteration, msg.text, msg.new_generation)]
            case WorkerFailed():
                self._ending_since = time.monotonic()
                return [self._failed(msg.message, msg.hint, msg.kind, detail=msg.detail)]
            case WorkerDone():
                self._ending_since = time.monotonic()
            case _:
                raise TypeError(f"unexpected message from the inference worker: {msg!r}")
        return []

    def _failed(self, message: str, hint: str, kind: ErrorKind, detail: str = "") -> RunFailed:
        self.builder.failed(message, hint, kind, phase=self._phase, detail=detail)
        return RunFailed(message, hint, kind, self._phase)

    def _finish_when_exited(self, timeout: float) -> list[RunEvent]:
        """The worker has reported its end; build the record once it has exited.

        Never blocks longer than `timeout`, so a GUI timer tick stays short while
        the worker tears down its runtimes.
        """
        self._proc.join(timeout)
        if self._proc.is_alive() and time.monotonic() - self._ending_since < CANCEL_GRACE_S:
            return []
        return self._end()

    def _on_worker_gone(self) -> list[RunEvent]:
        """The pipe closed without WorkerDone: the worker crashed (signal or exit code)."""
        self._proc.join(timeout=1.0)
        code = self._proc.exitcode
        if self._cancel_requested_at is not None and code in (-signal.SIGTERM, -signal.SIGINT):
            # Stopped on request: the SIGTERM/Ctrl-C that stopped the CLI reached the worker's process group too.
            return self._end()
        if code is not None and code < 0:
            try:
                cause = f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                cause = f"killed by signal {-code}"
        else:
            cause = f"exited with code {code}"
        failed = self._failed(f"the inference worker {cause} during phase '{self._phase}'.",
                              "A runtime or driver crashed; the partial results are kept. "
                              "Try another target or update the driver.", ErrorKind.WORKER_CRASHED)
        return [failed, *self._end()]

    def _check_health(self) -> list[RunEvent]:
        now = time.monotonic()
        if self._cancel_requested_at is not None and now - self._cancel_requested_at > CANCEL_GRACE_S:
            self._kill()
            return self._end()
        if now - self._last_progress > self.spec.stall_timeout_s:
            self._kill()
            failed = self._failed(
                f"no progress for {self.spec.stall_timeout_s:g} s during phase '{self._phase}'; the worker was stopped.",
                "The runtime may be hung compiling or running; raise --timeout for very large models.",
                ErrorKind.TIMEOUT)
            return [failed, *self._end()]
        return []

    def _kill(self) -> None:
        if self._proc and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=2)

    def _end(self) -> list[RunEvent]:
        """[RunEnded], or [] while the record is built on a helper thread (finish_in_thread)."""
        self._kill()  # no-op when the worker already exited
        if self._conn is not None:
            self._conn.close()
        if not self._finish_in_thread:
            self.record = self.builder.finish(self.sampler)
            return [RunEnded(self.record)]
        done: dict = {}

        def build() -> None:
            try:
                done["record"] = self.builder.finish(self.sampler)
            except BaseException as e:  # noqa: BLE001 - raised again on the polling thread
                done["error"] = e

        thread = threading.Thread(target=build, name="aipcprof-record", daemon=True)
        self._finishing = (thread, done)
        thread.start()
        return []

    def _collect_record(self, timeout: float) -> list[RunEvent]:
        thread, done = self._finishing
        thread.join(timeout)
        if thread.is_alive():
            return []
        self._finishing = None
        if "error" in done:
            raise done["error"]
        self.record = done["record"]
        return [RunEnded(self.record)]

    def close(self) -> None:
        """Make sure no worker outlives its owner (window closed mid-run)."""
        if self._finishing is not None:
            self._collect_record(None)
        if not self.finished:
            self.cancel()
            self._kill()
            if self.record is None:
                self.record = self.builder.finish(self.sampler)
