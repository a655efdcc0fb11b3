"""ProfileRun end to end: real worker processes on the real runtimes."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from app.record.schema import SteadyState, WarningKind
from app.run.runner import ProfileRun, RunEventKind, RunLatencies
from app.run.runspec import RunSpec


def _run(spec: RunSpec, on_event=None) -> tuple[dict, ProfileRun]:
    run = ProfileRun(spec)
    run.start()
    try:
        return run.wait(on_event=on_event), run
    finally:
        run.close()


def _assert_no_worker(run: ProfileRun) -> None:
    assert run.pid is not None
    assert not psutil.pid_exists(run.pid) or psutil.Process(run.pid).status() == psutil.STATUS_ZOMBIE


def test_cpu_run_fills_every_section(zoo):
    record, run = _run(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", warmup=3, iterations=40))
    assert record.status == "completed", record.error
    lat = record.latency
    assert lat.count == 40 and len(lat.samples) == 40
    assert 0 < lat.min <= lat.p50 <= lat.p99 <= lat.max
    assert set(record.phases) >= {"load", "compile", "first_inference", "warmup", "measure"}
    assert record.phases["warmup"].count == 3
    assert record.placement.accelerator_share == 1.0
    assert record.model.sha256 and record.model.opsets["ai.onnx"] == 17
    assert record.inputs[0].name == "image" and record.inputs[0].shape == [1, 3, 64, 64]
    assert record.output_check.skipped.startswith("this run is the reference")
    assert record.precision == "fp32"
    # the measure window contains every sample
    m = record.phases["measure"]
    assert m.t0_ns <= lat.t0_ns < m.t1_ns
    _assert_no_worker(run)


def test_openvino_run_is_checked_against_cpu(zoo):
    record, _ = _run(RunSpec(model_path=str(zoo["transformer_block"]), target_id="ov/cpu", warmup=1,
                             iterations=5, dims={"seq": 16}))
    assert record.status == "completed", record.error
    assert record.inputs[0].shape == [1, 16, 64]
    (out,) = record.output_check.outputs
    # bf16 is OpenVINO's CPU default where the CPU has AVX512-BF16/AMX; the record says so.
    max_err = 2e-2 if record.precision.startswith("bf16") else 1e-3
    assert out.ok and out.cosine_similarity > 0.9999 and out.max_abs_error < max_err


def test_qnn_emulator_places_nodes_on_qnn(zoo):
    record, _ = _run(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/qnn/htp-emulator", warmup=1,
                             iterations=3))
    assert record.status == "completed", record.error
    p = record.placement
    assert p.accelerator == "QNNExecutionProvider" and p.accelerator_share == 1.0
    assert "fp16" in record.precision
    assert record.output_check.outputs[0].ok


def test_duration_mode_streams_batches(zoo):
    batches = []
    record, _ = _run(RunSpec(model_path=str(zoo["single_add"]), target_id="ort/cpu", warmup=0, iterations=None,
                             duration_s=0.5), on_event=lambda ev: ev.kind is RunEventKind.LATENCIES and batches.append(ev))
    assert record.status == "completed"
    assert record.latency.count == sum(len(b.durations_ns) for b in batches)
    assert len(batches) >= 2  # streamed in batches, not all at the end...
    assert len(batches) < record.latency.count  # ...and not one message per inference
    assert 0.5 <= record.phases["measure"].seconds < 1.5


def test_until_steady_stops_before_the_bound(zoo):
    record, _ = _run(RunSpec(model_path=str(zoo["single_add"]), target_id="ort/cpu", warmup=100,
                             iterations=None, duration_s=60, until_steady=0.05))
    assert record.status == "completed"
    steady = record.steady_state
    assert steady.reached and steady.after_inferences == record.latency.count >= 100
    assert record.phases["measure"].seconds < 30
    assert record.sustained.windows and record.sustained.error is None


def test_until_steady_not_reached_is_said(zoo):
    # ±1 ns on a ~1 ms p50 from 150 inferences is out of reach: the iteration bound wins.
    record, _ = _run(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", warmup=0, iterations=150,
                             until_steady=1e-6))
    assert record.latency.count == 150
    assert record.steady_state == SteadyState(reached=False, rel_ci=1e-6)
    assert any("did not settle" in w.text for w in record.warnings_of(WarningKind.NOT_STEADY))


def test_cancel_keeps_partial_record(zoo):
    run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", warmup=0, iterations=None,
                             duration_s=60))
    run.start()
    try:
        seen = 0
        while seen < 20:
            seen += sum(len(e.durations_ns) for e in run.poll(0.1) if isinstance(e, RunLatencies))
        run.cancel()
        record = run.wait()
    finally:
        run.close()
    assert record.status == "cancelled"
    assert record.latency.count >= 20
    assert any("cancelled" in w.text for w in record.warnings_of(WarningKind.CANCELLED))
    _assert_no_worker(run)


def test_worker_killed_by_signal_is_reported(zoo):
    run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", warmup=0, iterations=None,
                             duration_s=60))
    run.start()
    try:
        while not any(isinstance(e, RunLatencies) for e in run.poll(0.1)):
            pass
        os.kill(run.pid, signal.SIGKILL)
        record = run.wait()
    finally:
        run.close()
    assert record.status == "failed"
    assert record.error.kind == "WorkerCrashed"
    assert "SIGKILL" in record.error.message and "measure" in record.error.message
    assert record.latency.count > 0  # what was streamed before the crash is kept


def test_stalled_worker_is_stopped(zoo):
    # The worker needs far more than 50 ms to import its runtimes and report.
    record, run = _run(RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/cpu", stall_timeout_s=0.05))
    assert record.status == "failed" and record.error.kind == "Timeout"
    assert "no progress for 0.05 s" in record.error.message
    _assert_no_worker(run)


def test_bad_model_fails_in_load_phase(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(os.urandom(300))
    record, _ = _run(RunSpec(model_path=str(bad), target_id="ort/cpu"))
    assert record.status == "failed"
    assert record.error.phase == "load" and record.error.kind == "ModelError"
    assert "bad.onnx" in record.error.message


@pytest.mark.parametrize("field, value", [("warmup", -1), ("iterations", 0), ("threads", 0)])
def test_spec_validation(zoo, field, value):
    from app.common.errors import UserError

    with pytest.raises(UserError, match=f"--{field}"):
        RunSpec(model_path=str(zoo["single_add"]), target_id="ort/cpu", **{field: value}).validate()
