"""The worker -> parent protocol without a real worker: messages pickle, and ProfileRun handles each one."""

from __future__ import annotations

import json
import multiprocessing as mp
import pickle
import re

import numpy as np
import pytest

from app.common.errors import ErrorKind, InputSpecError, ModelError, UserError
from app.common.modes import Concurrency
from app.record import io as rec
from app.record.accuracy_schema import Accuracy, ClassificationMetrics, Task
from app.record.conditions import Conditions, CpuShare, QuietCheck
from app.record.genai_schema import GenAI, GenAISettings
from app.record.ops import complete
from app.record.schema import (
    InputInfo,
    ModelInfo,
    OpNodeTime,
    OpProfile,
    OutputCheck,
    PhaseTiming,
    RunError,
    RunWarning,
    SessionInfo,
    SteadyState,
    Throughput,
    WarningKind,
)
from app.run import worker
from app.run.messages import (
    MESSAGE_TYPES,
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
)
from app.run.runner import (
    ProfileRun,
    RunEnded,
    RunEventKind,
    RunFailed,
    RunGeneration,
    RunLatencies,
    RunPhaseEnded,
    RunPhaseStarted,
    RunSettling,
    RunText,
)
from app.run.runspec import RunSpec

SAMPLES = {
    PhaseStarted: PhaseStarted(Phase.LOAD, 123),
    PhaseEnded: PhaseEnded(Phase.WARMUP, 100, 200, {"count": 3}),
    LatencyBatch: LatencyBatch([1_000, 2_000], [400, 500]),
    ModelIdentity: ModelIdentity(ModelInfo(name="m", sha256="ab" * 32, opsets={"ai.onnx": 17})),
    InputsResolved: InputsResolved([InputInfo(name="x", dtype="float32", shape=[1, 3], source="synthetic")]),
    SessionOpened: SessionOpened(SessionInfo(providers=["CPUExecutionProvider"], precision="fp32"), None),
    SteadyReached: SteadyReached(SteadyState(reached=True, rel_ci=0.05, after_inferences=100, after_s=0.1)),
    RequestsStarted: RequestsStarted(Throughput(concurrency=Concurrency.ASYNC_QUEUE, requests=4, streams=2)),
    OutputChecked: OutputChecked(OutputCheck(reference="ort/cpu")),
    QuietProgress: QuietProgress(0.02, 2.5, 30.0, QuietCheck(30.0, 2.5, True, 0.02)),
    ConditionsMeasured: ConditionsMeasured(Conditions(window_s=1.0, other_cpu=CpuShare(0.4), worker_cpu=CpuShare(0.5))),
    OpProfiled: OpProfiled(OpProfile(available=False, reason="the onnxruntime engine gives no per-operator data")),
    WorkerFailed: WorkerFailed("ValueError: boom", "", ErrorKind.INTERNAL, detail="ValueError: boom"),
    AccuracyMeasured: AccuracyMeasured(Accuracy(Task.AGREEMENT, notes=["a note"])),
    GenAIStarted: GenAIStarted(GenAI(settings=GenAISettings(prompt_tokens=[16], gen_tokens=4), provider="cpu")),
    GenerationMeasured: GenerationMeasured(16, 0, 100, 110, 150, 160, 190, [10, 10, 10], 1 << 20, 2 << 20, "tiny"),
    GeneratedText: GeneratedText(16, 0, "tiny", new_generation=True),
    WorkerDone: WorkerDone(),
}


