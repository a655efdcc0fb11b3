"""A generative run has every run's guarantees: Stop keeps a partial record, a killed worker is reported
with what it streamed kept, and the live events arrive while it runs."""

from __future__ import annotations

import os
import signal
import time

import pytest

from app.common.errors import ErrorKind
from app.record.schema import RunStatus
from app.run.genai_spec import GenAISpec, build_genai_spec
from app.run.runner import ProfileRun, RunGeneration, RunLatencies, RunText
from app.run.spec_builder import DEFAULTS


def _long_run(folder) -> ProfileRun:
    spec = build_genai_spec(str(folder), "genai/cpu", DEFAULTS, GenAISpec(prompt_tokens=[16, 32], gen_tokens=400),
                            iterations=200, warmup=0)
    run = ProfileRun(spec)
    run.start()
    return run


def _until_generations(run: ProfileRun, n: int) -> list:
    events, deadline = [], time.monotonic() + 60
    while sum(isinstance(e, RunGeneration) for e in events) < n and time.monotonic() < deadline:
        events += run.poll(0.05)
    assert not run.finished
    return events


def test_stop_keeps_the_generations_measured(genai_built):
    run = _long_run(genai_built)
    try:
        events = _until_generations(run, 2)
        assert any(isinstance(e, RunLatencies) for e in events) and any(isinstance(e, RunText) for e in events)
        run.cancel()
        record = run.wait()
    finally:
        run.close()
    assert record.status is RunStatus.CANCELLED and record.error is None
    result = record.genai.results[0]
    assert result.prompt_tokens == 16 and 2 <= result.generations < 200
    assert record.genai.notes == ["no measured generation at prompt length 32 (the run ended first)"]


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_a_killed_worker_is_reported_and_the_generations_kept(genai_built):
    run = _long_run(genai_built)
    try:
        _until_generations(run, 1)
        os.kill(run.pid, signal.SIGKILL)
        record = run.wait()
    finally:
        run.close()
    assert record.status is RunStatus.FAILED and record.error.kind is ErrorKind.WORKER_CRASHED
    assert "killed by signal SIGKILL during phase 'measure'" in record.error.message
    assert record.genai.results and record.genai.results[0].generations >= 1
