"""The generative-model run in the worker: prompts, warm-up and the measured generations.

Called by app.run.worker for a RunSpec with `genai_spec`; the same process, pipe, phases, cancel and
parent watchdog as every run. The record's `genai` section says what each figure times.

The decode loop holds, per token, two clock reads, one generate_next_token(), one get_next_tokens() and
three list appends. Every ~100 ms it sends the steps so far as a `LatencyBatch` (the live chart) and looks
at the cancel flag. Text is decoded at those flushes only when a token takes 1 ms or more (then it costs
under 0.1% of the decode time); a faster model's text is decoded once its generation is over, outside the
timed window. benchmarks/genai_overhead.py compares this loop with a bare one.
"""

from __future__ import annotations

import os
import time
from array import array
from dataclasses import asdict

import numpy as np

from app.common.errors import UserError
from app.record.genai_schema import SAMPLE_TEXT_CHARS, GenAI, GenAIModel, GenAISettings
from app.record.schema import ModelInfo, Phase, SessionInfo
from app.run.genai_spec import GenAISpec, check_context
from app.run.messages import (
    GenAIStarted,
    GeneratedText,
    GenerationMeasured,
    LatencyBatch,
    ModelIdentity,
    SessionOpened,
)

# Decode steps go to the parent every 100 ms (10 chart updates a second). Each send wakes the parent; on a
# loaded machine the woken parent can take the worker's core for a moment, time that lands between two
# tokens, so fewer sends cost less (benchmarks/genai_overhead.py).
BATCH_NS = 100_000_000
STREAM_TEXT_MIN_STEP_NS = 1_000_000  # decode text at each flush only when a token takes at least this long
# The synthetic prompt's source text, encoded with the model's own tokenizer and repeated to each length.
SYNTHETIC_TEXT = ("An AI PC runs language models on its own CPU, GPU and NPU. This profiler measures how fast "
                  "the prompt is processed, how long the first token takes, how many tokens per second the "
                  "model generates after it, how much memory that needs and how much energy each token costs. ")


class GenAIRun:
    context_source = "model.context_length in genai_config.json"  # named when a prompt is too long

    def __init__(self, worker) -> None:
        self.w = worker  # app.run.worker._Worker: its pipe, phases, cancel flag
        self.spec = worker.spec
        self.gs = GenAISpec.from_dict(self.spec.genai_spec)

    def run(self) -> None:
        from app.engines.genai_engine import open_generator
        from app.engines.registry import find_target
        from app.model.genai_folder import check_stage_providers, open_genai_folder
        from app.probes.conditions import ConditionsMeter

        w, spec = self.w, self.spec
        folder = w._phase(Phase.LOAD, lambda: open_genai_folder(spec.model_path))
        w.conn.send(ModelIdentity(_identity(folder)))
        self.gs.check(folder.card.context_length)
        target = find_target(spec.target_id)
        check_stage_providers(folder.card, target.id, target.provider)  # the GUI's runs come this way
        rt = w._phase(Phase.COMPILE, lambda: open_generator(str(folder.folder), target, dict(spec.ep_options),
                                                           spec.threads))
        w.conn.send(SessionOpened(SessionInfo(providers=[rt.provider], precision=folder.card.precision,
                                              effective_options=dict(rt.effective_options)), None))
        prompts = self._prompts(rt, folder.card.context_length)
        w.conn.send(GenAIStarted(self._section(folder.card, rt, list(prompts))))
        w._phase(Phase.WARMUP, lambda: self._warmup(rt, prompts), {"count": spec.warmup * len(prompts)})
        w._measured(ConditionsMeter(profiler_pid=w.parent_pid), lambda: self._measure(rt, prompts))

    # -- prompts ------------------------------------------------------------------------------------------
    def _prompts(self, rt, context: int | None) -> dict[int, np.ndarray]:
        """Prompt length -> token ids (int32), exactly that many, from the model's own tokenizer."""
        text, where = SYNTHETIC_TEXT, "the synthetic prompt"
        if self.gs.prompt_file:
            text, where = _read_prompt_file(self.gs.prompt_file), f"--prompt-file {self.gs.prompt_file}"
        ids = np.asarray(rt.tokenizer.encode(text), dtype=np.int32)
        if ids.size == 0:
            raise UserError(f"{where}: the tokenizer made no tokens of it.", hint="Give a file with some text.")
        lengths = self.gs.prompt_tokens
        out = {}
        for n in lengths:
            if context:
                check_context(n, self.gs.gen_tokens, context, self.context_source)
            out[n] = np.resize(ids, n)  # cut, or repeated to length
        return out

    def _section(self, card, rt, lengths: list[int]) -> GenAI:
        source = f"--prompt-file {self.gs.prompt_file}" if self.gs.prompt_file else \
            "synthetic: a fixed English passage encoded with the model's own tokenizer, repeated to each length"
        return GenAI(model=GenAIModel.from_json(asdict(card), "genai.model"), provider=rt.provider,
                     runtime_version=getattr(rt.og, "__version__", ""),
                     settings=GenAISettings(prompt_tokens=lengths, gen_tokens=self.gs.gen_tokens,
                                            prompt_file=self.gs.prompt_file, prompt_source=source,
                                            iterations=self.spec.iterations or 1, warmup=self.spec.warmup))

    # -- generations ----------------------------------------------------------------------------------------
    def _warmup(self, rt, prompts: dict[int, np.ndarray]) -> None:
        for n, ids in prompts.items():
            for i in range(self.spec.warmup):
                if self._generate(rt, ids, n, i, measured=False) is None:
                    return

    def _measure(self, rt, prompts: dict[int, np.ndarray]) -> None:
        for n, ids in prompts.items():
            for i in range(self.spec.iterations or 1):
                if self.w.cancel.is_set():
                    return  # keep what was measured; the parent marks the run cancelled
                done = self._generate(rt, ids, n, i, measured=True)
                if done is None:
                    return
                self.w.conn.send(done)

    def _generate(self, rt, ids: np.ndarray, n: int, iteration: int, *, measured: bool) -> GenerationMeasured | None:
        """One generation of exactly gen_tokens tokens; None when cancelled part way."""
        og, clock = rt.og, time.perf_counter_ns
        gen_tokens = self.gs.gen_tokens
        t0 = clock()
        params = og.GeneratorParams(rt.model)
        total = int(ids.size) + gen_tokens
        params.set_search_options(max_length=total, min_length=total)  # exactly gen_tokens, end token or not
        gen = og.Generator(rt.model, params)
        p0 = clock()
        gen.append_tokens(ids)
        p1 = clock()
        gen.generate_next_token()
        tokens = [gen.get_next_tokens()[0]]
        first = clock()
        starts, ends = array("q"), array("q")
        out = _Stream(self.w.conn.send if measured else None, rt.tokenizer, n, iteration, first)
        for _ in range(gen_tokens - 1):
            s = clock()
            gen.generate_next_token()
            tokens.append(gen.get_next_tokens()[0])
            e = clock()
            starts.append(s)
            ends.append(e)
            if e - out.flushed_at >= BATCH_NS:
                out.flush(starts, ends, tokens)
                if self.w.cancel.is_set():
                    return None
        rss, peak = _memory()
        del gen
        text = rt.tokenizer.decode(np.asarray(tokens, np.int32))[:SAMPLE_TEXT_CHARS]
        durations = out.finish(starts, ends, tokens, text)
        return GenerationMeasured(prompt_tokens=n, iteration=iteration, t0_ns=t0, prefill_t0_ns=p0, prefill_t1_ns=p1,
                                  first_token_ns=first, last_token_ns=ends[-1] if ends else first, decode_ns=durations,
                                  rss_bytes=rss, peak_rss_bytes=peak, text=text)


