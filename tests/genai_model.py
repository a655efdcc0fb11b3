"""A real generative model folder for onnxruntime-genai, built offline: `python -m tests.genai_model OUT`.

The decoder is a tiny pre-norm transformer (2 layers, hidden size 64, 4 heads of 16, learned positions,
SiLU MLP), randomly initialised with a fixed seed and written with onnx.helper in standard ONNX ops, with
the inputs and outputs onnxruntime-genai expects of a decoder-only model:

    input_ids [batch, seq] int64, attention_mask [batch, total] int64, position_ids [batch, seq] int64,
    past_key_values.%d.key/value [batch, kv_heads, past, head_size]  ->
    logits [batch, seq, vocab], present.%d.key/value [batch, kv_heads, total, head_size]

The `pipeline` variant (`python -m tests.genai_model OUT pipeline`) is the same decoder, same weights, cut
in three as a decoder pipeline (model.type "decoder-pipeline", model.decoder.pipeline, as Snapdragon/QNN
models ship): embeddings.onnx (input_ids -> inputs_embeds), transformer.onnx (inputs_embeds, attention_mask,
position_ids, past KV -> hidden_states, present KV) and lm_head.onnx (hidden_states -> logits).

The tokenizer is a byte-level BPE trained at build time with `tokenizers` on the repository's own docs
(README.md and docs/*.md), saved as tokenizer.json + tokenizer_config.json (what onnxruntime-genai's
tokenizer reads). genai_config.json is written last. Nothing is downloaded.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
OPSET = 17
IR_VERSION = 9
EOS = "<|endoftext|>"
EMBEDS, HIDDEN = "inputs_embeds", "hidden_states"  # the tensors a pipeline's stages hand on


@dataclass(frozen=True)
class TinyConfig:
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    vocab: int = 512  # the tokenizer's size (trained to this many tokens)
    context: int = 1024
    mlp: int = 128
    seed: int = 0
    model_type: str = "decoder"  # onnxruntime-genai's generic decoder-only model (separate K/V caches)

    @property
    def head_size(self) -> int:
        return self.hidden // self.heads


def train_tokenizer(vocab: int) -> tuple[object, int]:
    """A byte-level BPE trained on the repo's own docs; (tokenizer, eos id)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").glob("*.md"))]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[EOS], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return tok, tok.token_to_id(EOS)


def _w(rng: np.random.Generator, *shape: int, scale: float = 0.08) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name


def _masks(g: _Graph) -> str:
    """[1, 1, seq, total] additive mask: -1e9 where a key is after the query or padded out."""
    total = g.op("Gather", [g.op("Shape", ["attention_mask"], "mask_shape"), g.init("one_i", np.array(1))], "total")
    seq = g.op("Gather", [g.op("Shape", [EMBEDS], "ids_shape"), "one_i"], "seq")  # [batch, seq, hidden]
    past = g.op("Sub", [total, seq], "past_len")
    rows = g.op("Unsqueeze", [g.op("Range", [past, total, "one_i"], "rows_1d"), g.init("ax1", np.array([1]))], "rows")
    cols = g.op("Range", [g.init("zero_i", np.array(0)), total, "one_i"], "cols")
    future = g.op("Greater", [cols, rows], "future")  # [seq, total]
    neg = g.init("neg", np.array(-1e9, np.float32))
    zero = g.init("zero_f", np.array(0.0, np.float32))
    causal = g.op("Where", [future, neg, zero], "causal")
    keep = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)  # [batch, total]
    pad = g.op("Mul", [g.op("Sub", [g.init("one_f", np.array(1.0, np.float32)), keep], "unmasked"), neg], "pad")
    pad4 = g.op("Unsqueeze", [pad, g.init("ax12", np.array([1, 2]))], "pad4")  # [batch, 1, 1, total]
    return g.op("Add", [causal, pad4], "mask")


def _heads(g: _Graph, x: str, cfg: TinyConfig, name: str) -> str:
    """[batch, seq, hidden] -> [batch, heads, seq, head_size]."""
    shape = g.init(f"{name}_shape", np.array([0, 0, cfg.heads, cfg.head_size]))
    return g.op("Transpose", [g.op("Reshape", [x, shape], f"{name}_4d")], f"{name}_t", perm=[0, 2, 1, 3])


