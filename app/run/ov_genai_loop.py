"""The generative-model run on openvino-genai (LLMPipeline) in the worker: an `ov-genai/<device>` target.

The same worker, phases, prompts (the model's own tokenizer, exact lengths), warm-up, measured generations,
messages and record section as onnxruntime-genai's run (app.run.genai_loop.GenAIRun, which this extends).
What differs is where the times come from: LLMPipeline.generate() runs the whole generation in C++, so the
token moments are openvino-genai's own timestamps (`perf_metrics.raw_metrics.m_new_token_times`, taken on its
generate thread as each token is sampled, on the steady clock that perf_counter also reads), not a Python
streamer's: openvino-genai calls a Python streamer from its own thread, so a streamer sees a token when that
thread next gets the GIL, late by a varying amount (docs/genai.md). Per generation:

    TTFT      from before generate() to the first token's timestamp
    prefill   the inference(s) before the first token (raw_metrics.token_infer_durations: each generated token
              after the first is one inference, the ones before it processed the prompt)
    setup     the rest of TTFT (generate()'s own work: inputs, state, sampling the first token)
    decode    each later token's timestamp minus the one before: inference, sampling and all between tokens

A streamer is passed all the same, only to stop a generation when the run is cancelled.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import asdict

import numpy as np

from app.model.ov_genai_folder import CONTEXT_SOURCE
from app.record.genai_schema import OPENVINO_GENAI, SAMPLE_TEXT_CHARS, GenAI, GenAIModel, GenAISettings
from app.record.schema import ModelInfo, Phase, SessionInfo
from app.run.genai_loop import GenAIRun, _memory
from app.run.messages import (
    GenAIStarted,
    GeneratedText,
    GenerationMeasured,
    LatencyBatch,
    ModelIdentity,
    SessionOpened,
)

# m_new_token_times is in milliseconds in openvino-genai 2026.4 (its docstring says microseconds): the unit is
# the one that puts the tokens inside this process's own generate() window
_UNITS_NS = (1e6, 1e3)
_CLOCK_SLACK_NS = 1_000_000


class OVGenAIRun(GenAIRun):
    context_source = CONTEXT_SOURCE

    def run(self) -> None:
        from app.engines.ov_genai_engine import open_pipeline
        from app.engines.registry import find_target
        from app.model.ov_genai_folder import open_ov_genai_folder
        from app.probes.conditions import ConditionsMeter

        w, spec = self.w, self.spec
        folder = w._phase(Phase.LOAD, lambda: open_ov_genai_folder(spec.model_path))
        w.conn.send(ModelIdentity(_identity(folder)))
        self.gs.check(folder.card.context_length, CONTEXT_SOURCE)
        target = find_target(spec.target_id)
        rt = w._phase(Phase.COMPILE, lambda: open_pipeline(str(folder.folder), target, dict(spec.ep_options),
                                                          spec.threads))
        w.conn.send(SessionOpened(SessionInfo(providers=[rt.device], precision=rt.precision(folder.card.precision),
                                              effective_options=dict(rt.effective_options)), None))
        self.config = _generation_config(rt.module, self.gs.gen_tokens)
        prompts = self._prompts(rt, folder.card.context_length)
        w.conn.send(GenAIStarted(self._section(folder.card, rt, list(prompts))))
        w._phase(Phase.WARMUP, lambda: self._warmup(rt, prompts), {"count": spec.warmup * len(prompts)})
        w._measured(ConditionsMeter(profiler_pid=w.parent_pid), lambda: self._measure(rt, prompts))

    def _section(self, card, rt, lengths: list[int]) -> GenAI:
        source = f"--prompt-file {self.gs.prompt_file}" if self.gs.prompt_file else \
            "synthetic: a fixed English passage encoded with the model's own tokenizer, repeated to each length"
        return GenAI(model=GenAIModel.from_json(asdict(card), "genai.model"), provider=rt.device,
                     runtime=OPENVINO_GENAI, runtime_version=rt.version,
                     settings=GenAISettings(prompt_tokens=lengths, gen_tokens=self.gs.gen_tokens,
                                            prompt_file=self.gs.prompt_file, prompt_source=source,
                                            iterations=self.spec.iterations or 1, warmup=self.spec.warmup))

    def _generate(self, rt, ids: np.ndarray, n: int, iteration: int, *, measured: bool) -> GenerationMeasured | None:
        """One LLMPipeline.generate() of exactly gen_tokens tokens; None when cancelled part way."""
        import openvino as ov

        gen_tokens = self.gs.gen_tokens
        prompt = ov.Tensor(np.ascontiguousarray(ids, dtype=np.int64)[None, :])
        streamer = _CancelStreamer(rt.module, self.w.cancel)
        t0 = time.perf_counter_ns()
        result = rt.pipeline.generate(prompt, self.config, streamer)
        t1 = time.perf_counter_ns()
        if streamer.cancelled:
            return None
        tokens = [int(t) for t in result.tokens[0]]
        if len(tokens) != gen_tokens:
            raise RuntimeError(f"openvino-genai generated {len(tokens)} tokens where {gen_tokens} were asked "
                               f"(min_new_tokens = max_new_tokens, ignore_eos).")
        raw = result.perf_metrics.raw_metrics
        times = token_times_ns(list(raw.m_new_token_times), t0, t1, gen_tokens)
        prefill_ns = prefill_inference_ns(list(raw.token_infer_durations), gen_tokens)
        rss, peak = _memory()
        first = times[0]
        starts = array("q", times[:-1])
        durations = array("q", (b - a for a, b in zip(times, times[1:])))
        text = rt.tokenizer.decode(tokens)[:SAMPLE_TEXT_CHARS]
        if measured:
            self.w.conn.send(LatencyBatch(starts, durations))
            self.w.conn.send(GeneratedText(n, iteration, text, new_generation=True))
        return GenerationMeasured(prompt_tokens=n, iteration=iteration, t0_ns=t0,
                                  prefill_t0_ns=max(t0, first - prefill_ns), prefill_t1_ns=first, first_token_ns=first,
                                  last_token_ns=times[-1], decode_ns=durations, rss_bytes=rss, peak_rss_bytes=peak,
                                  text=text)


def token_times_ns(stamps: list[float], t0: int, t1: int, expected: int) -> list[int]:
    """openvino-genai's token timestamps as perf_counter ns; RuntimeError when they cannot be placed.

    Batch size 1: one timestamp per token. The unit is the first of ms, us that puts every token inside this
    process's generate() window [t0, t1] (1 ms slack): both read the steady clock (CLOCK_MONOTONIC on
    Linux, QueryPerformanceCounter on Windows), so no offset is guessed."""
    if len(stamps) != expected:
        raise RuntimeError(f"openvino-genai timestamped {len(stamps)} tokens where {expected} were generated "
                           f"(raw_metrics.m_new_token_times).")
    for unit in _UNITS_NS:
        times = [round(s * unit) for s in stamps]
        if t0 - _CLOCK_SLACK_NS <= times[0] and times[-1] <= t1 + _CLOCK_SLACK_NS and times == sorted(times):
            return [min(max(t, t0), t1) for t in times]
    raise RuntimeError("openvino-genai's token timestamps (raw_metrics.m_new_token_times) fall outside this "
                       "process's generate() window in ms and in us: not on the perf_counter clock, so the tokens "
                       "cannot be timed.")


def prefill_inference_ns(infer_us: list[float], gen_tokens: int) -> int:
    """The inferences before the first token (us -> ns): every token after the first is one inference, so the
    ones before those processed the prompt (one, or several where the prompt was split into chunks)."""
    k = len(infer_us) - (gen_tokens - 1)
    if k < 1:
        raise RuntimeError(f"openvino-genai reported {len(infer_us)} inferences for {gen_tokens} tokens "
                           f"(raw_metrics.token_infer_durations): fewer than one per token.")
    return round(sum(infer_us[:k]) * 1e3)


def _generation_config(module, gen_tokens: int):
    """Greedy, exactly gen_tokens new tokens whatever the model's end token (ignore_eos)."""
    config = module.GenerationConfig()
    config.max_new_tokens = config.min_new_tokens = gen_tokens
    config.ignore_eos = True
    config.do_sample = False
    return config


def _CancelStreamer(module, cancel):  # noqa: N802 - a class made on first use (openvino_genai imports late)
    """A StreamerBase that only stops the generation when the run is cancelled (it sees no text)."""

    class CancelStreamer(module.StreamerBase):
        def __init__(self) -> None:
            super().__init__()
            self.cancelled = False

        def write(self, token):
            if cancel.is_set():
                self.cancelled = True
                return module.StreamingStatus.CANCEL
            return module.StreamingStatus.RUNNING

        def end(self) -> None:
            pass

    return CancelStreamer()


def _identity(folder) -> ModelInfo:
    xml = folder.model_xml
    size = xml.stat().st_size + xml.with_suffix(".bin").stat().st_size
    return ModelInfo(path=str(folder.folder), name=folder.folder.name, size_bytes=size,
                     producer="OpenVINO IR (openvino_model.xml)")
