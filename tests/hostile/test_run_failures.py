"""Failures after the run started (items 6 and 11, CLI side), with real worker processes.

Only bad input found before anything was measured exits 2 with no file; every other failure
(a runtime error in the first inference, running out of memory, a stall, a crashed worker) exits 1
and keeps the partial record. SIGTERM stops a run like Ctrl-C: partial record kept, exit 143.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import psutil
import pytest
from onnx import TensorProto, helper, numpy_helper

from app.common.errors import ErrorKind, ExitStatus
from app.record import io as rec
from app.record.schema import Phase, RunStatus
from tests.hostile.conftest import ROOT

posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and rlimits are POSIX")


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aipcprof-tests")
    m.ir_version = 9
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return path


def _gather_out_of_range(tmp_path: Path) -> Path:
    """Valid ONNX that compiles, then fails in the first inference: index 10 of a 4-wide axis."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])
    idx = numpy_helper.from_array(np.array([10], np.int64), "idx")
    node = helper.make_node("Gather", ["x", "idx"], ["y"], axis=1)
    return _save(helper.make_graph([node], "gather", [x], [y], [idx]), tmp_path / "gather.onnx")


def _tile_3gib(tmp_path: Path) -> Path:
    """A 3 GiB output from a 4-byte input: the first inference allocates it."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None])
    reps = numpy_helper.from_array(np.array([3 << 16, 1 << 12], np.int64), "reps")
    node = helper.make_node("Tile", ["x", "reps"], ["y"])
    return _save(helper.make_graph([node], "tile", [x], [y], [reps]), tmp_path / "tile.onnx")


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err, err


def test_first_inference_failure_keeps_the_record_and_exits_1(aipcprof, tmp_path):
    out = tmp_path / "run.json"
    r = aipcprof("run", _gather_out_of_range(tmp_path), "--no-telemetry", "-q", "--out", out)
    assert r.rc == ExitStatus.RUN_FAILED
    _no_traceback(r.err)
    record = rec.load(out)
    assert record.status is RunStatus.FAILED and not record.measured
    assert record.error.phase == Phase.FIRST_INFERENCE and not record.error.kind.is_bad_input
    assert "indices element out of data bounds" in record.error.message
    assert Phase.COMPILE.value in record.phases  # what was measured before the failure is in the record
    assert f"run record: {out}" in r.out


@posix_only
def test_out_of_memory_in_the_first_inference_is_a_runtime_failure(aipcprof, tmp_path):
    import resource

    def limit_memory():  # 2 GiB of address space for the CLI and its worker: the 3 GiB output cannot fit
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    out = tmp_path / "run.json"
    r = aipcprof("run", _tile_3gib(tmp_path), "--threads", "1", "--no-telemetry", "-q", "--out", out,
                 preexec_fn=limit_memory)
    assert r.rc == ExitStatus.RUN_FAILED, r.err  # not 2: running out of memory is not bad input
    _no_traceback(r.err)
    record = rec.load(out)
    assert record.error.kind is ErrorKind.OUT_OF_MEMORY and record.error.phase == Phase.FIRST_INFERENCE
    assert "aipcprof: error: out of memory in the worker." in r.err


def test_a_stall_before_the_measured_loop_keeps_the_record(aipcprof, add_model, tmp_path):
    out = tmp_path / "run.json"
    # 50 ms is far less than the worker needs to import its runtimes: it is stopped in its first phase.
    r = aipcprof("run", add_model, "--timeout", "0.05", "--no-telemetry", "-q", "--out", out)
    assert r.rc == ExitStatus.RUN_FAILED
    _no_traceback(r.err)
    record = rec.load(out)
    assert record.error.kind is ErrorKind.TIMEOUT and not record.measured
    assert "no progress for 0.05 s" in record.error.message


def _worker_of(cli: psutil.Process, timeout: float = 60) -> psutil.Process:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in cli.children(recursive=True):
            try:
                if any("spawn_main" in part for part in child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.005)
    raise AssertionError("the worker never started")


@posix_only
def test_a_worker_killed_during_load_keeps_the_record(data_dir, add_model, tmp_path):
    out = tmp_path / "run.json"
    env = {**os.environ, "AIPCPROF_DATA_DIR": str(data_dir)}
    cli = subprocess.Popen([sys.executable, "-m", "app", "run", str(add_model), "--no-telemetry", "-q",
                            "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        worker = _worker_of(psutil.Process(cli.pid))
        worker.send_signal(signal.SIGKILL)  # still importing its runtimes / loading the model
        _, err = cli.communicate(timeout=120)
    finally:
        cli.kill()
    assert cli.returncode == ExitStatus.RUN_FAILED, err
    _no_traceback(err)
    record = rec.load(out)
    assert record.status is RunStatus.FAILED and not record.measured
    assert record.error.kind is ErrorKind.WORKER_CRASHED and "killed by signal SIGKILL" in record.error.message
    assert record.error.phase in (Phase.START, Phase.LOAD)


def test_bad_input_found_by_the_worker_still_writes_nothing(aipcprof, add_model, tmp_path):
    # The model fixes x at [1, 4]: the worker refuses the shape in the load phase, before measuring.
    out = tmp_path / "run.json"
    r = aipcprof("run", add_model, "--shape", "x=2,4", "--no-telemetry", "-q", "--out", out)
    assert r.rc == ExitStatus.USER_ERROR
    line = r.one_error_line()
    assert line.startswith("aipcprof: error: ") and "'x'" in line and "fixed at 1" in line
    assert not out.exists()


# -- SIGTERM --------------------------------------------------------------------------------------------


class _Cli:
    """`aipcprof run` in the background, its stderr collected line by line."""

    def __init__(self, args: list[str], data_dir: Path, **popen) -> None:
        env = {**os.environ, "AIPCPROF_DATA_DIR": str(data_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "run", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
        self.lines: list[str] = []
        self.measuring = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)
            if line.startswith(f"[{Phase.WARMUP}]"):  # warm-up done: the measured loop is running
                self.measuring.set()

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        try:
            out = self.proc.stdout.read()
            self.proc.wait(timeout=timeout)
        finally:
            self.proc.kill()
        self._reader.join(timeout=10)
        return self.proc.returncode, out, "".join(self.lines)


@posix_only
@pytest.mark.parametrize("whole_group", [False, True], ids=["cli-only", "process-group"])
def test_sigterm_stops_the_run_and_keeps_the_partial_record(data_dir, add_model, tmp_path, whole_group):
    # `kill PID` reaches the CLI only; `timeout` signals the whole process group (the worker too).
    out = tmp_path / "run.json"
    cli = _Cli([str(add_model), "--duration", "120", "--warmup", "5", "--no-telemetry", "--out", str(out)],
               data_dir, start_new_session=whole_group)
    assert cli.measuring.wait(120), "".join(cli.lines)
    time.sleep(0.3)  # some measured batches
    if whole_group:
        os.killpg(cli.proc.pid, signal.SIGTERM)
    else:
        os.kill(cli.proc.pid, signal.SIGTERM)
    t0 = time.monotonic()
    rc, stdout, err = cli.finish()
    assert rc == ExitStatus.TERMINATED == 143, err
    assert time.monotonic() - t0 < 60
    _no_traceback(err)
    assert "stopping (SIGTERM): finishing the current batch, keeping the partial record..." in err
    record = rec.load(out)
    assert record.status is RunStatus.CANCELLED and record.error is None
    assert record.measured
    assert f"run record: {out}" in stdout
