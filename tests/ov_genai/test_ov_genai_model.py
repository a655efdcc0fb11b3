"""The OpenVINO IR LLM folder the tests build is a real one: openvino-genai loads it, generates exactly the
tokens asked for, and picks the same tokens as onnxruntime-genai on the same weights (greedy, fp32)."""

from __future__ import annotations

import numpy as np
import pytest

from tests import ov_genai_model

PROMPT = "An AI PC runs language models on its own CPU, GPU and NPU."
F32 = {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"}


def _ov_generate(folder, ids: np.ndarray, n: int) -> list[int]:
    import openvino as ov
    import openvino_genai

    pipe = openvino_genai.LLMPipeline(str(folder), "CPU", **F32)
    config = openvino_genai.GenerationConfig()
    config.max_new_tokens = config.min_new_tokens = n
    config.ignore_eos, config.do_sample = True, False
    return [int(t) for t in pipe.generate(ov.Tensor(ids.astype(np.int64)[None]), config).tokens[0]]


def _ort_generate(folder, ids: np.ndarray, n: int) -> list[int]:
    import onnxruntime_genai as og

    model = og.Model(str(folder))
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=ids.size + n, min_length=ids.size + n)
    gen = og.Generator(model, params)
    gen.append_tokens(ids.astype(np.int32))
    out = []
    while not gen.is_done():
        gen.generate_next_token()
        out.append(int(gen.get_next_tokens()[0]))
    return out


def test_the_ir_is_a_stateful_llm(ov_genai_built):
    import openvino as ov

    model = ov.Core().read_model(str(ov_genai_built / "openvino_model.xml"))
    assert sorted(i.get_any_name() for i in model.inputs) == ["attention_mask", "beam_idx", "input_ids",
                                                              "position_ids"]
    assert [o.get_any_name() for o in model.outputs] == ["logits"]
    assert len([op for op in model.get_ops() if op.get_type_name() == "ReadValue"]) == 4  # 2 layers x key, value
    for name in ("openvino_tokenizer", "openvino_detokenizer", "openvino_model"):
        assert (ov_genai_built / f"{name}.xml").is_file() and (ov_genai_built / f"{name}.bin").is_file()


def test_same_tokens_as_onnxruntime_genai(ov_genai_built, genai_built):
    import onnxruntime_genai as og
    import openvino_genai

    ort_ids = np.asarray(og.Tokenizer(og.Model(str(genai_built))).encode(PROMPT))
    ov_tok = openvino_genai.Tokenizer(str(ov_genai_built))
    ov_ids = np.asarray(ov_tok.encode(PROMPT, add_special_tokens=False).input_ids.data[0])
    assert ov_ids.tolist() == ort_ids.tolist()  # the tokenizer IR encodes as tokenizer.json does
    ids = np.resize(ort_ids, 48)
    ov_tokens = _ov_generate(ov_genai_built, ids, 40)
    assert len(ov_tokens) == 40  # exactly as many as asked (min = max new tokens, end token ignored)
    assert ov_tokens == _ort_generate(genai_built, ids, 40)  # the stateful KV cache decodes as the ONNX one
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(genai_built / "tokenizer.json"))
    assert ov_tok.decode(ov_tokens) == reference.decode(ov_tokens)  # the detokenizer IR decodes as tokenizer.json


def test_the_build_is_deterministic(ov_genai_built, tmp_path):
    again = ov_genai_model.build(tmp_path / "again")
    for name in ("openvino_model.bin", "openvino_tokenizer.bin", "config.json"):
        assert (again / name).read_bytes() == (ov_genai_built / name).read_bytes(), name


@pytest.mark.parametrize("unit", [1e6, 1e3])
def test_token_times_in_either_unit(unit):
    from app.run.ov_genai_loop import token_times_ns

    t0 = 5_000_000_000
    stamps = [(t0 + 2_000_000 + i * 300_000) / unit for i in range(4)]
    assert token_times_ns(stamps, t0, t0 + 10_000_000, 4) == [t0 + 2_000_000 + i * 300_000 for i in range(4)]


def test_token_times_off_the_clock_are_refused():
    from app.run.ov_genai_loop import prefill_inference_ns, token_times_ns

    with pytest.raises(RuntimeError, match="outside this process's generate"):
        token_times_ns([1.0, 2.0], 5_000_000_000, 5_010_000_000, 2)
    with pytest.raises(RuntimeError, match="timestamped 1 tokens where 2"):
        token_times_ns([1.0], 0, 1, 2)
    assert prefill_inference_ns([500.0, 100.0, 100.0], 3) == 500_000  # one inference per later token
    assert prefill_inference_ns([200.0, 300.0, 100.0, 100.0], 3) == 500_000  # a prompt in two chunks
    with pytest.raises(RuntimeError, match="fewer than one per token"):
        prefill_inference_ns([100.0], 3)
