"""The record's `genai` section: a generative model's prompt processing, first token and decode speed.

Written by `aipcprof run MODEL_DIR --target genai/...` (docs/genai.md). One `GenAIPromptResult` per
prompt length; times in seconds, rates per second. A figure that was not measured is None with the reason
beside it (`energy_reason`), never 0.

What each figure times, in the worker (app/run/genai_loop.py), for one generation:

    setup    og.Generator(model, params): the generator and its KV cache
    prefill  generator.append_tokens(prompt): the prompt through the model
    TTFT     from before the generator is created to the first generated token in hand
             (setup + prefill + the first generate_next_token); tokenising the prompt is not in it
    decode   each later generate_next_token() + get_next_tokens(), one per generated token;
             decode tokens/s = tokens after the first / wall time from the first token to the last
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.record.typed import FloatArray, Section

ONNXRUNTIME_GENAI, OPENVINO_GENAI = "onnxruntime-genai", "openvino-genai"  # GenAI.runtime

@dataclass
class GenAIStage(Section):
    """One stage of a decoder pipeline (model.decoder.pipeline): its file and what its weights are."""

    name: str = ""  # "embeddings", "transformer", "lm_head", ... (the stage's key in the config)
    filename: str = ""
    precision: str = ""  # "fp32", "QNN context binary (EPContext)", ...
    parameters: int | None = None  # None for packed or context-binary weights
    provider_requested: str = ""  # its own session options' provider, else the decoder's
    own_session_options: bool = False  # then the target did not replace its provider (nor the thread count)
    run_on_prompt: bool = True
    run_on_token_gen: bool = True
    is_lm_head: bool = False


@dataclass
class GenAIModel(Section):
    """The model card of a generative model folder, from its genai_config.json and ONNX weights."""

    folder: str = ""
    config_file: str = ""  # genai_config.json
    model_type: str = ""  # model.type: "phi3", "llama", "qwen2", "decoder", ...
    decoder_file: str = ""  # model.decoder.filename; a pipeline's stage files joined with " + "
    layers: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_size: int | None = None
    hidden_size: int | None = None
    context_length: int | None = None
    vocab_size: int | None = None
    precision: str = ""  # from the ONNX weights: "fp32", "fp16", "int4 (MatMulNBits) + fp16", ...
    parameters: int | None = None  # elements of the decoder's weights; None for packed (MatMulNBits) weights
    provider_requested: str = ""  # what the config's session options ask for ("cpu" when they name none)
    tokenizer: str = ""  # the tokenizer files found ("tokenizer.json")
    stages: list[GenAIStage] = field(default_factory=list)  # a decoder pipeline's stages; empty for one file

    ALWAYS = ("layers", "attention_heads", "kv_heads", "context_length", "vocab_size")


@dataclass
class GenAISettings(Section):
    """What was asked: prompt lengths in tokens, tokens to generate, where the prompt came from."""

    prompt_tokens: list[int] = field(default_factory=list)
    gen_tokens: int = 128
    prompt_file: str | None = None  # --prompt-file: its text, cut or repeated to each length in tokens
    prompt_source: str = ""  # "synthetic (the model's own tokenizer)" | "--prompt-file FILE"
    iterations: int = 3  # measured generations per prompt length
    warmup: int = 1  # generations per prompt length before the measured ones

    ALWAYS = ("prompt_file",)


@dataclass
class GenAIPromptResult(Section):
    """Every measured generation at one prompt length."""

    prompt_tokens: int
    generations: int = 0  # measured generations that finished
    generated_tokens: int = 0  # tokens per generation (the first one included)
    setup_s: FloatArray = field(default_factory=lambda: np.zeros(0))  # one per generation
    prefill_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    ttft_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    decode_window_s: FloatArray = field(default_factory=lambda: np.zeros(0))  # first token to last
    # median over the generations
    prefill_median_s: float | None = None
    prompt_tokens_per_s: float | None = None  # prompt_tokens / prefill_median_s
    ttft_median_s: float | None = None
    ttft_p90_s: float | None = None
    # over every decode step of every generation
    decode_steps: int = 0
    decode_p50_s: float | None = None
    decode_p90_s: float | None = None
    decode_p99_s: float | None = None
    decode_mean_s: float | None = None
    decode_tokens_per_s: float | None = None  # decode steps / sum of decode windows
    rss_bytes: int | None = None  # the worker's resident memory at the last token of the last generation
    energy_j_per_token: float | None = None  # the generations' energy / their generated tokens
    energy_reason: str = ""  # why energy_j_per_token is None
    window_t0_ns: int | None = None  # first generation's start (perf_counter ns, the sampler's clock)
    window_t1_ns: int | None = None  # last generation's end

    ALWAYS = ("prompt_tokens_per_s", "ttft_median_s", "decode_p50_s", "decode_tokens_per_s", "energy_j_per_token")


@dataclass
class GenAI(Section):
    """A generative model's run: its card, what was asked, and one result per prompt length."""

    model: GenAIModel = field(default_factory=GenAIModel)
    settings: GenAISettings = field(default_factory=GenAISettings)
    provider: str = ""  # onnxruntime-genai's provider ("cpu", "cuda", "qnn", ...) or openvino-genai's device ("CPU")
    runtime: str = ONNXRUNTIME_GENAI  # or OPENVINO_GENAI (an ov-genai/ target: an OpenVINO IR LLM folder)
    runtime_version: str = ""  # that runtime's version
    results: list[GenAIPromptResult] = field(default_factory=list)
    peak_rss_bytes: int | None = None  # the worker's peak resident memory over the whole run (OS high-water mark)
    peak_rss_reason: str = ""  # why peak_rss_bytes is None
    sample_text: str = ""  # the last generation's text (untrusted: escape it), cut to SAMPLE_TEXT_CHARS
    notes: list[str] = field(default_factory=list)

    ALWAYS = ("peak_rss_bytes",)

    def result(self, prompt_tokens: int) -> GenAIPromptResult | None:
        return next((r for r in self.results if r.prompt_tokens == prompt_tokens), None)

    def runtime_text(self) -> str:
        """'onnxruntime-genai 0.18.0, provider cpu' / 'openvino-genai 2026.4.1.0, device CPU'."""
        where = "device" if self.runtime == OPENVINO_GENAI else "provider"
        return f"{self.runtime or ONNXRUNTIME_GENAI} {self.runtime_version or '?'}, {where} {self.provider or '?'}"


SAMPLE_TEXT_CHARS = 2000
