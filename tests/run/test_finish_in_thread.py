"""The desktop app's ProfileRun builds the record off the polling thread (issue #19: no end-of-run stall)."""

import multiprocessing as mp
import threading
import time
from array import array

from app.record.schema import Phase
from app.run.messages import LatencyBatch, PhaseEnded, PhaseStarted, WorkerDone
from app.run.runner import ProfileRun, RunEnded, RunLatencies
from app.run.runspec import RunSpec
from tests.run.test_worker_messages import _StandInWorker

MESSAGES = [PhaseStarted(Phase.MEASURE, 90),
            LatencyBatch(array("q", [1_000_000, 2_000_000, 3_000_000]), array("q", [900_000, 950_000, 1_000_000])),
            PhaseEnded(Phase.MEASURE, 90, 4_000_000), WorkerDone()]


def _pump(run: ProfileRun) -> list:
    parent, child = mp.Pipe(duplex=False)
    run._attach(parent, _StandInWorker(0))
    for m in MESSAGES:
        child.send(m)
    child.close()
    events: list = []
    end = time.monotonic() + 30
    while not run.finished and time.monotonic() < end:
        events += run.poll(0.05)
    return events


def test_the_record_is_built_on_a_helper_thread_and_polls_never_wait_for_it():
    run = ProfileRun(RunSpec(model_path="m.onnx", target_id="ort/cpu"), finish_in_thread=True)
    built_on: list[str] = []
    release = threading.Event()
    real = run.builder.finish

    def slow_finish(sampler):
        built_on.append(threading.current_thread().name)
        release.wait(10)  # a long record build: polls meanwhile return at once, with no RunEnded
        return real(sampler)

    run.builder.finish = slow_finish
    parent, child = mp.Pipe(duplex=False)
    run._attach(parent, _StandInWorker(0))
    for m in MESSAGES:
        child.send(m)
    child.close()
    events: list = []
    while not built_on:
        events += run.poll(0.05)
    t = time.monotonic()
    assert run.poll(0.0) == [] and not run.finished and time.monotonic() - t < 0.5
    release.set()
    events += _drain(run)
    assert built_on == ["aipcprof-record"]
    assert isinstance(events[-1], RunEnded) and events[-1].record is run.record
    assert run.record.latency.count == 3 and run.record.status == "completed"
    batches = [e for e in events if isinstance(e, RunLatencies)]
    assert batches[0].starts_ns.tolist() == [1_000_000, 2_000_000, 3_000_000]  # array("q") in, int64 out
    assert run.poll(0.05) == []


def _drain(run: ProfileRun) -> list:
    events: list = []
    end = time.monotonic() + 30
    while not run.finished and time.monotonic() < end:
        events += run.poll(0.05)
    return events


def test_the_cli_path_builds_the_record_in_poll_as_before():
    run = ProfileRun(RunSpec(model_path="m.onnx", target_id="ort/cpu"))
    events = _pump(run)
    assert isinstance(events[-1], RunEnded) and run.record.latency.count == 3


def test_close_waits_for_a_record_being_built():
    run = ProfileRun(RunSpec(model_path="m.onnx", target_id="ort/cpu"), finish_in_thread=True)
    real = run.builder.finish
    run.builder.finish = lambda sampler: (time.sleep(0.3), real(sampler))[1]
    parent, child = mp.Pipe(duplex=False)
    run._attach(parent, _StandInWorker(0))
    for m in MESSAGES:
        child.send(m)
    child.close()
    while run._finishing is None:
        run.poll(0.05)
    run.close()  # the window closes while the record is built: it is kept, built once
    assert run.record is not None and run.record.status == "completed" and run.record.latency.count == 3
