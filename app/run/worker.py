"""The inference worker: runs in a spawned process, one per run.

It loads the model, creates the session, runs first inference, warm-up and the
measured loop, and streams messages (app.run.messages) to the parent over a Pipe:

    PhaseStarted(phase, t_ns)                    a phase began (for progress)
    PhaseEnded(phase, t0_ns, t1_ns, extra)       a phase finished
    ModelIdentity(value)                         after load: name, sha256, opsets, ...
    InputsResolved(value)                        after load: the inputs as fed
    SessionOpened(value)                         after compile: session facts and placement
    RequestsStarted(value)                       throughput mode: requests in flight, how the engine runs them
    LatencyBatch(starts_ns, durations_ns)        a batch of measured inferences (int64 arrays)
    SteadyReached(value)                         --until-steady: the p50 settled, measuring stopped
    QuietProgress(other_cpu, waited_s, ...)      --quiet-check: a reading while waiting (result on the last)
    ConditionsMeasured(value)                    after measure: other processes' CPU, steal, clocks, throttling
    OutputChecked(value)                         the comparison with ONNX Runtime CPU
    OpProfiled(value)                            --op-profile: the operator profile (OpProfile)
    WorkerFailed(message, hint, kind, detail)    the run failed (kind: ErrorKind); the last message
    WorkerDone()                                 completed or cancelled; the last message

The phases, in this order: load, compile, first_inference, settle (only with
quiet_check_s), warmup, measure, output_check (only with check_outputs), and
op_profile (only with --op-profile: a separate session with the runtime's
profiler on, after the timed session is closed; app.run.op_profile).
`Phase.START` is the parent's
state before the first of them, never sent.

A vendor driver that segfaults or hangs takes down this process only; the
parent reports it and keeps what was streamed so far. Latencies are streamed
in batches (~33 ms each), never one message per inference.

The worker never outlives its parent: a watchdog thread notices the parent is
gone (killed, crashed) within PARENT_POLL_S, and a send on the broken pipe ends
the worker at once; either way it exits quietly, with no traceback.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import time
import traceback
from array import array
from collections import deque
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from app.common.errors import ErrorKind, UserError
from app.probes.conditions import ConditionsMeter, load_between
from app.record.schema import (
    InputInfo,
    ModelInfo,
    OutputCheck,
    Placement,
    RunMode,
    SessionInfo,
    SteadyState,
    Throughput,
)
from app.record.selection import CompiledModelInfo, PolicyChoiceInfo
from app.record.typed import to_json
from app.run import native_log
from app.run.conditions import wait_until_quiet, window_section
from app.run.messages import (
    AccuracyMeasured,
    ConditionsMeasured,
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
)
from app.run.runspec import RunSpec

BATCH_SECONDS = 0.02  # wall time one LatencyBatch covers: ~50 batches/s aimed, so a 30+ Hz chart has new points each frame even when the worker is preempted (0.025 gave 28-39 batches/s at 100k inferences/s)
MAX_BATCH = 8192
PARENT_POLL_S = 0.2  # how often the watchdog looks for the parent
PARENT_GONE_EXIT = 0  # nobody is left to read the exit status
RECENT_FOR_PROFILE = 1000  # --op-profile: measured durations kept to size the profiling pass


class _Cancelled(Exception):
    pass


class _Pipe:
    """The worker's end of the pipe: a send to a parent that is gone ends the worker quietly."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def send(self, msg) -> None:
        try:
            self._conn.send(msg)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            _exit_quietly()

    def close(self) -> None:
        try:
            self._conn.close()
        except OSError:
            pass


def _exit_quietly() -> None:
    """The parent is gone: no one reads a message, a record or a traceback. Leave now.

    os._exit, not sys.exit: a runtime thread (ORT, OpenVINO) must not keep the
    process alive, and unwinding through native code could print.
    """
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(PARENT_GONE_EXIT)


