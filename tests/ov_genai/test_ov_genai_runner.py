"""An ov-genai run has every run's guarantees: Stop ends the generation under way and keeps the ones measured,
a killed worker is reported with what it sent kept, and the live events arrive while it runs."""

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

pytest.importorskip("openvino_genai")


def _long_run(folder, gen_tokens: int = 400) -> ProfileRun:
    spec = build_genai_spec(str(folder), "ov-genai/cpu", DEFAULTS,
                            GenAISpec(prompt_tokens=[16, 32], gen_tokens=gen_tokens), iterations=200, warmup=0)
    run = ProfileRun(spec)
    run.start()
    return run


def _until_generations(run: ProfileRun, n: int) -> list:
    events, deadline = [], time.monotonic() + 60
    while sum(isinstance(e, RunGeneration) for e in events) < n and time.monotonic() < deadline:
        events += run.poll(0.05)
    assert not run.finished
    return events


def test_stop_keeps_the_generations_measured(ov_genai_built):
    run = _long_run(ov_genai_built)
    try:
        events = _until_generations(run, 2)
        assert any(isinstance(e, RunLatencies) for e in events) and any(isinstance(e, RunText) for e in events)
        run.cancel()
        record = run.wait()
    finally:
        run.close()
    assert record.status is RunStatus.CANCELLED and record.error is None
    assert record.precision.endswith(" (device default) inference, fp32 weights")  # nothing asked: the device's
    result = record.genai.results[0]
    assert result.prompt_tokens == 16 and 2 <= result.generations < 200 and result.decode_steps == \
        result.generations * 399
    assert record.genai.notes == ["no measured generation at prompt length 32 (the run ended first)"]


def test_the_streamer_stops_a_generation_part_way(ov_genai_built):
    """Stop does not wait for the generation under way: the streamer cancels LLMPipeline.generate()."""
    import threading

    import numpy as np
    import openvino as ov
    import openvino_genai

    from app.run.ov_genai_loop import _CancelStreamer, _generation_config

    pipe = openvino_genai.LLMPipeline(str(ov_genai_built), "CPU")
    cancel = threading.Event()
    streamer = _CancelStreamer(openvino_genai, cancel)
    prompt = ov.Tensor(np.arange(30, 46, dtype=np.int64)[None])
    result = pipe.generate(prompt, _generation_config(openvino_genai, 1000), streamer)
    assert len(result.tokens[0]) == 1000 and not streamer.cancelled  # runs to the end when nobody stops it
    cancel.set()
    streamer = _CancelStreamer(openvino_genai, cancel)
    result = pipe.generate(prompt, _generation_config(openvino_genai, 1000), streamer)
    assert streamer.cancelled and len(result.tokens[0]) < 10


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_a_killed_worker_is_reported_and_the_generations_kept(ov_genai_built):
    run = _long_run(ov_genai_built)
    try:
        _until_generations(run, 1)
        os.kill(run.pid, signal.SIGKILL)
        record = run.wait()
    finally:
        run.close()
    assert record.status is RunStatus.FAILED and record.error.kind is ErrorKind.WORKER_CRASHED
    assert "killed by signal SIGKILL during phase 'measure'" in record.error.message
    assert record.genai.results and record.genai.results[0].generations >= 1