def _layer(g: _Graph, x: str, i: int, cfg: TinyConfig, rng: np.random.Generator, mask: str) -> str:
    h = cfg.hidden
    ln1 = g.op("LayerNormalization", [x, g.init(f"l{i}.ln1.g", np.ones(h, np.float32)),
                                      g.init(f"l{i}.ln1.b", np.zeros(h, np.float32))], f"l{i}.ln1", axis=-1)
    q, k, v = (_heads(g, g.op("MatMul", [ln1, g.init(f"l{i}.w{n}", _w(rng, h, h))], f"l{i}.{n}"), cfg, f"l{i}.{n}h")
               for n in "qkv")
    k_all = g.op("Concat", [f"past_key_values.{i}.key", k], f"present.{i}.key", axis=2)
    v_all = g.op("Concat", [f"past_key_values.{i}.value", v], f"present.{i}.value", axis=2)
    scores = g.op("MatMul", [q, g.op("Transpose", [k_all], f"l{i}.kT", perm=[0, 1, 3, 2])], f"l{i}.qk")
    scaled = g.op("Mul", [scores, g.init(f"l{i}.scale", np.array(cfg.head_size ** -0.5, np.float32))], f"l{i}.qks")
    probs = g.op("Softmax", [g.op("Add", [scaled, mask], f"l{i}.masked")], f"l{i}.probs", axis=-1)
    ctx = g.op("Transpose", [g.op("MatMul", [probs, v_all], f"l{i}.ctx4")], f"l{i}.ctxt", perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", [ctx, g.init(f"l{i}.flat", np.array([0, 0, h]))], f"l{i}.ctx")
    x = g.op("Add", [x, g.op("MatMul", [ctx, g.init(f"l{i}.wo", _w(rng, h, h))], f"l{i}.attn")], f"l{i}.res1")
    ln2 = g.op("LayerNormalization", [x, g.init(f"l{i}.ln2.g", np.ones(h, np.float32)),
                                      g.init(f"l{i}.ln2.b", np.zeros(h, np.float32))], f"l{i}.ln2", axis=-1)
    up = g.op("MatMul", [ln2, g.init(f"l{i}.w1", _w(rng, h, cfg.mlp))], f"l{i}.up")
    act = g.op("Mul", [up, g.op("Sigmoid", [up], f"l{i}.sig")], f"l{i}.silu")
    down = g.op("MatMul", [act, g.init(f"l{i}.w2", _w(rng, cfg.mlp, h))], f"l{i}.down")
    return g.op("Add", [x, down], f"l{i}.res2")


def decoder(cfg: TinyConfig) -> onnx.ModelProto:
    rng = np.random.default_rng(cfg.seed)
    g = _Graph()
    tok = g.op("Gather", [g.init("embed", _w(rng, cfg.vocab, cfg.hidden, scale=0.5)), "input_ids"], EMBEDS)
    pos = g.op("Gather", [g.init("pos_embed", _w(rng, cfg.context, cfg.hidden, scale=0.1)), "position_ids"], "pos_emb")
    x = g.op("Add", [tok, pos], "x0")
    mask = _masks(g)
    for i in range(cfg.layers):
        x = _layer(g, x, i, cfg, rng, mask)
    ln = g.op("LayerNormalization", [x, g.init("lnf.g", np.ones(cfg.hidden, np.float32)),
                                     g.init("lnf.b", np.zeros(cfg.hidden, np.float32))], HIDDEN, axis=-1)
    g.nodes.append(helper.make_node("MatMul", [ln, g.init("lm_head", _w(rng, cfg.hidden, cfg.vocab))], ["logits"],
                                    name="lm_head_matmul"))
    kv = ["batch", cfg.heads, "past_seq", cfg.head_size]
    kv_out = ["batch", cfg.heads, "total_seq", cfg.head_size]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total_seq"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", cfg.vocab])]
    for i in range(cfg.layers):
        for part in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{part}", TensorProto.FLOAT, kv))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{part}", TensorProto.FLOAT, kv_out))
    graph = helper.make_graph(g.nodes, "tiny_decoder", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="aipcprof-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def genai_config(cfg: TinyConfig, eos: int, filename: str = "model.onnx") -> dict:
    """What onnxruntime-genai reads (src/config.cpp): a decoder-only model with separate K/V caches."""
    return {
        "model": {
            "type": cfg.model_type, "bos_token_id": eos, "eos_token_id": eos, "pad_token_id": eos,
            "vocab_size": cfg.vocab, "context_length": cfg.context,
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "filename": filename, "head_size": cfg.head_size, "hidden_size": cfg.hidden,
                "num_attention_heads": cfg.heads, "num_key_value_heads": cfg.heads,
                "num_hidden_layers": cfg.layers,
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "position_ids": "position_ids", "past_key_names": "past_key_values.%d.key",
                           "past_value_names": "past_key_values.%d.value"},
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                            "present_value_names": "present.%d.value"},
            },
        },
        "search": {"max_length": cfg.context, "do_sample": False, "past_present_share_buffer": False,
                   "num_beams": 1, "num_return_sequences": 1, "top_k": 1},
    }


