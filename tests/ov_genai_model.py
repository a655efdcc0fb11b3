"""A real OpenVINO IR LLM folder for openvino-genai, built offline: `python -m tests.ov_genai_model OUT`.

The same tiny decoder and byte-level BPE as tests/genai_model.py (same seed, so the same weights and
tokens), made into what openvino-genai's LLMPipeline reads, the way optimum-intel exports a model:

* openvino_model.xml/.bin: the ONNX decoder read with OpenVINO's ONNX frontend, then made stateful as
  optimum-intel's exporters/openvino/stateful.py does: a `beam_idx` input whose Gather reorders every
  cache input along the batch axis (fuse_cache_reorder), the past/present pairs turned into
  ReadValue/Assign variables (`apply_make_stateful_transformation`), and each variable's initial value a
  zero tensor of batch x heads x 0 x head_size (build_state_initializer). Inputs: input_ids,
  attention_mask, position_ids, beam_idx; output: logits.
* openvino_tokenizer.xml / openvino_detokenizer.xml: the BPE as openvino_tokenizers pipeline steps,
  assembled here from the tokenizer.json the way openvino_tokenizers' HF parser assembles them
  (ByteLevel split, bytes-to-chars, BPE; vocab decoder, chars-to-bytes, UTF-8 check), without
  `transformers` (its convert_tokenizer() takes only a transformers tokenizer).
* config.json (Hugging Face style: what the model card reads) and generation_config.json.

Nothing is downloaded. tests/ov_genai/test_ov_genai_model.py checks that openvino-genai generates with it
and picks the same tokens as onnxruntime-genai on the ONNX folder (greedy).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from tests.genai_model import EOS, TinyConfig, decoder, train_tokenizer

KV_BATCH_AXIS = 0  # past_key_values.%d.* are [batch, heads, past, head_size]


def stateful_model(onnx_path: Path, layers: int):
    """The ONNX decoder as a stateful OpenVINO model (optimum-intel's fuse_cache_reorder + make_stateful)."""
    import openvino as ov
    from openvino import opset13
    from openvino._offline_transformations import apply_make_stateful_transformation

    model = ov.Core().read_model(str(onnx_path))
    past = [f"past_key_values.{i}.{p}" for i in range(layers) for p in ("key", "value")]
    present = [f"present.{i}.{p}" for i in range(layers) for p in ("key", "value")]
    batch = model.input("input_ids").get_partial_shape()[0]
    beam_idx = opset13.parameter(name="beam_idx", dtype=ov.Type.i32, shape=ov.PartialShape([batch]))
    beam_idx.output(0).get_tensor().add_names({"beam_idx"})
    model.add_parameters([beam_idx])
    for name in past:  # the cache reorder: each cache input gathered by beam_idx along the batch axis
        port = model.input(name)
        consumers = port.get_target_inputs()
        gather = opset13.gather(port, beam_idx, opset13.constant(KV_BATCH_AXIS))
        for consumer in consumers:
            consumer.replace_source_output(gather.output(0))
    model.validate_nodes_and_infer_types()
    apply_make_stateful_transformation(model, dict(zip(past, present)))
    _state_initializers(model)
    return model


def _state_initializers(model) -> None:
    """Each ReadValue starts as zeros of [batch of input_ids, heads, 0, head_size] (build_state_initializer)."""
    import openvino as ov  # noqa: F401 - opset13 needs the package initialised
    from openvino import opset13

    ids = model.input("input_ids")
    batch = opset13.gather(opset13.shape_of(ids, output_type="i64"), opset13.constant([0]), opset13.constant(0))
    for op in model.get_ops():
        if op.get_type_name() == "ReadValue":
            dims = [d.min_length for d in op.get_output_partial_shape(0)]
            parts = [batch if i == KV_BATCH_AXIS else opset13.constant(np.array([d], np.int64))
                     for i, d in enumerate(dims)]
            zeros = opset13.broadcast(opset13.constant(0.0, dtype=op.get_output_element_type(0)),
                                      opset13.concat(parts, axis=0))
            op.set_arguments([zeros])
    model.validate_nodes_and_infer_types()


def _bpe_pipeline(tokenizer_json: dict, eos_id: int):
    """The openvino_tokenizers steps its TransformersTokenizerPipelineParser picks for a byte-level BPE."""
    from openvino_tokenizers.constants import UTF8ReplaceMode
    from openvino_tokenizers.tokenizer_pipeline import (
        BPETokenizationStep,
        BytesToCharsStep,
        CharsToBytesStep,
        CombineSegmentsStep,
        PaddingStep,
        RegexSplitStep,
        Sequence,
        SpecialTokensSplit,
        TokenizerPipeline,
        UTF8ValidateStep,
        VocabDecoderStep,
    )

    p = TokenizerPipeline()
    p.add_steps(SpecialTokensSplit.from_string_iter([EOS]))
    p.add_steps([RegexSplitStep.byte_level_splitter(), BytesToCharsStep()])
    p.add_steps(BPETokenizationStep.from_hf_json(tokenizer_json))
    p.vocab = p[-1].vocab
    p.add_steps(CombineSegmentsStep([Sequence()], add_special_tokens=False))
    p.add_steps(PaddingStep(token=EOS, _token_id=eos_id))
    p.add_steps(VocabDecoderStep.from_hf_json(tokenizer_json, p.vocab, added_tokens={eos_id: EOS},
                                              skip_tokens={eos_id: EOS}, is_byte_level=True))
    p.add_steps([CharsToBytesStep(), UTF8ValidateStep(mode=UTF8ReplaceMode.REPLACE)])  # as tokenizers decodes
    return p


def ov_tokenizers(tokenizer_json: dict, eos_id: int):
    """(tokenizer, detokenizer) OpenVINO models of a byte-level BPE tokenizer.json (what convert_tokenizer makes
    of a transformers tokenizer: token ids and attention mask out, i64; the special tokens in rt_info)."""
    import openvino as ov
    from openvino_tokenizers.constants import (
        ATTENTION_MASK_INPUT_NAME,
        EOS_TOKEN_ID_NAME,
        PAD_TOKEN_ID_NAME,
        TOKEN_IDS_INPUT_NAME,
        TOKENIZER_NAME,
    )
    from openvino_tokenizers.utils import change_inputs_type, change_outputs_type

    p = _bpe_pipeline(tokenizer_json, eos_id)
    full = p.get_tokenizer_ov_subgraph()
    outputs = [next(o for o in full.outputs if name in o.names) for name in (TOKEN_IDS_INPUT_NAME,
                                                                               ATTENTION_MASK_INPUT_NAME)]
    tokenizer = ov.Model(outputs, full.get_parameters(), TOKENIZER_NAME)
    detokenizer = p.get_detokenizer_ov_subgraph()
    change_outputs_type(tokenizer, ov.Type.i64)
    change_inputs_type(detokenizer, ov.Type.i64)
    for m in (tokenizer, detokenizer):  # what openvino-genai reads for the special tokens
        m.set_rt_info(eos_id, EOS_TOKEN_ID_NAME)
        m.set_rt_info(eos_id, PAD_TOKEN_ID_NAME)
    return tokenizer, detokenizer


def hf_config(cfg: TinyConfig, eos: int) -> dict:
    """config.json as Hugging Face writes one: the architecture the model card reads."""
    return {"model_type": cfg.model_type, "architectures": ["TinyDecoderForCausalLM"],
            "num_hidden_layers": cfg.layers, "num_attention_heads": cfg.heads, "num_key_value_heads": cfg.heads,
            "head_dim": cfg.head_size, "hidden_size": cfg.hidden, "intermediate_size": cfg.mlp,
            "max_position_embeddings": cfg.context, "vocab_size": cfg.vocab, "bos_token_id": eos,
            "eos_token_id": eos, "pad_token_id": eos, "torch_dtype": "float32"}


def build(folder: str | Path, cfg: TinyConfig | None = None) -> Path:
    """Write openvino_model.xml/.bin, openvino_(de)tokenizer.xml/.bin, config.json, generation_config.json
    (and the tokenizer.json they come from) into `folder`."""
    import openvino as ov

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfg or TinyConfig()
    tok, eos = train_tokenizer(cfg.vocab)
    cfg = TinyConfig(**{**cfg.__dict__, "vocab": tok.get_vocab_size()})
    tok.save(str(out / "tokenizer.json"))
    with tempfile.TemporaryDirectory() as tmp:
        import onnx

        onnx_path = Path(tmp) / "model.onnx"
        onnx.save(decoder(cfg), str(onnx_path))
        ov.save_model(stateful_model(onnx_path, cfg.layers), str(out / "openvino_model.xml"), compress_to_fp16=False)
    tokenizer, detokenizer = ov_tokenizers(json.loads(tok.to_str()), eos)
    ov.save_model(tokenizer, str(out / "openvino_tokenizer.xml"))
    ov.save_model(detokenizer, str(out / "openvino_detokenizer.xml"))
    (out / "config.json").write_text(json.dumps(hf_config(cfg, eos), indent=2), encoding="utf-8")
    (out / "generation_config.json").write_text(json.dumps({
        "bos_token_id": eos, "eos_token_id": eos, "pad_token_id": eos, "do_sample": False,
        "max_length": cfg.context}, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.ov_genai_model OUT_FOLDER")
    print(build(sys.argv[1]))
