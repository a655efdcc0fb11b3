"""Throughput mode end to end: real worker processes on the real runtimes, small counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from app.common.modes import Concurrency, RunMode
from app.engines.ort_requests import physical_cores
from app.engines.registry import find_target
from app.record.schema import RunRecord
from app.report.text import format_run
from app.run.runner import ProfileRun, RunLatencies
from app.run.runspec import RunSpec

# ~2-3 ms per inference on a 2-core CPU: long enough that requests overlap even when other work loads the
# machine (with a 0.1 ms model a starved issuing thread leaves them running one after another).
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_model.onnx"


def _run(model, target: str, **spec) -> tuple[RunRecord, list[RunLatencies]]:
    batches: list[RunLatencies] = []
    run = ProfileRun(RunSpec(model_path=str(model), target_id=target, mode=RunMode.THROUGHPUT,
                             check_outputs=False, **{"warmup": 4, "iterations": 40, **spec}))
    run.start()
    try:
        record = run.wait(on_event=lambda ev: batches.append(ev) if isinstance(ev, RunLatencies) else None)
    finally:
        run.close()
    assert record.status == "completed", record.error
    return record, batches


def _check_in_flight(r: RunRecord, requests: int) -> None:
    """The rate is over the wall window, and the requests really overlapped in it."""
    tp, lat = r.throughput, r.latency
    assert tp.requests == requests and tp.inferences == lat.count
    measure = r.phases["measure"]
    assert 0 < tp.window_s <= measure.seconds
    assert tp.inferences_per_s == pytest.approx(lat.count / tp.window_s)
    assert lat.throughput_per_s == tp.inferences_per_s  # not 1 / mean latency
    starts, ends = lat.offsets, lat.offsets + lat.samples  # raw per request (small counts: stride 1)
    order = np.argsort(starts)
    overlapping = int(np.sum(starts[order][1:] < ends[order][:-1]))  # started before the previous one ended
    if requests > 1:  # in flight together (not one after another); a loaded machine leaves gaps, so not all
        assert overlapping >= 0.1 * lat.count, (overlapping, lat.count)
    else:
        assert overlapping == 0
    assert f"{requests} requests in flight" in format_run(r)


def test_openvino_uses_the_throughput_hint_and_its_optimal_number_of_requests():
    r, batches = _run(SAMPLE, "ov/cpu")
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(SAMPLE)), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})
    optimal = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    tp = r.throughput
    assert tp.concurrency is Concurrency.ASYNC_QUEUE and tp.requests_source == "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
    assert tp.engine_settings["PERFORMANCE_HINT"] == "THROUGHPUT"
    assert tp.streams == int(compiled.get_property("NUM_STREAMS"))
    assert tp.threads == int(compiled.get_property("INFERENCE_NUM_THREADS"))
    assert r.session.effective_options["PERFORMANCE_HINT"] == "THROUGHPUT"
    _check_in_flight(r, optimal)
    assert sum(len(b.durations_ns) for b in batches) == r.latency.count == 40


def test_openvino_takes_requests_and_streams_them_live():
    r, batches = _run(SAMPLE, "ov/cpu", requests=3, iterations=None, duration_s=0.6, warmup=2)
    tp = r.throughput
    assert tp.requests_source == "--requests" and tp.engine_settings["PERFORMANCE_HINT_NUM_REQUESTS"] == "3"
    _check_in_flight(r, 3)
    assert len(batches) > 1  # streamed while measuring (~33 ms batches), like latency mode
    assert sum(len(b.durations_ns) for b in batches) == r.latency.count


def test_samples_per_second_with_a_batch(zoo):
    r, _ = _run(zoo["dynamic_mlp"], "ov/cpu", dims={"batch": 8}, requests=2, iterations=40)
    tp = r.throughput
    assert r.inputs[0].shape == [8, 16]
    assert tp.batch == 8 and tp.samples_per_s == pytest.approx(8 * tp.inferences_per_s)
    assert "samples/s (batch 8)" in format_run(r)


def test_onnxruntime_cpu_runs_threads_on_one_session():
    r, _ = _run(SAMPLE, "ort/cpu")
    tp = r.throughput
    expected = physical_cores()
    assert tp.concurrency is Concurrency.THREADS_ONE_SESSION and tp.engine_settings["sessions"] == "1"
    assert tp.requests_source.startswith("default: one per physical core")
    assert tp.threads == max(1, physical_cores() // expected) == int(tp.engine_settings["intra_op_num_threads"])
    assert r.session.effective_options["intra_op_num_threads"] == str(tp.threads)
    _check_in_flight(r, expected)


def test_onnxruntime_keeps_the_users_requests_and_threads():
    r, _ = _run(SAMPLE, "ort/cpu", requests=3, threads=1, io_binding=True)
    tp = r.throughput
    assert tp.requests_source == "--requests" and tp.threads == 1 and tp.engine_settings["io_binding"] == "true"
    _check_in_flight(r, 3)


def test_qnn_emulator_gets_a_session_per_request(zoo):
    if not find_target("ort/qnn/htp-emulator").ready:
        pytest.skip("the QNN HTP emulator is not available here")
    r, _ = _run(zoo["conv_net"], "ort/qnn/htp-emulator", warmup=2, iterations=6)
    tp = r.throughput
    assert tp.concurrency is Concurrency.SESSION_PER_REQUEST and tp.requests == 2
    assert tp.engine_settings["sessions"] == "2" and "graph execution" in tp.engine_settings[
        "session_per_request_because"]
    assert r.placement.accelerator_share == 1.0
    _check_in_flight(r, 2)


def test_a_latency_run_keeps_one_over_the_mean(zoo):
    run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", warmup=2, iterations=20,
                             check_outputs=False))
    run.start()
    try:
        r = run.wait()
    finally:
        run.close()
    assert r.throughput is None and r.settings.mode is RunMode.LATENCY
    assert r.latency.throughput_per_s == pytest.approx(1 / r.latency.mean)


def test_stop_keeps_what_was_measured(zoo):
    run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id="ov/cpu", mode=RunMode.THROUGHPUT,
                             warmup=2, iterations=None, duration_s=60.0, check_outputs=False))
    seen: list[int] = []

    def on_event(ev) -> None:
        if isinstance(ev, RunLatencies):
            seen.append(len(ev.durations_ns))
            if sum(seen) >= 20:
                run.cancel()  # a second call is a no-op

    run.start()
    try:
        r = run.wait(on_event=on_event)
    finally:
        run.close()
    assert r.status == "cancelled" and r.error is None
    assert 20 <= r.latency.count == sum(seen) and r.phases["measure"].seconds < 30
    assert r.throughput.inferences == r.latency.count and r.throughput.inferences_per_s > 0


def test_until_steady_stops_starting_requests(zoo):
    r, _ = _run(zoo["conv_net"], "ort/cpu", iterations=5000, until_steady=0.2, requests=2)
    assert r.steady_state is not None and r.steady_state.reached
    assert r.latency.count < 5000 and r.throughput.inferences == r.latency.count
