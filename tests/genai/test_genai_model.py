"""The test model folder is a real generative model: onnxruntime-genai loads it, tokenizes and generates,
and its KV cache gives the same tokens as recomputing the whole sequence each step."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import onnxruntime_genai as og

from tests import genai_model


def _full_logits(session: ort.InferenceSession, ids: list[int], cfg: dict) -> np.ndarray:
    """The decoder on the whole sequence with an empty cache: the reference for the cached steps."""
    dec = cfg["model"]["decoder"]
    n = len(ids)
    feeds = {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, n), np.int64),
             "position_ids": np.arange(n, dtype=np.int64)[None]}
    empty = np.zeros((1, dec["num_key_value_heads"], 0, dec["head_size"]), np.float32)
    for i in range(dec["num_hidden_layers"]):
        feeds[f"past_key_values.{i}.key"] = feeds[f"past_key_values.{i}.value"] = empty
    return session.run(["logits"], feeds)[0]


def test_onnxruntime_genai_generates_with_it(genai_built):
    cfg = json.loads((genai_built / "genai_config.json").read_text())
    model = og.Model(str(genai_built))
    tok = og.Tokenizer(model)
    prompt = list(tok.encode("The profiler measures the time to first token"))
    assert len(prompt) > 3 and tok.decode(np.array(prompt, np.int32)) == "The profiler measures the time to first token"
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(prompt) + 12, min_length=len(prompt) + 12)
    gen = og.Generator(model, params)
    gen.append_tokens(np.array(prompt, np.int32))
    out = []
    while not gen.is_done():
        gen.generate_next_token()
        out.append(int(gen.get_next_tokens()[0]))
    assert len(out) == 12 and all(0 <= t < cfg["model"]["vocab_size"] for t in out)
    # greedy decoding without the cache (the whole sequence each step) picks the same tokens
    session = ort.InferenceSession(str(genai_built / "model.onnx"), providers=["CPUExecutionProvider"])
    seq = list(prompt)
    for expected in out:
        nxt = int(np.argmax(_full_logits(session, seq, cfg)[0, -1]))
        assert nxt == expected
        seq.append(nxt)
    assert len(set(out)) > 1  # random weights, not a constant


def test_the_build_is_deterministic(tmp_path):
    a, b = genai_model.build(tmp_path / "a"), genai_model.build(tmp_path / "b")
    for name in ("model.onnx", "tokenizer.json", "genai_config.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    a, b = (genai_model.build(tmp_path / f"pipe-{x}", variant="pipeline") for x in "ab")
    for name in ("embeddings.onnx", "transformer.onnx", "lm_head.onnx", "genai_config.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