def _parent_check(parent_pid: int):
    """A callable that says whether the parent still runs."""
    if os.name == "posix":
        return lambda: os.getppid() == parent_pid  # an orphan is re-parented (to init or a subreaper)
    import psutil  # Windows keeps the old ppid: watch that process, by pid and start time (pids are reused)

    try:
        created = psutil.Process(parent_pid).create_time()
    except psutil.Error:
        return lambda: False

    def alive() -> bool:
        try:
            return psutil.Process(parent_pid).create_time() == created
        except psutil.Error:
            return False

    return alive


def _watch_parent(parent_pid: int) -> threading.Thread:
    """A daemon thread that ends the worker within PARENT_POLL_S of its parent's death."""
    alive = _parent_check(parent_pid)

    def watch() -> None:
        while alive():
            time.sleep(PARENT_POLL_S)
        _exit_quietly()

    thread = threading.Thread(target=watch, name="aipcprof-parent-watch", daemon=True)
    thread.start()
    return thread


def worker_main(spec_dict: dict, conn: Connection, cancel_event, parent_pid: int | None = None) -> None:
    """Entry point of the spawned process; `parent_pid`: the process it must not outlive (default: its parent)."""
    # The parent owns Ctrl-C: it sets cancel_event so the partial record is kept.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Native runtimes print banners and warnings on fds 1 and 2: into the run's log, off the terminal.
    if not native_log.redirect(spec_dict.get("log_path")):
        os.dup2(2, 1)  # no log file: at least keep stdout for the CLI's own output (--json)
    _watch_parent(parent_pid or os.getppid())
    from app.engines.ort_compat import fresh_process

    fresh_process()  # no session yet: a compiled model's compatibility check may run in this process
    pipe = _Pipe(conn)
    try:
        _Worker(RunSpec.from_dict(spec_dict), pipe, cancel_event, parent_pid or os.getppid()).run()
        pipe.send(WorkerDone())
    except _Cancelled:
        pipe.send(WorkerDone())
    except Exception as e:  # MemoryError included
        pipe.send(_failure(e))
    finally:
        pipe.close()


def _failure(error: Exception) -> WorkerFailed:
    """A UserError keeps its message and hint; anything else is a bug or an unexpected runtime failure."""
    kind = ErrorKind.of(error)
    if isinstance(error, UserError):
        return WorkerFailed(error.message, error.hint, kind)
    if kind is ErrorKind.OUT_OF_MEMORY:
        return WorkerFailed("out of memory in the worker.", "Try a smaller input shape or another target.", kind)
    last = traceback.format_exc().strip().splitlines()[-1]
    return WorkerFailed(f"{error.__class__.__name__}: {error}".strip(), "", kind,
                        detail=last if kind is ErrorKind.INTERNAL else "")


