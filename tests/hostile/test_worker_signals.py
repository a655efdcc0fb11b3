"""The inference worker never outlives its parent and never prints a traceback when the parent is gone (#11).

A CLI killed with SIGKILL cannot stop its worker; the worker must notice by itself (a watchdog on its
parent, and a send on the broken pipe) and exit quietly within ~2 s, not at its next batch or never.
The CLI's own SIGTERM handling is tested elsewhere; here the parent simply disappears.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.run.runspec import RunSpec
from app.run.worker import worker_main
from tests import model_zoo

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN_S = 2.0
POSIX_SIGNALS = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL/SIGTERM semantics are POSIX here")

# A bare parent: starts a 60 s run, says when the measured loop runs, then waits to be killed.
PARENT = """
import sys
from app.run.runner import ProfileRun, RunPhaseStarted
from app.run.runspec import RunSpec
from app.record.schema import Phase

run = ProfileRun(RunSpec(model_path=sys.argv[1], target_id="ort/cpu", iterations=None, duration_s=60.0,
                         warmup=0, check_outputs=False))
run.start()
while True:
    for ev in run.poll(0.1):
        if isinstance(ev, RunPhaseStarted) and ev.phase is Phase.MEASURE:
            print("measuring", flush=True)
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return model_zoo.save(model_zoo.single_add(), tmp_path_factory.mktemp("signals"), "single_add")


def _exited(p: psutil.Process) -> bool:
    """Gone, or a zombie: it has exited and only waits for init (or a subreaper) to reap it."""
    try:
        return p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_exited(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if not _exited(p)]
        time.sleep(0.02)
    return alive


def _worker(children: list[psutil.Process]) -> psutil.Process:
    workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 1, [c.cmdline() for c in children]
    return workers[0]


def _kill_leftovers(children: list[psutil.Process]) -> None:
    for c in children:
        try:
            c.kill()
        except psutil.Error:
            pass


def _until(stream, word: str, timeout: float) -> str:
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if word in line:
            return "".join(seen)
    raise AssertionError(f"never saw {word!r}: {''.join(seen)[-2000:]}")


@POSIX_SIGNALS
def test_sigkill_to_the_cli_ends_its_worker_quietly(model):
    proc = subprocess.Popen([sys.executable, "-m", "app", "run", str(model), "--duration", "60", "--warmup", "0",
                             "--no-output-check", "--no-telemetry"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    children: list[psutil.Process] = []
    try:
        _until(proc.stderr, "[warmup]", 120)  # the measured loop is next
        time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        worker = _worker(children)
        assert worker.is_running()
        proc.kill()
        t0 = time.monotonic()
        assert _wait_exited([worker], GONE_WITHIN_S) == [], "the worker outlived its killed parent"
        exited_after = time.monotonic() - t0
        assert _wait_exited(children, 5.0) == [], "a helper process outlived the CLI"
        # The worker wrote to the CLI's stderr: everything it printed on its way out is here (EOF once it is gone).
        rest = proc.stderr.read()
    finally:
        _kill_leftovers(children)
        proc.wait(timeout=30)
    assert "Traceback" not in rest and "BrokenPipeError" not in rest, rest
    assert exited_after < GONE_WITHIN_S


@POSIX_SIGNALS
def test_a_parent_ended_by_sigterm_leaves_no_worker_and_no_traceback(model):
    proc = subprocess.Popen([sys.executable, "-c", PARENT, str(model)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    children: list[psutil.Process] = []
    try:
        _until(proc.stdout, "measuring", 120)
        time.sleep(0.3)
        children = psutil.Process(proc.pid).children(recursive=True)
        worker = _worker(children)
        proc.send_signal(signal.SIGTERM)  # the default action: the parent dies without cleaning up
        assert proc.wait(timeout=10) == -signal.SIGTERM
        assert _wait_exited([worker], GONE_WITHIN_S) == [], "the worker outlived its terminated parent"
        err = proc.stderr.read()
    finally:
        _kill_leftovers(children)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_a_send_to_a_parent_that_stopped_listening_ends_the_worker_quietly(capfd, model):
    """The pipe breaks while the parent lives on: the first send ends the worker, exit 0, nothing printed."""
    ctx = mp.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    spec = RunSpec(model_path=str(model), target_id="ort/cpu", iterations=50, warmup=0, check_outputs=False)
    cancel = ctx.Event()  # kept referenced: its semaphore must outlive the child's start
    proc = ctx.Process(target=worker_main, args=(spec.to_dict(), writer, cancel, os.getpid()),
                       name="aipcprof-worker")
    reader.close()  # nobody will read: every send hits a broken pipe
    proc.start()
    writer.close()
    proc.join(timeout=120)
    assert proc.exitcode == 0, proc.exitcode
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
