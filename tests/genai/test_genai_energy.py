"""Energy per token where power is measured: the RAPL fixture's counter over the generations' window,
through the real sampler and record builder (tests/throughput/test_perf_per_watt.py's recorded readings)."""

from __future__ import annotations

import pytest

from app.record.genai_schema import GenAI, GenAISettings
from app.record.schema import Phase
from app.report.text import format_run
from app.run.builder import RecordBuilder
from app.run.messages import GenerationMeasured
from app.run.runspec import RunSpec
from tests.throughput.test_perf_per_watt import T0, S, _rapl_readings, _sampler


def _generation(t0: int, t1: int, iteration: int) -> GenerationMeasured:
    """4 tokens in [t0, t1]: setup 1 ms, prefill 9 ms, then the first token and 3 decode steps."""
    ms = 1_000_000
    first = t0 + 12 * ms
    return GenerationMeasured(16, iteration, t0, t0 + ms, t0 + 10 * ms, first, t1, [(t1 - first) // 3] * 3,
                              1 << 20, 2 << 20, "text")


def test_joules_per_token_over_the_generations(tmp_path):
    b = RecordBuilder(RunSpec(model_path="folder", target_id="genai/cpu", genai_spec={"prompt_tokens": [16]}))
    b.genai.started(GenAI(settings=GenAISettings(prompt_tokens=[16], gen_tokens=4, iterations=2)))
    b.phase(Phase.MEASURE, T0, T0 + S, {})
    b.genai.add(_generation(T0, T0 + S // 2, 0))
    b.genai.add(_generation(T0 + S // 2, T0 + S, 1))
    r = b.finish(_sampler(_rapl_readings(tmp_path)))
    result = r.genai.results[0]
    assert (result.window_t0_ns, result.window_t1_ns) == (T0, T0 + S)
    # the fixture's package counter: 12.5 J over that second; 2 generations of 4 tokens
    assert result.energy_j_per_token == pytest.approx(12.5 / 8)
    assert result.energy_reason == ""
    assert "1562.500 mJ" in format_run(r)  # the J/token column
