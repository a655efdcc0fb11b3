"""The model card's numbers against values computed by hand from the zoo builders."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from app.common.errors import InputSpecError
from app.model.model_card import format_card, inspect_model
from tests import model_zoo

ROOT = Path(__file__).resolve().parents[2]


def _conv_macs(cout: int, cin: int, k: int, out_hw: int) -> int:
    return cout * out_hw * out_hw * cin * k * k


def test_conv_net_macs_by_hand(zoo):
    # conv_net(channels=16, size=64): conv0 stride 1, conv1 and conv2 stride 2 (pads 1), Gemm 16 -> 10
    convs = _conv_macs(16, 3, 3, 64) + _conv_macs(16, 16, 3, 32) + _conv_macs(16, 16, 3, 16)
    card = inspect_model(zoo["conv_net"])
    assert card.macs_by_op == {"Conv": convs, "Gemm": 16 * 10}
    assert card.macs == convs + 160 == 4_718_752
    assert card.flops == 2 * card.macs
    assert card.macs_reason == ""
    params = 16 * 3 * 9 + 16 + 2 * (16 * 16 * 9 + 16) + 16 * 10 + 10
    assert card.parameters == params and card.parameter_bytes == 4 * params


def test_transformer_block_macs_at_resolved_seq(zoo):
    seq, hidden, heads = 128, 64, 4
    d = hidden // heads
    proj = 4 * seq * hidden * hidden  # q, k, v, o
    attention = 2 * heads * seq * seq * d  # scores (QK^T) and context (PV)
    mlp = 2 * seq * hidden * 4 * hidden
    card = inspect_model(zoo["transformer_block"], dims={"seq": seq})
    assert card.macs == proj + attention + mlp
    assert card.resolved_shapes == {"x": [1, seq, hidden]}
    # --shape gives the same count as --dim
    assert inspect_model(zoo["transformer_block"], shapes={"x": [1, 32, 64]}).macs == \
        4 * 32 * 64 * 64 + 2 * heads * 32 * 32 * d + 2 * 32 * 64 * 256


def test_unresolved_dims_give_no_number(zoo):
    card = inspect_model(zoo["transformer_block"])
    assert card.macs is None and card.flops is None
    assert card.macs_reason == "unresolved dims: seq"
    assert card.inputs == [{"name": "x", "dtype": "float32", "shape": [1, "seq", 64]}]
    assert "MACs unknown: unresolved dims: seq" in format_card(card)


def test_bad_shape_option_is_an_error_not_a_null(zoo):
    with pytest.raises(InputSpecError, match="rank 3"):
        inspect_model(zoo["transformer_block"], shapes={"x": [1, 128]})


def test_qdq_int8_detected(zoo):
    card = inspect_model(zoo["qdq_int8"])
    q = card.quantization
    assert q["format"] == "QDQ" and q["weights"] == ["int8"] and q["activations"] == ["uint8"]
    assert q["quantize_nodes"] == 2 and q["dequantize_nodes"] == 3
    assert card.weight_precision == "int8"
    assert card.precision["int8"]["elements"] == 8 * 3 * 3 * 3 + 1
    assert card.macs == _conv_macs(8, 3, 3, 32)


def test_fp16_mlp_detected(zoo):
    card = inspect_model(zoo["fp16_mlp"])
    assert card.weight_precision == "fp16"
    assert card.precision == {"float16": {"elements": 32 * 64 + 64 * 8, "bytes": 2 * (32 * 64 + 64 * 8), "share": 1.0}}
    assert card.quantization["format"] == "none"
    assert card.macs == 32 * 64 + 64 * 8
    assert card.inputs[0]["dtype"] == "float16"


def test_token_embedding_card(zoo):
    card = inspect_model(zoo["token_embedding"], dims={"seq": 16})
    assert card.parameters == 1000 * 32 + 1  # embedding table + the Unsqueeze axes
    assert card.parameter_bytes == 1000 * 32 * 4 + 8
    assert [i["shape"] for i in card.inputs] == [["batch", "seq"], ["batch", "seq"]]
    assert card.defaulted_dims == {"batch": 1}
    assert card.macs == 0 and card.op_histogram == {"Gather": 1, "Cast": 1, "Unsqueeze": 1, "Mul": 1}
    assert card.outputs == [{"name": "y", "dtype": "float32", "shape": ["batch", "seq", 32]}]


def test_control_flow_card(zoo):
    card = inspect_model(zoo["control_flow"])
    assert card.control_flow == ["If", "Loop"]
    assert card.nodes == 2 and card.subgraph_nodes == 4
    assert sum(card.op_histogram.values()) == 6
    assert any("not counted" in n for n in card.notes)


def test_custom_op_card(zoo):
    card = inspect_model(zoo["custom_domain_op"])
    assert card.custom_ops == [["com.example.custom", "FancyGelu"]]
    assert card.op_histogram == {"com.example.custom:FancyGelu": 1}
    assert any("no runtime here implements it" in n for n in card.notes)


def test_card_identity_and_json(zoo):
    path = zoo["conv_net"]
    card = inspect_model(path)
    assert card.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card.file_bytes == path.stat().st_size
    assert card.graph_name == "conv_net" and card.producer == "aipcprof-tests"
    assert card.ir_version == 9 and card.opsets == {"ai.onnx": 17}
    data = json.loads(json.dumps(card.to_dict()))
    assert data["macs"] == 4_718_752 and data["inputs"][0]["shape"] == [1, 3, 64, 64]
    text = format_card(card)
    assert "4.72M MACs" in text and "Conv 3" in text and "fp32" in text


def test_external_data_card(tmp_path, zoo):
    path = model_zoo.save(model_zoo.conv_net(), tmp_path, "conv_net", external_data=True)
    card, inline = inspect_model(path), inspect_model(zoo["conv_net"])
    weights = tmp_path / "conv_net.weights"
    assert card.external_data == [{"file": "conv_net.weights", "bytes": weights.stat().st_size, "tensors": 8}]
    assert card.external_bytes == weights.stat().st_size
    assert (card.parameters, card.parameter_bytes, card.macs) == (inline.parameters, inline.parameter_bytes,
                                                                  inline.macs)


def _contrib_model() -> tuple:
    """com.microsoft Attention, MatMulNBits and MultiHeadAttention (inspected, never run)."""
    b, s, d, n, k = 1, 8, 16, 8, 32
    inits = [numpy_helper.from_array(np.zeros((d, 3 * d), np.float32), "qkv_w"),
             numpy_helper.from_array(np.zeros(3 * d, np.float32), "qkv_b"),
             numpy_helper.from_array(np.zeros((n, 1, 16), np.uint8), "nb_w"),
             numpy_helper.from_array(np.ones((n,), np.float32), "nb_scales")]
    nodes = [helper.make_node("Attention", ["x", "qkv_w", "qkv_b"], ["att"], domain="com.microsoft", num_heads=2),
             helper.make_node("MatMulNBits", ["a", "nb_w", "nb_scales"], ["y2"], domain="com.microsoft",
                              K=k, N=n, bits=4, block_size=32),
             helper.make_node("MultiHeadAttention", ["x", "kv", "kv"], ["y3"], domain="com.microsoft", num_heads=2)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [b, s, d]),
              helper.make_tensor_value_info("a", TensorProto.FLOAT, [b, 4, k]),
              helper.make_tensor_value_info("kv", TensorProto.FLOAT, [b, 10, d])]
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("att", "y2", "y3")]
    g = helper.make_graph(nodes, "contrib", inputs, outputs, inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    attention = b * s * d * 3 * d + 2 * b * s * s * d  # projection + QK^T + PV
    mha = b * s * 10 * d * 2  # QK^T and PV against 10 key/value positions
    return model, attention, b * 4 * k * n, mha


def test_contrib_attention_and_nbits(tmp_path):
    model, attention, nbits, mha = _contrib_model()
    path = tmp_path / "contrib.onnx"
    path.write_bytes(model.SerializeToString())
    card = inspect_model(path)
    assert card.macs_by_op == {"Attention": attention, "MatMulNBits": nbits, "MultiHeadAttention": mha}
    assert card.quantization["format"] == "QOperator" and card.quantization["weights"] == ["4-bit"]
    assert card.ort_only_ops == [["com.microsoft", "Attention"], ["com.microsoft", "MatMulNBits"],
                                 ["com.microsoft", "MultiHeadAttention"]]
    assert card.custom_ops == []


def test_big_constant_node_counts_without_copying(tmp_path):
    w = numpy_helper.from_array(np.ones((100, 100), np.float32), "w")
    nodes = [helper.make_node("Constant", [], ["w"], value=w), helper.make_node("MatMul", ["x", "w"], ["y"])]
    g = helper.make_graph(nodes, "const", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 100])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 100])])
    path = tmp_path / "const.onnx"
    path.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    card = inspect_model(path, dims={"batch": 3})
    assert card.macs == 3 * 100 * 100 and card.parameters == 10_000


# --- the shipped sample model -------------------------------------------------------------------


def test_sample_model_card():
    path = ROOT / "resources" / "sample_model.onnx"
    assert path.stat().st_size < 2 * 2**20
    card = inspect_model(path)
    assert card.producer.startswith("aipcprof sample") and card.graph_name == "aipcprof_sample_classifier"
    stages = [(3, 32, 112), (32, 64, 56), (64, 128, 28), (128, 256, 14)]  # stride-2 convs from 224
    assert card.macs == sum(_conv_macs(co, ci, 3, hw) for ci, co, hw in stages) + 256 * 100
    assert card.inputs == [{"name": "image", "dtype": "float32", "shape": [1, 3, 224, 224]}]


def test_sample_model_is_reproducible_and_runs():
    spec = importlib.util.spec_from_file_location("make_sample_model", ROOT / "scripts" / "make_sample_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = ROOT / "resources" / "sample_model.onnx"
    assert module.build().SerializeToString() == path.read_bytes(), "run scripts/make_sample_model.py"
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    sess.run(None, {"image": x})
    (logits,) = sess.run(None, {"image": x})
    assert logits.shape == (1, 100) and np.isfinite(logits).all() and logits.std() > 0


def test_macs_follow_a_shape_computed_at_run_time(tmp_path):
    """Shape -> Gather -> Div -> Concat -> Reshape (a head split): onnx stops at Div, ORT's symbolic inference not."""
    def ints(name, v):
        return numpy_helper.from_array(np.array(v, np.int64), name)

    n = helper.make_node
    nodes = [n("Shape", ["x"], ["s"]), n("Gather", ["s", "i1"], ["seq"], axis=0),
             n("Gather", ["s", "i2"], ["hid"], axis=0), n("Div", ["hid", "four"], ["hd"]),
             n("Unsqueeze", ["seq", "ax0"], ["seq1"]), n("Unsqueeze", ["hd", "ax0"], ["hd1"]),
             n("Concat", ["one", "seq1", "four1", "hd1"], ["shape"], axis=0), n("Reshape", ["x", "shape"], ["xr"]),
             n("Transpose", ["xr"], ["xt"], perm=[0, 2, 1, 3]), n("MatMul", ["xt", "w"], ["y"], name="proj")]
    inits = [ints("i1", 1), ints("i2", 2), ints("four", 4), ints("ax0", [0]), ints("one", [1]), ints("four1", [4]),
             numpy_helper.from_array(np.ones((16, 8), np.float32), "w")]
    g = helper.make_graph(nodes, "heads", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "seq", 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    path = tmp_path / "heads.onnx"
    path.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    assert inspect_model(path, dims={"seq": 10}).macs == 1 * 4 * 10 * 16 * 8
    assert inspect_model(path).macs is None  # seq not set: never counted at the guess


def test_compute_in_ops_not_modelled_gives_no_total(tmp_path):
    """An LSTM next to a MatMul: the MatMul alone is not the model's compute, so the total is unknown, not 0."""
    hidden, feat = 8, 4
    inits = [numpy_helper.from_array(np.zeros((1, 4 * hidden, feat), np.float32), "W"),
             numpy_helper.from_array(np.zeros((1, 4 * hidden, hidden), np.float32), "R"),
             numpy_helper.from_array(np.zeros((hidden, 2), np.float32), "head")]
    nodes = [helper.make_node("LSTM", ["x", "W", "R"], ["", "h"], hidden_size=hidden),
             helper.make_node("Squeeze", ["h"], ["h2"]), helper.make_node("MatMul", ["h2", "head"], ["y"])]
    g = helper.make_graph(nodes, "lstm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 1, feat])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    path = tmp_path / "lstm.onnx"
    path.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    card = inspect_model(path)
    assert card.macs is None and card.flops is None
    assert card.macs_reason == f"LSTM not modelled; the counted ops alone: {hidden * 2}"
    assert card.macs_by_op == {"MatMul": hidden * 2}
    assert "MACs unknown: LSTM not modelled" in format_card(card)
