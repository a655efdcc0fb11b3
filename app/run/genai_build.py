"""The record's `genai` section from the worker's generations (app.run.genai_loop), in the parent.

Per prompt length: medians over the generations for prefill and TTFT, percentiles over every decode step,
decode tokens/s over the decode windows, and energy per token when the sampler measured power over the
generations' window (else None with the reason: never 0).
"""

from __future__ import annotations

import numpy as np

from app.record.genai_schema import GenAI, GenAIPromptResult
from app.run.messages import GenerationMeasured


class GenAICollector:
    def __init__(self) -> None:
        self.section: GenAI | None = None
        self.generations: list[GenerationMeasured] = []

    def started(self, section: GenAI) -> None:
        self.section = section

    def add(self, g: GenerationMeasured) -> None:
        self.generations.append(g)

    def finish(self, sampler, device_type: str) -> GenAI | None:
        section = self.section
        if section is None:
            return None
        by_length: dict[int, list[GenerationMeasured]] = {}
        for g in self.generations:
            by_length.setdefault(g.prompt_tokens, []).append(g)
        series = _series(sampler, self.generations)
        section.results = [_result(n, gens, section.settings.gen_tokens, series, device_type)
                           for n, gens in sorted(by_length.items())]
        peaks = [g.peak_rss_bytes for g in self.generations if g.peak_rss_bytes is not None]
        section.peak_rss_bytes = max(peaks) if peaks else None
        if section.peak_rss_bytes is None:
            section.peak_rss_reason = ("no generation was measured" if not self.generations
                                       else "this OS does not report the process's peak resident memory")
        if self.generations:
            section.sample_text = self.generations[-1].text
        missing = [n for n in section.settings.prompt_tokens if n not in by_length]
        if missing and self.generations:
            section.notes.append(f"no measured generation at prompt length {', '.join(map(str, missing))} "
                                 f"(the run ended first)")
        return section


def _series(sampler, generations: list[GenerationMeasured]):
    """The sampler's series around all generations (None: no sampler, or nothing measured)."""
    if sampler is None or not generations:
        return None
    from app.probes.sampler import CONTEXT_NS

    try:
        return sampler.series(since_ns=min(g.t0_ns for g in generations) - CONTEXT_NS)
    except Exception:  # noqa: BLE001 - telemetry must never cost the user their record
        return None


def _result(n: int, gens: list[GenerationMeasured], gen_tokens: int, series, device_type: str) -> GenAIPromptResult:
    ns = 1e-9
    setup = np.array([(g.prefill_t0_ns - g.t0_ns) * ns for g in gens])
    prefill = np.array([(g.prefill_t1_ns - g.prefill_t0_ns) * ns for g in gens])
    ttft = np.array([(g.first_token_ns - g.t0_ns) * ns for g in gens])
    windows = np.array([(g.last_token_ns - g.first_token_ns) * ns for g in gens])
    steps = np.concatenate([np.asarray(g.decode_ns, np.float64) * ns for g in gens])
    r = GenAIPromptResult(prompt_tokens=n, generations=len(gens), generated_tokens=gen_tokens, setup_s=setup,
                          prefill_s=prefill, ttft_s=ttft, decode_window_s=windows, decode_steps=int(steps.size))
    r.prefill_median_s = float(np.median(prefill))
    r.prompt_tokens_per_s = n / r.prefill_median_s if r.prefill_median_s > 0 else None
    r.ttft_median_s = float(np.median(ttft))
    r.ttft_p90_s = float(np.percentile(ttft, 90))
    if steps.size:
        r.decode_p50_s, r.decode_p90_s, r.decode_p99_s = (float(v) for v in np.percentile(steps, [50, 90, 99]))
        r.decode_mean_s = float(steps.mean())
        total = float(windows.sum())
        r.decode_tokens_per_s = steps.size / total if total > 0 else None
    r.rss_bytes = gens[-1].rss_bytes
    r.window_t0_ns, r.window_t1_ns = min(g.t0_ns for g in gens), max(g.last_token_ns for g in gens)
    _energy(r, series, len(gens) * gen_tokens, device_type)
    return r


def _energy(r: GenAIPromptResult, series, tokens: int, device_type: str) -> None:
    """Joules per generated token over this prompt length's generations (prefill included)."""
    if series is None:
        r.energy_reason = "no telemetry for this run (no sampler)"
        return
    from app.probes.recording import energy_section

    energy = energy_section(series, r.window_t0_ns, r.window_t1_ns, tokens, device_type)
    if energy.get("available"):
        r.energy_j_per_token = energy["joules_per_inference"]
    else:
        r.energy_reason = str(energy.get("reason") or "no power reading over these generations")
