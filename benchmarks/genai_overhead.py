"""The app's decode time per token vs a bare onnxruntime-genai generate loop, on the same model in one run.

Goal (issue 16): the harness adds under 2% to the decode time per token.

Both sides time a generation the same way: decode time per token = (last token's time - first token's
time) / (tokens after the first), so everything the loop does between tokens counts. The bare loop runs
in a spawned process of its own (a fresh process, as the app's worker is): generate_next_token() +
get_next_tokens() and nothing else. The app runs in its spawned
worker exactly as `aipcprof run MODEL_DIR` does (clock reads, batches streamed to the parent every ~100 ms,
the cancel flag), and its figure comes from the record's decode windows (decode_window_s). Rounds alternate bare/app so
drift hits both; the ratio is the median over round pairs. On a shared machine that ratio swings with the
other load, so a second figure is taken inside the app's own generations, at the same moments: the
decode windows over the sum of the timed steps (each generate_next_token() + get_next_tokens()), i.e. the
share the loop adds between tokens.

Two model folders built by tests/genai_model.py: the tiny test decoder (hidden 64: tens of us per token,
where any per-token cost shows most) and a larger one (hidden 512, 4 layers: ~1 ms per token, where the
app also streams the text at each flush).

    python benchmarks/genai_overhead.py [--rounds 5] [--gen-tokens 256] [--generations 3] [--threads 1]
                                        [--runtime onnxruntime-genai|ov-genai]

`--runtime ov-genai`: the same comparison for openvino-genai on the same two models as OpenVINO IR LLM folders
(tests/ov_genai_model.py). The bare side is LLMPipeline.generate() with no streamer; the app's is
`aipcprof run OVDIR --target ov-genai/cpu` (with its cancel streamer). Both take the per-token time from the
same place, openvino-genai's token timestamps (raw_metrics.m_new_token_times): (last - first) / tokens after the
first. The app's decode steps are the gaps between those timestamps, so there is no inside-the-app figure; instead
the one thing the app adds per token, its cancel streamer, is measured alone in one process: generations with it
and without it alternating, the ratio of their per-token times (median over the pairs; less swayed by other load).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import _run

PROMPT = 64


def bare_per_token(folder: Path, gen_tokens: int, generations: int, threads: int) -> float:
    """Median over generations of the decode window / decode steps, seconds per token."""
    import json

    import onnxruntime_genai as og

    config = og.Config(str(folder))
    config.overlay(json.dumps({"model": {"decoder": {"session_options": {"intra_op_num_threads": threads}}}}))
    model = og.Model(config)
    tok = og.Tokenizer(model)
    ids = np.resize(np.asarray(tok.encode("The profiler measures the decode speed of this model."), np.int32),
                    PROMPT)
    clock = time.perf_counter_ns
    per_token = []
    for i in range(generations + 1):  # the first one warms up
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=PROMPT + gen_tokens, min_length=PROMPT + gen_tokens)
        gen = og.Generator(model, params)
        gen.append_tokens(ids)
        gen.generate_next_token()
        gen.get_next_tokens()
        first = clock()
        for _ in range(gen_tokens - 1):
            gen.generate_next_token()
            gen.get_next_tokens()
        if i:
            per_token.append((clock() - first) / (gen_tokens - 1) / 1e9)
    return float(np.median(per_token))


def bare_ov_per_token(folder: Path, gen_tokens: int, generations: int, threads: int) -> float:
    """LLMPipeline.generate() with nothing else: median over generations of openvino-genai's own
    (last token - first token) / tokens after the first."""
    import openvino as ov
    import openvino_genai

    pipe = openvino_genai.LLMPipeline(str(folder), "CPU", INFERENCE_NUM_THREADS=str(threads))
    tok = pipe.get_tokenizer()
    ids = np.resize(tok.encode("The profiler measures the decode speed of this model.",
                               add_special_tokens=False).input_ids.data[0], PROMPT).astype(np.int64)
    config = openvino_genai.GenerationConfig()
    config.max_new_tokens = config.min_new_tokens = gen_tokens
    config.ignore_eos, config.do_sample = True, False
    per_token = []
    for i in range(generations + 1):  # the first one warms up
        times = pipe.generate(ov.Tensor(ids[None]), config).perf_metrics.raw_metrics.m_new_token_times
        if i:
            per_token.append((times[-1] - times[0]) / 1e3 / (gen_tokens - 1))  # ms -> s
    return float(np.median(per_token))


def streamer_cost(folder: Path, gen_tokens: int, pairs: int, threads: int) -> tuple[float, float, float]:
    """(median, min, max) over alternating pairs of per-token time with the app's cancel streamer / without."""
    import threading

    import openvino as ov
    import openvino_genai

    from app.run.ov_genai_loop import _CancelStreamer, _generation_config

    pipe = openvino_genai.LLMPipeline(str(folder), "CPU", INFERENCE_NUM_THREADS=str(threads))
    prompt = ov.Tensor(np.resize(np.arange(30, 94, dtype=np.int64), PROMPT)[None])
    config, cancel = _generation_config(openvino_genai, gen_tokens), threading.Event()

    def per_token(streamer) -> float:
        times = pipe.generate(prompt, config, streamer).perf_metrics.raw_metrics.m_new_token_times
        return (times[-1] - times[0]) / (gen_tokens - 1)

    per_token(None)  # warm-up
    ratios = [per_token(_CancelStreamer(openvino_genai, cancel)) / per_token(None) for _ in range(pairs)]
    return float(np.median(ratios)), min(ratios), max(ratios)