class _Stream:
    """What a measured generation sends while it decodes: its steps as LatencyBatches, and its text in pieces
    when a token takes STREAM_TEXT_MIN_STEP_NS or more (decided at the first flush, for the whole generation);
    else the whole text once it is over. `send` None: a warm-up generation, nothing is sent."""

    def __init__(self, send, tokenizer, n: int, iteration: int, first_ns: int) -> None:
        self.send, self.tokenizer, self.n, self.iteration = send, tokenizer, n, iteration
        self.first_ns = self.flushed_at = first_ns
        self.flushed = 0  # decode steps sent
        self.streamed = 0  # tokens whose text was sent
        self.stream_text: bool | None = None

    def flush(self, starts: array, ends: array, tokens: list) -> None:
        if self.send is not None:
            k = self.flushed
            self.send(LatencyBatch(starts[k:], array("q", (b - a for a, b in zip(starts[k:], ends[k:])))))
            if self.stream_text is None:
                self.stream_text = (ends[-1] - self.first_ns) // len(ends) >= STREAM_TEXT_MIN_STEP_NS
            if self.stream_text:
                self._text(tokens)
        self.flushed, self.flushed_at = len(starts), time.perf_counter_ns()

    def _text(self, tokens: list) -> None:
        piece = self.tokenizer.decode(np.asarray(tokens[self.streamed:], np.int32))
        self.send(GeneratedText(self.n, self.iteration, piece, new_generation=self.streamed == 0))
        self.streamed = len(tokens)

    def finish(self, starts: array, ends: array, tokens: list, text: str) -> array:
        """The last steps and text out; every step's duration (ns)."""
        durations = array("q", (b - a for a, b in zip(starts, ends)))
        if self.send is None:
            return durations
        if self.flushed < len(starts):
            self.send(LatencyBatch(starts[self.flushed:], durations[self.flushed:]))
        if self.stream_text:
            if self.streamed < len(tokens):
                self._text(tokens)
        else:
            self.send(GeneratedText(self.n, self.iteration, text, new_generation=True))
        return durations


def _identity(folder) -> ModelInfo:
    from app.model.model_file import load_model

    proto = load_model(folder.decoder_path)  # a pipeline's largest stage
    size = sum(f.stat().st_size for f in folder.files)  # every decoder file (a pipeline's stages)
    return ModelInfo(path=str(folder.folder), name=folder.folder.name, size_bytes=size,
                     ir_version=proto.ir_version, opsets={o.domain or "ai.onnx": o.version for o in proto.opset_import},
                     graph_name=proto.graph.name or None, producer=proto.producer_name or None)


def _read_prompt_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(1 << 20)
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"--prompt-file {path}: cannot be read ({e.__class__.__name__}).",
                        hint="Give a UTF-8 text file.") from None


def _memory() -> tuple[int | None, int | None]:
    """(resident, peak resident) bytes of this process; None where the OS does not say."""
    import psutil

    info = psutil.Process().memory_info()
    peak = getattr(info, "peak_wset", None)  # Windows: the OS's high-water mark
    if peak is None and os.name == "posix":
        import resource
        import sys

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = maxrss if sys.platform == "darwin" else maxrss * 1024  # macOS: bytes; Linux: KiB
    # the kernel updates its high-water mark lazily: it may trail the resident size read just now
    return int(info.rss), max(int(peak), int(info.rss)) if peak is not None else None