def _kv_names(cfg: TinyConfig, prefix: str) -> list[str]:
    return [f"{prefix}.{i}.{part}" for i in range(cfg.layers) for part in ("key", "value")]


def pipeline_stages(cfg: TinyConfig) -> dict[str, tuple[list[str], list[str]]]:
    """The decoder split in three, as a QNN-style pipeline: stage -> (inputs, outputs)."""
    return {"embeddings": (["input_ids"], [EMBEDS]),
            "transformer": ([EMBEDS, "attention_mask", "position_ids", *_kv_names(cfg, "past_key_values")],
                            [HIDDEN, *_kv_names(cfg, "present")]),
            "lm_head": ([HIDDEN], ["logits"])}


def split_decoder(cfg: TinyConfig) -> dict[str, onnx.ModelProto]:
    """The same decoder (same weights) cut at the embeddings and the final norm: stage -> its model."""
    from onnx.utils import Extractor

    full = decoder(cfg)
    for name in (EMBEDS, HIDDEN):  # typed, so the extractor can make them stage inputs and outputs
        full.graph.value_info.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "seq", cfg.hidden]))
    extractor = Extractor(full)
    models = {}
    for stage, (inputs, outputs) in pipeline_stages(cfg).items():
        model = extractor.extract_model(inputs, outputs)
        model.graph.name = f"tiny_decoder_{stage}"
        model.ir_version, model.producer_name = IR_VERSION, "aipcprof-tests"
        onnx.checker.check_model(model)
        models[stage] = model
    return models


def pipeline_config(cfg: TinyConfig, eos: int, object_style: bool = False) -> dict:
    """genai_config.json of a decoder pipeline (model.type "decoder-pipeline", model.decoder.pipeline):
    list-style, as onnxruntime-genai's test/models/pipeline-model, or one object mapping stage -> spec."""
    config = genai_config(cfg, eos)
    decoder_cfg = config["model"]["decoder"]
    del decoder_cfg["filename"]
    stages = {stage: {"filename": f"{stage}.onnx", "inputs": inputs, "outputs": outputs}
              for stage, (inputs, outputs) in pipeline_stages(cfg).items()}
    stages["lm_head"]["is_lm_head"] = True
    decoder_cfg["pipeline"] = stages if object_style else [stages]
    config["model"]["type"] = "decoder-pipeline"
    return config


def build(folder: str | Path, cfg: TinyConfig = TinyConfig(), variant: str = "single") -> Path:
    """Write the decoder (model.onnx; for variant "pipeline", embeddings.onnx + transformer.onnx +
    lm_head.onnx with the same weights), tokenizer.json, tokenizer_config.json and genai_config.json."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}: one of {', '.join(VARIANTS)}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tok, eos = train_tokenizer(cfg.vocab)
    cfg = TinyConfig(**{**cfg.__dict__, "vocab": tok.get_vocab_size()})
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "GPT2Tokenizer", "bos_token": EOS, "eos_token": EOS, "unk_token": EOS,
        "add_prefix_space": False, "model_max_length": cfg.context, "clean_up_tokenization_spaces": False,
    }, indent=2), encoding="utf-8")
    if variant == "single":
        onnx.save(decoder(cfg), str(out / "model.onnx"))
        config = genai_config(cfg, eos)
    else:
        for stage, model in split_decoder(cfg).items():
            onnx.save(model, str(out / f"{stage}.onnx"))
        config = pipeline_config(cfg, eos)
    (out / "genai_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return out


VARIANTS = ("single", "pipeline")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in VARIANTS):
        sys.exit("usage: python -m tests.genai_model OUT_FOLDER [single|pipeline]")
    print(build(sys.argv[1], variant=sys.argv[2] if len(sys.argv) == 3 else "single"))