def app_per_token(folder: Path, gen_tokens: int, generations: int, threads: int,
                  target: str = "genai/cpu") -> float:
    from app.run.genai_spec import GenAISpec, build_genai_spec
    from app.run.spec_builder import DEFAULTS

    spec = build_genai_spec(str(folder), target, DEFAULTS.copy(threads=threads), GenAISpec(prompt_tokens=[PROMPT],
                                                                          gen_tokens=gen_tokens),
                            iterations=generations, warmup=1)
    record = _run(spec)
    if record.status.value != "completed":
        raise SystemExit(f"app run failed: {record.error}")
    r = record.genai.results[0]
    # within the same generations: the decode windows over the sum of the timed steps (the runtime's own
    # work); what is left is the loop's between-step cost, measured at the same moments (load-robust)
    between = float(np.sum(r.decode_window_s)) / (r.decode_steps * r.decode_mean_s)
    return float(np.median(np.asarray(r.decode_window_s) / (gen_tokens - 1))), between


def bare_in_a_fresh_process(folder: Path, gen_tokens: int, generations: int, threads: int, ov: bool = False) -> float:
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(bare_ov_per_token if ov else bare_per_token, (folder, gen_tokens, generations, threads))


def measure(name: str, folder: Path, gen_tokens: int, generations: int, rounds: int, threads: int,
            ov: bool = False) -> None:
    bare, app, between = [], [], []
    for _ in range(rounds):
        bare.append(bare_in_a_fresh_process(folder, gen_tokens, generations, threads, ov))
        per_token, inner = app_per_token(folder, gen_tokens, generations, threads,
                                         "ov-genai/cpu" if ov else "genai/cpu")
        app.append(per_token)
        between.append(inner)
    b, a = np.array(bare), np.array(app)
    ratios = a / b
    print(f"{name:28s} bare {np.median(b) * 1e6:9.2f} us/token   app {np.median(a) * 1e6:9.2f} us/token   "
          f"ratio {np.median(ratios):.4f} (pairs {ratios.min():.3f}..{ratios.max():.3f})   "
          f"({rounds} round pairs, {generations} generations of {gen_tokens} tokens after a {PROMPT}-token prompt)")
    if ov:  # the app's steps are the gaps between openvino-genai's timestamps: window / steps is 1 by definition
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(1) as pool:
            med, lo, hi = pool.apply(streamer_cost, (folder, gen_tokens, 4 * rounds * generations, threads))
        print(f"{'':28s} with the app's cancel streamer / without, in one process: {med:.4f} "
              f"(pairs {lo:.3f}..{hi:.3f}, {4 * rounds * generations} alternating pairs)")
        return
    print(f"{'':28s} app's decode window / its timed steps: {np.median(between):.4f} "
          f"(rounds {min(between):.4f}..{max(between):.4f}): the loop's own cost between tokens")


def main() -> None:
    from tests.genai_model import TinyConfig

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gen-tokens", type=int, default=256)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads on both sides (default 1: on a "
                                                           "shared machine, fewer threads contend less)")
    ap.add_argument("--runtime", choices=("onnxruntime-genai", "ov-genai"), default="onnxruntime-genai",
                    help="onnxruntime-genai (genai/cpu, a genai_config.json folder) or openvino-genai (ov-genai/cpu, "
                         "an OpenVINO IR LLM folder)")
    args = ap.parse_args()
    ov = args.runtime == "ov-genai"
    if ov:
        from tests.ov_genai_model import build
    else:
        from tests.genai_model import build
    root = Path(tempfile.mkdtemp(prefix="aipcprof-genai-bench-"))
    tiny = build(root / "tiny")
    larger = build(root / "larger", TinyConfig(layers=4, hidden=512, heads=8, mlp=2048))
    print(f"runtime: {args.runtime}; {'inference' if ov else 'intra-op'} threads: {args.threads} on both sides")
    measure("tiny (hidden 64, 2 layers)", tiny, args.gen_tokens, args.generations, args.rounds, args.threads, ov)
    measure("larger (hidden 512, 4 layers)", larger, args.gen_tokens, args.generations, args.rounds, args.threads,
            ov)


if __name__ == "__main__":
    main()
