"""Throughput mode's settings and record section: options, checks, the rate, the JSON round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.common.errors import UserError
from app.common.modes import Concurrency, RunMode
from app.record import io as rec
from app.record.schema import InputInfo, LatencyStats, RunRecord, RunSettings, TargetInfo, Throughput
from app.run.builder import RecordBuilder
from app.run.runspec import RunSpec
from app.run.spec_builder import CLI_LABELS, GUI_LABELS, OptionError, RunOptions
from app.run.throughput import batch_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample_model.onnx"


def test_defaults_are_latency_mode_and_the_engines_choice_of_requests():
    assert RunSettings().mode is RunMode.LATENCY and RunSettings().requests is None
    assert RunOptions().mode is RunMode.LATENCY and RunOptions().requests is None


def test_options_build_a_throughput_spec():
    spec = RunOptions(mode=RunMode.THROUGHPUT, requests=4).build(str(SAMPLE), "ov/cpu")
    assert spec.mode is RunMode.THROUGHPUT and spec.requests == 4
    again = RunSpec.from_dict({**spec.to_dict(), "mode": "throughput"})  # the plain value comes back as the enum
    assert again.mode is RunMode.THROUGHPUT


@pytest.mark.parametrize("options, labels, message", [
    (dict(mode=RunMode.THROUGHPUT, requests=0), CLI_LABELS, "--requests 0: must be 1 or more."),
    (dict(mode=RunMode.THROUGHPUT, requests=-3), CLI_LABELS, "--requests -3: must be 1 or more."),
    (dict(mode=RunMode.THROUGHPUT, requests=257), CLI_LABELS, "--requests 257: must be at most 256."),
    (dict(requests=2), CLI_LABELS, "--requests 2: only applies to --mode throughput."),
    (dict(mode=RunMode.THROUGHPUT, requests=0), GUI_LABELS, "Requests 0: must be 1 or more."),
])
def test_bad_requests_name_the_option(options, labels, message):
    with pytest.raises(OptionError) as info:
        RunOptions(**options).validate(labels)
    assert info.value.message == message and info.value.option == "requests"


def test_a_spec_built_by_hand_is_checked_too():
    with pytest.raises(UserError, match=r"--requests 0: must be 1 or more"):
        RunSpec(model_path="m.onnx", target_id="ort/cpu", mode=RunMode.THROUGHPUT, requests=0).validate()


@pytest.mark.parametrize("argv, line", [
    (["--mode", "throughput", "--requests", "0"], "aipcprof: error: --requests 0: must be 1 or more."),
    (["--requests", "2"], "aipcprof: error: --requests 2: only applies to --mode throughput."),
    (["--mode", "fast"], "invalid choice: 'fast' (choose from 'latency', 'throughput')"),
])
def test_cli_bad_input_is_one_line_and_exit_2(argv, line):
    p = subprocess.run([sys.executable, "-m", "app", "run", str(SAMPLE), *argv], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert line in p.stderr and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("shapes, batch", [
    ([[8, 3, 224, 224]], 8),
    ([[4, 128], [4, 128]], 4),
    ([[4, 128], [2, 128]], None),  # not a shared axis
    ([[16]], None),  # one axis: no batch axis
    ([None], None),
])
def test_batch_is_axis_0_shared_by_every_input(shapes, batch):
    inputs = [InputInfo(name=f"i{k}", shape=s) for k, s in enumerate(shapes)]
    found, reason = batch_of(inputs)
    assert found == batch and (reason == "") == (batch is not None)


def _throughput_run(shape: list[int]) -> RunRecord:
    """A throughput run fed through the real builder: 2 requests overlapping, 6 inferences over 3 ms."""
    spec = RunSpec(model_path="m.onnx", target_id="ort/cpu", mode=RunMode.THROUGHPUT, requests=2)
    b = RecordBuilder(spec)
    b.set_inputs([InputInfo(name="x", dtype="float32", shape=shape)])
    b.set_throughput(Throughput(concurrency=Concurrency.THREADS_ONE_SESSION, requests=2, requests_source="--requests",
                                threads=1, engine_settings={"intra_op_num_threads": "1"}))
    starts = np.array([0, 0, 1, 1, 2, 2], np.int64) * 1_000_000 + 5_000
    b.add_latencies(starts[:4], np.full(4, 1_000_000, np.int64))
    b.add_latencies(starts[4:], np.full(2, 1_000_000, np.int64))
    return b.finish()


def test_rate_is_inferences_over_the_wall_window_not_one_over_the_mean():
    r = _throughput_run([4, 3, 8, 8])
    tp = r.throughput
    assert tp.inferences == 6 and tp.window_s == pytest.approx(0.003)
    assert tp.inferences_per_s == pytest.approx(2000.0)  # 1 / mean latency would say 1000
    assert tp.batch == 4 and tp.samples_per_s == pytest.approx(8000.0)
    assert r.latency.throughput_per_s == pytest.approx(2000.0)  # every reader of the record sees the rate
    assert r.latency.p50 == pytest.approx(0.001)  # the latency under load, per request


def test_throughput_section_round_trips_through_a_file(tmp_path):
    r = _throughput_run([2, 3, 8, 8])
    path = rec.save(r, tmp_path / "run.json")
    data = json.loads(path.read_text())
    assert data["settings"]["mode"] == "throughput" and data["settings"]["requests"] == 2
    assert data["throughput"]["concurrency"] == "threads_one_session"
    back = rec.load(path)
    assert back.settings.mode is RunMode.THROUGHPUT
    assert back.throughput == r.throughput
    assert back.throughput.concurrency is Concurrency.THREADS_ONE_SESSION


def test_a_latency_record_has_no_throughput_section_and_old_records_read_as_latency(tmp_path):
    r = RunRecord(TargetInfo("ort/cpu"), latency=LatencyStats(count=1, p50=0.001))
    data = r.to_json()
    assert "throughput" not in data
    del data["settings"]["mode"]  # as written before throughput mode existed
    back = RunRecord.from_json(data)
    assert back.settings.mode is RunMode.LATENCY and back.throughput is None


def test_a_bad_concurrency_value_names_its_key():
    data = _throughput_run([1, 3]).to_json()
    data["throughput"]["concurrency"] = "magic"
    with pytest.raises(ValueError, match=r"throughput.concurrency: 'magic' is not one of"):
        RunRecord.from_json(data, "run")


def test_cli_throughput_run_and_compare(tmp_path):
    out = tmp_path / "thr.json"
    p = subprocess.run([sys.executable, "-m", "app", "run", str(SAMPLE), "-t", "ov/cpu", "--mode", "throughput",
                        "--requests", "2", "-n", "40", "--warmup", "2", "--no-output-check", "--no-telemetry",
                        "-q", "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "throughput mode: 2 requests in flight (--requests), OpenVINO AsyncInferQueue" in p.stdout
    assert "latency under load, 2 in flight (40 inferences)" in p.stdout
    assert "energy, perf per watt: N/A (power was not sampled" in p.stdout
    record = rec.load(out)
    assert record.throughput.requests == 2 and record.throughput.inferences == 40
    c = subprocess.run([sys.executable, "-m", "app", "compare", str(out), str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert c.returncode == 0, c.stderr
    assert "throughput, 2 in flight" in c.stdout and "perf per watt (0: thr.json, 1: thr.json): N/A" in c.stdout