def test_samples_cover_every_message_type():
    assert set(SAMPLES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("message", SAMPLES.values(), ids=lambda m: type(m).__name__)
def test_message_pickles_round_trip(message):
    back = pickle.loads(pickle.dumps(message))
    assert type(back) is type(message) and back == message
    for name in ("phase", "kind"):  # enums come back as the same member, not as a plain str
        if hasattr(message, name):
            assert getattr(back, name) is getattr(message, name)


def test_messages_cross_a_pipe():
    parent, child = mp.Pipe(duplex=False)
    for message in SAMPLES.values():
        child.send(message)
    assert [parent.recv() for _ in SAMPLES] == list(SAMPLES.values())


def test_messages_are_frozen():
    with pytest.raises(AttributeError):
        SAMPLES[PhaseStarted].t_ns = 0  # type: ignore[misc]


def test_phase_prints_its_value():
    assert f"[{Phase.FIRST_INFERENCE}]" == "[first_inference]" and str(Phase.MEASURE) == "measure"
    assert Phase.MEASURE == "measure" and {"measure": 1}[Phase.MEASURE] == 1
    assert json.dumps({Phase.LOAD: Phase.LOAD}) == '{"load": "load"}'


# -- the parent side, fed by hand -------------------------------------------
class _StandInWorker:
    """Plays the worker process: already exited with `exitcode`."""

    pid = 4242

    def __init__(self, exitcode: int = 0) -> None:
        self.exitcode = exitcode

    def join(self, timeout=None) -> None:
        pass

    def is_alive(self) -> bool:
        return False


def _feed(messages: list, *, exitcode: int = 0, **spec) -> tuple[list, dict]:
    """Send `messages` down a real Pipe (then close it) and pump ProfileRun until it ends."""
    run = ProfileRun(RunSpec(model_path="m.onnx", target_id="ort/cpu", **spec))
    parent, child = mp.Pipe(duplex=False)
    run._attach(parent, _StandInWorker(exitcode))
    for m in messages:
        child.send(m)
    child.close()
    events: list = []
    while not run.finished:
        events += run.poll(0.1)
    assert run.poll(0.1) == []  # nothing after the end
    return events, run.record


FULL_RUN = [
    PhaseStarted(Phase.LOAD, 10), PhaseEnded(Phase.LOAD, 10, 20),
    ModelIdentity(ModelInfo(name="m", sha256="cd" * 32)),
    InputsResolved([InputInfo(name="x", dtype="float32", shape=[1, 3], source="synthetic (seed 0)")]),
    PhaseStarted(Phase.COMPILE, 30), PhaseEnded(Phase.COMPILE, 30, 40),
    SessionOpened(SessionInfo(providers=["CPUExecutionProvider"], precision="fp32", cache="n/a",
                              notes=["a session note"], outputs=["y"]), None),
    PhaseStarted(Phase.FIRST_INFERENCE, 50), PhaseEnded(Phase.FIRST_INFERENCE, 50, 60),
    PhaseStarted(Phase.SETTLE, 61), QuietProgress(0.30, 0.5, 30.0),
    QuietProgress(0.01, 2.5, 30.0, QuietCheck(30.0, 2.5, True, 0.01)), PhaseEnded(Phase.SETTLE, 61, 65),
    PhaseStarted(Phase.WARMUP, 70), PhaseEnded(Phase.WARMUP, 70, 80, {"count": 2}),
    PhaseStarted(Phase.MEASURE, 90),
    RequestsStarted(Throughput(concurrency=Concurrency.THREADS_ONE_SESSION, requests=1, requests_source="--requests")),
    LatencyBatch([1_000_000, 2_000_000, 3_000_000], [900_000, 950_000, 1_000_000]),
    LatencyBatch([4_000_000, 5_000_000], [1_100_000, 1_200_000]),
    SteadyReached(SteadyState(reached=True, rel_ci=0.05, after_inferences=5, after_s=0.01)),
    PhaseEnded(Phase.MEASURE, 90, 6_000_000),
    ConditionsMeasured(Conditions(window_s=0.006, other_cpu=CpuShare(0.4), worker_cpu=CpuShare(0.5),
                                  steal=CpuShare(None, "no steal column"))),
    PhaseStarted(Phase.OUTPUT_CHECK, 6_000_010), PhaseEnded(Phase.OUTPUT_CHECK, 6_000_010, 6_000_020),
    OutputChecked(OutputCheck(reference="ort/cpu", skipped="this run is the reference (ort/cpu)")),
    PhaseStarted(Phase.OP_PROFILE, 6_000_030), PhaseEnded(Phase.OP_PROFILE, 6_000_030, 6_000_040),
    OpProfiled(complete(OpProfile(available=True, runs_profiled=2, sum_of_ops_p50_s=0.0009, nodes=[
        OpNodeTime(name="add", op_type="Add", device="CPU", calls=2, total_s=0.0018)]))),
    PhaseStarted(Phase.SCORE, 6_000_050), PhaseEnded(Phase.SCORE, 6_000_050, 6_000_060),
    AccuracyMeasured(Accuracy(Task.CLASSIFICATION, classification=ClassificationMetrics(samples=5, top1=0.8))),
    WorkerDone(),
]


GENAI_RUN = [
    PhaseStarted(Phase.LOAD, 10), PhaseEnded(Phase.LOAD, 10, 20),
    GenAIStarted(GenAI(settings=GenAISettings(prompt_tokens=[16, 64], gen_tokens=4, iterations=2), provider="cpu")),
    PhaseStarted(Phase.MEASURE, 90),
    LatencyBatch([1_000, 2_000, 3_000], [500, 600, 700]),
    GeneratedText(16, 0, "one", new_generation=True),
    # setup 10 ns, prefill 40 ns, first token 10 ns after it; decode 500+600+700 ns over a 3,000 ns window
    GenerationMeasured(16, 0, 100, 110, 150, 160, 3_160, [500, 600, 700], 1 << 20, 3 << 20, "one"),
    GenerationMeasured(16, 1, 4_000, 4_010, 4_070, 4_080, 7_080, [600, 600, 600], 2 << 20, 3 << 20, "two"),
    PhaseEnded(Phase.MEASURE, 90, 8_000),
    WorkerDone(),
]


def test_genai_run_messages():
    """Generations become RunGeneration/RunText events and, per prompt length, the genai section's figures."""
    events, record = _feed(GENAI_RUN)
    gens = [e for e in events if isinstance(e, RunGeneration)]
    assert [(g.prompt_tokens, g.iteration, g.prefill_t1_ns) for g in gens] == [(16, 0, 150), (16, 1, 4_070)]
    assert [e.text for e in events if isinstance(e, RunText)] == ["one"]
    g = record.genai
    assert [r.prompt_tokens for r in g.results] == [16]  # 64 never ran: said so, not shown as 0
    assert g.notes == ["no measured generation at prompt length 64 (the run ended first)"]
    r = g.results[0]
    assert r.generations == 2 and r.decode_steps == 6
    assert list(r.prefill_s) == pytest.approx([40e-9, 60e-9]) and r.prefill_median_s == pytest.approx(50e-9)
    assert r.prompt_tokens_per_s == pytest.approx(16 / 50e-9)
    assert list(r.ttft_s) == pytest.approx([60e-9, 80e-9]) and r.ttft_median_s == pytest.approx(70e-9)
    assert r.decode_p50_s == pytest.approx(600e-9)
    assert r.decode_tokens_per_s == pytest.approx(6 / 6_000e-9)  # steps over the two 3,000 ns windows
    assert r.rss_bytes == 2 << 20 and g.peak_rss_bytes == 3 << 20
    assert r.energy_j_per_token is None and r.energy_reason == "no telemetry for this run (no sampler)"
    assert g.sample_text == "two"
    assert record.latency.count == 3  # the streamed decode steps are the run's latency samples
    back = rec.parse(json.loads(json.dumps(record.to_json())), "genai.json")  # the section survives the file
    assert back.genai.results[0].decode_tokens_per_s == pytest.approx(r.decode_tokens_per_s)
    assert list(back.genai.results[0].ttft_s) == pytest.approx(list(r.ttft_s))


def test_runner_handles_every_message_type():
    genai = {GenAIStarted, GenerationMeasured, GeneratedText}  # a generative run: test_genai_run_messages below
    assert {type(m) for m in FULL_RUN} == set(MESSAGE_TYPES) - {WorkerFailed} - genai  # WorkerFailed: tests below
    events, record = _feed(FULL_RUN, until_steady=0.05, op_profile=True)
    assert record.status == "completed" and record.error is None
    # phases: in run order, plain str keys (JSON-ready), extra kept
    assert list(record.phases) == ["load", "compile", "first_inference", "settle", "warmup", "measure",
                                   "output_check", "op_profile", "score"]
    assert all(type(k) is str for k in record.phases)
    assert record.phases["warmup"] == PhaseTiming(seconds=1e-8, t0_ns=70, t1_ns=80, count=2)
    assert record.model.name == "m" and record.model.path == "m.onnx"
    assert record.inputs[0].shape == [1, 3]
    assert record.precision == "fp32" and record.session.outputs == ["y"]
    assert RunWarning(WarningKind.ENGINE_NOTE, "a session note") in record.warnings
    assert record.latency.count == 5 and record.latency.t0_ns == 1_000_000
    assert record.latency.max == pytest.approx(1.2e-3)
    assert record.steady_state.reached and record.steady_state.after_inferences == 5
    assert record.output_check.reference == "ort/cpu"
    # the op profile's gap is taken against the timed p50 (1.0 ms) when the record is finished
    assert record.op_profile.inference_s == pytest.approx(1e-3) and record.op_profile.gap_s == pytest.approx(1e-4)
    assert record.worker_pid == 4242
    assert record.accuracy.classification.top1 == 0.8 and record.accuracy.headline == ("top-1", 0.8)
    assert record.conditions.other_cpu.value == 0.4 and record.conditions.steal.reason == "no steal column"
    assert record.conditions.quiet_check == QuietCheck(30.0, 2.5, True, 0.01)
    assert [w.kind for w in record.warnings_of(WarningKind.BUSY_MACHINE)] == [WarningKind.BUSY_MACHINE]
    rec.dumps(record)  # the record is plain data

    # events: phases, latency batches, then the end; nothing for session facts (they are in the record)
    kinds = [type(e) for e in events]
    assert kinds.count(RunPhaseStarted) == kinds.count(RunPhaseEnded) == 9
    assert kinds.count(RunLatencies) == 2 and kinds[-1] is RunEnded and kinds.count(RunEnded) == 1
    assert set(kinds) == {RunPhaseStarted, RunPhaseEnded, RunLatencies, RunSettling, RunEnded}
    assert [(e.other_cpu, e.waited_s, e.bound_s) for e in events if isinstance(e, RunSettling)] == [
        (0.30, 0.5, 30.0), (0.01, 2.5, 30.0)]
    assert [e.phase for e in events if isinstance(e, RunPhaseStarted)] == [
        Phase.LOAD, Phase.COMPILE, Phase.FIRST_INFERENCE, Phase.SETTLE, Phase.WARMUP, Phase.MEASURE,
        Phase.OUTPUT_CHECK, Phase.OP_PROFILE, Phase.SCORE]
    first = next(e for e in events if isinstance(e, RunLatencies))
    assert first.kind is RunEventKind.LATENCIES and first.durations_ns.dtype == np.int64
    assert first.starts_ns.tolist() == [1_000_000, 2_000_000, 3_000_000]
    warmup = next(e for e in events if isinstance(e, RunPhaseEnded) and e.phase is Phase.WARMUP)
    assert warmup.kind is RunEventKind.PHASE_ENDED and warmup.seconds == pytest.approx(1e-8)
    assert events[-1].record is record


@pytest.mark.parametrize(("kind", "detail"), [(ErrorKind.MODEL, ""), (ErrorKind.INPUT_SPEC, ""),
                                              (ErrorKind.OUT_OF_MEMORY, ""),
                                              (ErrorKind.INTERNAL, "ValueError: boom")])
def test_runner_reports_worker_failure(kind, detail):
    events, record = _feed([PhaseStarted(Phase.LOAD, 1), WorkerFailed("it failed.", "fix it", kind, detail)])
    failed, ended = events[-2:]
    assert isinstance(failed, RunFailed) and isinstance(ended, RunEnded)
    assert failed.kind is RunEventKind.FAILED
    assert (failed.message, failed.hint, failed.error_kind, failed.phase) == ("it failed.", "fix it", kind, Phase.LOAD)
    assert record.status == "failed"
    assert record.error == RunError(message="it failed.", hint="fix it", kind=kind, phase="load", detail=detail)
    assert ErrorKind.parse(record.to_json()["error"]["kind"]) is kind


def test_op_profile_asked_for_but_never_reached_says_why():
    _, record = _feed([PhaseStarted(Phase.LOAD, 1), WorkerFailed("it failed.", "", ErrorKind.MODEL)], op_profile=True)
    assert record.op_profile.available is False
    assert record.op_profile.reason == "the run ended (failed) before the operator-profile pass"
    _, plain = _feed([PhaseStarted(Phase.LOAD, 1), WorkerFailed("it failed.", "", ErrorKind.MODEL)])
    assert plain.op_profile is None  # not asked for: no section


def test_runner_reports_a_crash_when_the_pipe_closes_early():
    events, record = _feed([PhaseStarted(Phase.LOAD, 1), PhaseEnded(Phase.LOAD, 1, 2),
                            PhaseStarted(Phase.MEASURE, 3), LatencyBatch([10], [5])], exitcode=-9)
    failed = next(e for e in events if isinstance(e, RunFailed))
    assert failed.error_kind is ErrorKind.WORKER_CRASHED and failed.phase is Phase.MEASURE
    assert "SIGKILL" in failed.message and "'measure'" in failed.message
    assert record.error.kind == "WorkerCrashed" and record.error.phase == "measure"
    assert record.latency.count == 1  # streamed before the crash: kept
    assert isinstance(events[-1], RunEnded)


def test_crash_before_the_first_phase_is_in_phase_start():
    events, record = _feed([], exitcode=1)
    assert record.error.phase == "start" and "exited with code 1" in record.error.message
    assert [type(e) for e in events] == [RunFailed, RunEnded]


def test_runner_rejects_an_unknown_message():
    run = ProfileRun(RunSpec(model_path="m.onnx", target_id="ort/cpu"))
    with pytest.raises(TypeError, match="unexpected message"):
        run._handle(("lat", [1], [2]))  # the old tuple protocol is gone


# -- what the worker sends when it fails -------------------------------------
def _failure_of(error: Exception) -> WorkerFailed:
    try:
        raise error
    except Exception as e:  # noqa: BLE001 - _failure reads the exception being handled
        return worker._failure(e)


@pytest.mark.parametrize(("error", "kind"), [(UserError("u.", hint="h"), ErrorKind.USER),
                                             (ModelError("m.", hint="h"), ErrorKind.MODEL),
                                             (InputSpecError("i.", hint="h"), ErrorKind.INPUT_SPEC)])
def test_worker_failure_of_user_error(error, kind):
    failed = _failure_of(error)
    assert (failed.message, failed.hint, failed.kind, failed.detail) == (error.message, "h", kind, "")
    assert kind.is_bad_input


def test_worker_failure_of_memory_error():
    failed = _failure_of(MemoryError())
    assert failed.kind is ErrorKind.OUT_OF_MEMORY and "out of memory" in failed.message and failed.hint
    assert not failed.kind.is_bad_input


def test_worker_failure_of_a_bug_keeps_the_traceback_line():
    failed = _failure_of(ValueError("boom"))
    assert failed.kind is ErrorKind.INTERNAL and failed.message == "ValueError: boom"
    assert failed.detail == "ValueError: boom"
    assert not failed.kind.is_bad_input


# -- the CLI's progress lines read the typed events ---------------------------
def test_cli_progress_lines(capsys):
    from app.cli.cmd_run import _Progress

    events, _ = _feed(FULL_RUN)
    progress = _Progress(spec=None)
    progress.tty = True
    for ev in events:
        progress(ev)
    progress.done()
    err = capsys.readouterr().err
    assert "[compile] ..." in err and "[first_inference] ..." in err  # a phase began (tty only)
    assert "\r[warmup] 0.000 ms\n" in err  # a phase ended, with its time
    assert "[measure] 3 inferences, last 1.000 ms" in err  # the live latency line
    assert not re.search(r"\[measure\] [\d.]+ ms\n", err)  # no line for the end of the measured loop
    assert progress.count == 5
    assert "Phase." not in err
    assert "[settle] other processes 30% of the CPU, waited 0.5 of 30 s" in err  # --quiet-check's readings