class _Worker:
    def __init__(self, spec: RunSpec, conn: _Pipe, cancel_event, parent_pid: int | None = None) -> None:
        self.spec = spec
        self.conn = conn
        self.cancel = cancel_event
        self.parent_pid = parent_pid
        # --op-profile: the last measured durations (ns), to size the profiling pass from their median
        self.recent: deque[int] | None = deque(maxlen=RECENT_FOR_PROFILE) if spec.op_profile else None

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise _Cancelled

    def _phase(self, phase: Phase, fn, extra: dict | None = None) -> Any:
        self.conn.send(PhaseStarted(phase, time.perf_counter_ns()))
        t0 = time.perf_counter_ns()
        value = fn()
        t1 = time.perf_counter_ns()
        self.conn.send(PhaseEnded(phase, t0, t1, extra or {}))
        self._check_cancel()
        return value

    def run(self) -> None:
        from app.engines.base import SessionSettings
        from app.engines.registry import engine_for, find_target
        from app.run.prepare import prepare_run

        spec = self.spec
        if spec.genai_spec is not None:  # a generative model folder: prompts and generations, not inferences
            from app.engines.ov_genai_engine import is_ov_genai_target
            from app.run.genai_loop import GenAIRun
            from app.run.ov_genai_loop import OVGenAIRun

            (OVGenAIRun if is_ov_genai_target(spec.target_id) else GenAIRun)(self).run()
            return
        prepared = self._phase(Phase.LOAD, lambda: prepare_run(spec))
        self.conn.send(ModelIdentity(ModelInfo.from_json(to_json(prepared.model_identity), "model")))
        self.conn.send(InputsResolved([InputInfo.from_json(to_json(i), "inputs") for i in prepared.inputs_summary()]))
        target = find_target(spec.target_id)
        settings = SessionSettings(
            ep_options=dict(spec.ep_options), strict=spec.strict, threads=spec.threads,
            dim_overrides=prepared.dim_overrides, input_shapes=prepared.input_shapes, cache_dir=spec.cache_dir,
            guessed_dims=prepared.guessed, quant_label=prepared.quant_label,
            throughput=spec.mode is RunMode.THROUGHPUT, requests=spec.requests,
        )

        def compile_session():  # in throughput mode the requests are set up here too (a session each, maybe)
            session = engine_for(target).open(spec.model_path, target, settings)
            return session, session.request_pool(prepared.feeds, spec.io_binding) if settings.throughput else None

        session, pool = self._phase(Phase.COMPILE, compile_session)
        self.conn.send(_session_opened(session))
        outputs = self._phase(Phase.FIRST_INFERENCE, lambda: session.run(prepared.feeds))
        meter = ConditionsMeter(profiler_pid=self.parent_pid)
        if spec.quiet_check_s:
            self._phase(Phase.SETTLE, lambda: self._settle(meter))
        if pool is not None:
            self._in_flight(pool, meter)
        else:
            runner = session.make_runner(prepared.feeds, io_binding=spec.io_binding)
            self._phase(Phase.WARMUP, lambda: self._warmup(runner), {"count": spec.warmup})
            self._latency_loop(session, runner, meter)
        if spec.check_outputs:
            compiled = session.facts.compiled
            check = self._phase(Phase.OUTPUT_CHECK, lambda: _output_check(spec, target, prepared, outputs, compiled))
            self.conn.send(OutputChecked(OutputCheck.from_json(to_json(check), "output_check")))
        session.close()
        if spec.op_profile:
            p50 = float(np.median(self.recent)) / 1e9 if self.recent else None
            # sent inside the phase: a cancel during the pass still delivers the profile's reason
            self._phase(Phase.OP_PROFILE, lambda: self.conn.send(OpProfiled(
                _op_profile(spec, target, settings, prepared, p50, self.cancel.is_set))))

    def _settle(self, meter: ConditionsMeter) -> None:
        """--quiet-check: wait (bounded) for other processes to quieten; every reading goes to the parent."""
        bound = float(self.spec.quiet_check_s)
        result = wait_until_quiet(meter, bound, cancelled=self.cancel.is_set,
                                  progress=lambda level, waited: self.conn.send(QuietProgress(level, waited, bound)))
        self.conn.send(QuietProgress(result.other_cpu, result.waited_s, bound, result))

    def _latency_loop(self, session, runner, meter: ConditionsMeter) -> None:
        """Latency mode: the measured loop, or with `aipcprof eval` the data set as the measured loop."""
        evaluation = _evaluation(self.spec, self.conn, self.cancel.is_set)
        if evaluation is None:
            self._measured(meter, lambda: self._measure(runner))
            return
        self._phase(Phase.DATA, lambda: evaluation.read_ahead(session))
        self._measured(meter, lambda: evaluation.measure(session))
        # a stopped eval ends above (_Cancelled): its latencies are kept, not scored
        self._phase(Phase.SCORE, lambda: self.conn.send(AccuracyMeasured(evaluation.score(session.output_names()))))

    def _measured(self, meter: ConditionsMeter, measure) -> None:
        """The measure phase, with the machine's load counted around it (app.run.conditions)."""
        before = meter.snapshot()
        try:
            self._phase(Phase.MEASURE, measure)
        finally:  # a stopped run keeps its conditions too
            self.conn.send(ConditionsMeasured(window_section(load_between(before, meter.snapshot()))))

    def _in_flight(self, pool, meter: ConditionsMeter) -> None:
        """Throughput mode: warm-up and the measured window with the pool's requests in flight."""
        from app.run import in_flight

        self.conn.send(RequestsStarted(_throughput_setup(pool.info)))
        spec = self.spec
        self._phase(Phase.WARMUP, lambda: in_flight.warm_up(pool, spec.warmup, self.cancel.is_set, BATCH_SECONDS),
                    {"count": spec.warmup})
        steady = _SteadyWatch(spec.until_steady) if spec.until_steady else None

        def on_batch(starts: list[int], durations: list[int]) -> bool:
            self.conn.send(LatencyBatch(starts, durations))
            if self.recent is not None:
                self.recent.extend(durations)
            if steady is not None and steady.update(durations):
                self.conn.send(SteadyReached(SteadyState.from_json(steady.summary(), "steady_state")))
                return True
            return self.cancel.is_set()  # keep what was measured; the parent marks the run cancelled

        self._measured(meter, lambda: in_flight.measure(pool, spec.iterations, spec.duration_s, on_batch,
                                                        BATCH_SECONDS))
        pool.close()

    def _warmup(self, runner) -> None:
        for _ in range(self.spec.warmup):
            runner()
            self._check_cancel()

    def _measure(self, runner) -> None:
        """The measured loop: two clock reads around each call, nothing else inside."""
        clock = time.perf_counter_ns
        remaining = self.spec.iterations
        deadline = None if self.spec.duration_s is None else clock() + int(self.spec.duration_s * 1e9)
        steady = _SteadyWatch(self.spec.until_steady) if self.spec.until_steady else None
        batch = 1
        while True:
            n = batch if remaining is None else min(batch, remaining)
            starts = [0] * n
            ends = [0] * n
            for i in range(n):
                starts[i] = clock()
                runner()
                ends[i] = clock()
            durations = [e - s for s, e in zip(starts, ends)]
            # int64 arrays pickle as bytes: the GUI unpickles a 4,000-inference batch in ~7 us, not ~230 us
            self.conn.send(LatencyBatch(array("q", starts), array("q", durations)))
            if self.recent is not None:
                self.recent.extend(durations)
            if remaining is not None:
                remaining -= n
                if remaining <= 0:
                    return
            if deadline is not None and ends[-1] >= deadline:
                return
            if self.cancel.is_set():
                return  # keep what was measured; the parent marks the run cancelled
            if steady is not None and steady.update(durations):
                self.conn.send(SteadyReached(SteadyState.from_json(steady.summary(), "steady_state")))
                return
            # Size the next batch to cover ~BATCH_SECONDS of wall time: the loop's own cost (two clock reads,
            # two stores) is larger than a 5 us inference, so sizing on inference time alone made the batches
            # of a tiny model ~2x longer than meant (18 batches/s, not 30).
            wall_per_inference = max(1, (ends[-1] - starts[0]) // n)
            batch = max(1, min(MAX_BATCH, int(BATCH_SECONDS * 1e9 // wall_per_inference)))


class _SteadyWatch:
    """--until-steady: stop once the p50 of the recent samples is known to within rel_ci."""

    WINDOW = 2000  # recent samples judged; a drifting p50 keeps the interval wide
    MIN_SAMPLES = 100

    def __init__(self, rel_ci: float) -> None:
        from collections import deque

        self.rel_ci = rel_ci
        self.recent: deque[int] = deque(maxlen=self.WINDOW)
        self.count = 0
        self.t0 = time.perf_counter()

    def update(self, durations: list[int]) -> bool:
        from app.run.sustained import is_steady

        self.recent.extend(durations)
        self.count += len(durations)
        if self.count < self.MIN_SAMPLES:
            return False
        return is_steady(np.fromiter(self.recent, np.int64, len(self.recent)) / 1e9, self.rel_ci)

    def summary(self) -> dict:
        return {"reached": True, "rel_ci": self.rel_ci, "after_inferences": self.count,
                "after_s": time.perf_counter() - self.t0}


def _evaluation(spec: RunSpec, conn: _Pipe, cancelled):
    from app.run.eval_loop import Evaluation

    return Evaluation(spec, conn, cancelled) if spec.eval_spec else None


def _op_profile(spec: RunSpec, target, settings, prepared, p50_s: float | None, stop):
    """The operator profile, from a separate session after the timed loop; a failure is the section's reason."""
    from app.record.schema import OpProfile
    from app.run.op_profile import run_pass, runs_for

    try:
        # one request at a time whatever the run's mode: a per-operator breakdown of one inference
        settings = dataclasses.replace(settings, throughput=False, requests=None)
        return run_pass(spec.model_path, target, settings, prepared.feeds, io_binding=spec.io_binding,
                        runs=runs_for(p50_s), keep_dir=spec.profile_dir, stop=stop)
    except Exception as e:  # noqa: BLE001 - profiling must never cost the user the run they measured
        return OpProfile(available=False, reason=f"the profiling pass failed: {e.__class__.__name__}: {e}")
def _throughput_setup(info) -> Throughput:
    """The engine's RequestPoolInfo as the record's throughput section (the rate is filled in by the parent)."""
    return Throughput(concurrency=info.concurrency, requests=info.requests, requests_source=info.requests_source,
                      streams=info.streams, threads=info.threads, engine_settings=dict(info.engine_settings))


def _session_opened(session) -> SessionOpened:
    facts = session.facts
    info = SessionInfo(providers=list(facts.providers), precision=facts.precision or "", cache=facts.cache,
                       effective_options=dict(facts.effective_options), notes=list(facts.notes),
                       outputs=session.output_names())
    info.policy = PolicyChoiceInfo.from_json(to_json(asdict(facts.policy)), "policy") if facts.policy else None
    info.compiled = CompiledModelInfo.from_json(to_json(asdict(facts.compiled)), "compiled") if facts.compiled else None
    placement = Placement.from_json(to_json(session.placement.to_dict()), "placement") if session.placement else None
    return SessionOpened(info, placement)


def _output_check(spec: RunSpec, target, prepared, outputs: list[np.ndarray], compiled=None) -> dict:
    """Compare each output with ONNX Runtime CPU on the same inputs (a compiled model has no CPU reference)."""
    from app.engines.base import SessionSettings
    from app.engines.registry import engine_for, find_target
    from app.run.output_check import compare_arrays

    if target.id == "ort/cpu":
        return {"reference": "ort/cpu", "skipped": "this run is the reference (ort/cpu)", "outputs": []}
    if compiled is not None:
        return {"reference": "ort/cpu", "outputs": [], "skipped": f"the model is compiled for {', '.join(compiled.eps)} "
                "(EP context), which the CPU EP cannot run: check the uncompiled model's outputs instead"}
    try:
        ref_target = find_target("ort/cpu")
        settings = SessionSettings(dim_overrides=prepared.dim_overrides, input_shapes=prepared.input_shapes)
        ref = engine_for(ref_target).open(spec.model_path, ref_target, settings)
        expected = ref.run(prepared.feeds)
        names = ref.output_names()
        ref.close()
    except UserError as e:
        return {"reference": "ort/cpu", "skipped": f"reference run failed: {e}", "outputs": []}
    return {"reference": "ort/cpu", "outputs": [compare_arrays(n, o, r) for n, o, r in zip(names, outputs, expected)]}
