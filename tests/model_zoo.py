"""Small ONNX models built with onnx.helper, one per feature the engines must handle.

Every builder returns an onnx.ModelProto; `save(model, folder, name)` writes it.
No model is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 9  # readable by every runtime we ship (ORT >= 1.16, OpenVINO >= 2024)


def _model(graph: onnx.GraphProto, opset: int = OPSET, extra_opsets: tuple = ()) -> onnx.ModelProto:
    opsets = [helper.make_opsetid("", opset), *[helper.make_opsetid(d, v) for d, v in extra_opsets]]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="aipcprof-tests")
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m


def _init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(array, name)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def single_add() -> onnx.ModelProto:
    """y = x + 1 on a tiny tensor: the overhead benchmark (~5 us per run)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    one = _init("one", np.ones((1, 4), np.float32))
    return _model(helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "single_add", [x], [y], [one]))


def conv_net(channels: int = 16, size: int = 64, seed: int = 0) -> onnx.ModelProto:
    """Conv-BN-free classifier: 3 x (Conv+Relu) -> GlobalAveragePool -> Gemm."""
    r = _rng(seed)
    nodes, inits = [], []
    prev, cin = "image", 3
    for i in range(3):
        w = (r.standard_normal((channels, cin, 3, 3)) * (1.0 / np.sqrt(cin * 9))).astype(np.float32)
        b = np.zeros(channels, np.float32)
        inits += [_init(f"conv{i}.w", w), _init(f"conv{i}.b", b)]
        nodes.append(helper.make_node("Conv", [prev, f"conv{i}.w", f"conv{i}.b"], [f"c{i}"],
                                      name=f"conv{i}", pads=[1, 1, 1, 1], strides=[2, 2] if i else [1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"))
        prev, cin = f"r{i}", channels
    nodes.append(helper.make_node("GlobalAveragePool", [prev], ["pooled"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1))
    inits += [_init("fc.w", (r.standard_normal((channels, 10)) * 0.1).astype(np.float32)),
              _init("fc.b", np.zeros(10, np.float32))]
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc"))
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])
    return _model(helper.make_graph(nodes, "conv_net", [x], [y], inits))


def transformer_block(seq: int | str = "seq", hidden: int = 64, heads: int = 4, seed: int = 0) -> onnx.ModelProto:
    """One pre-norm self-attention block with an MLP, batch 1; `seq` may be symbolic."""
    r = _rng(seed)
    d = hidden // heads

    def w(name, shape, scale=0.05):
        return _init(name, (r.standard_normal(shape) * scale).astype(np.float32))

    inits = [w("wq", (hidden, hidden)), w("wk", (hidden, hidden)), w("wv", (hidden, hidden)),
             w("wo", (hidden, hidden)), w("w1", (hidden, 4 * hidden)), w("w2", (4 * hidden, hidden)),
             _init("ln.scale", np.ones(hidden, np.float32)), _init("ln.bias", np.zeros(hidden, np.float32)),
             _init("split_shape", np.array([1, -1, heads, d], np.int64)),
             _init("merge_shape", np.array([1, -1, hidden], np.int64)),
             _init("scale", np.array(1.0 / np.sqrt(d), np.float32))]
    n = helper.make_node
    nodes = [
        n("LayerNormalization", ["x", "ln.scale", "ln.bias"], ["h"], name="ln", axis=-1),
        n("MatMul", ["h", "wq"], ["q0"], name="q_proj"), n("MatMul", ["h", "wk"], ["k0"], name="k_proj"),
        n("MatMul", ["h", "wv"], ["v0"], name="v_proj"),
        n("Reshape", ["q0", "split_shape"], ["q1"]), n("Reshape", ["k0", "split_shape"], ["k1"]),
        n("Reshape", ["v0", "split_shape"], ["v1"]),
        n("Transpose", ["q1"], ["q"], perm=[0, 2, 1, 3]), n("Transpose", ["k1"], ["kt"], perm=[0, 2, 3, 1]),
        n("Transpose", ["v1"], ["v"], perm=[0, 2, 1, 3]),
        n("MatMul", ["q", "kt"], ["s0"], name="attn_scores"), n("Mul", ["s0", "scale"], ["s1"]),
        n("Softmax", ["s1"], ["p"], axis=-1), n("MatMul", ["p", "v"], ["o0"], name="attn_context"),
        n("Transpose", ["o0"], ["o1"], perm=[0, 2, 1, 3]), n("Reshape", ["o1", "merge_shape"], ["o2"]),
        n("MatMul", ["o2", "wo"], ["o3"], name="o_proj"), n("Add", ["x", "o3"], ["res1"]),
        n("MatMul", ["res1", "w1"], ["m0"], name="mlp_up"), n("Relu", ["m0"], ["m1"]),
        n("MatMul", ["m1", "w2"], ["m2"], name="mlp_down"), n("Add", ["res1", "m2"], ["y"]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, seq, hidden])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, seq, hidden])
    return _model(helper.make_graph(nodes, "transformer_block", [x], [y], inits))


def qdq_int8(seed: int = 0) -> onnx.ModelProto:
    """QDQ-quantised Conv (int8 weights, uint8 activations), the NPU format."""
    r = _rng(seed)
    w = r.integers(-127, 127, size=(8, 3, 3, 3), dtype=np.int8)
    inits = [_init("w_q", w), _init("w_scale", np.array(0.02, np.float32)), _init("w_zp", np.array(0, np.int8)),
             _init("x_scale", np.array(1 / 255, np.float32)), _init("x_zp", np.array(0, np.uint8)),
             _init("y_scale", np.array(0.05, np.float32)), _init("y_zp", np.array(128, np.uint8))]
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["x", "x_scale", "x_zp"], ["x_q"], name="q_in"),
        n("DequantizeLinear", ["x_q", "x_scale", "x_zp"], ["x_dq"], name="dq_in"),
        n("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w_dq"], name="dq_w"),
        n("Conv", ["x_dq", "w_dq"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        n("QuantizeLinear", ["c", "y_scale", "y_zp"], ["c_q"], name="q_out"),
        n("DequantizeLinear", ["c_q", "y_scale", "y_zp"], ["y"], name="dq_out"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 32, 32])
    return _model(helper.make_graph(nodes, "qdq_int8", [x], [y], inits))


def fp16_mlp(seed: int = 0) -> onnx.ModelProto:
    """fp16 weights and activations end to end."""
    r = _rng(seed)
    inits = [_init("w1", (r.standard_normal((32, 64)) * 0.1).astype(np.float16)),
             _init("w2", (r.standard_normal((64, 8)) * 0.1).astype(np.float16))]
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w1"], ["h0"]), n("Relu", ["h0"], ["h1"]), n("MatMul", ["h1", "w2"], ["y"])]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 8])
    return _model(helper.make_graph(nodes, "fp16_mlp", [x], [y], inits))


def dynamic_mlp(seed: int = 0) -> onnx.ModelProto:
    """Symbolic `batch` and `features`-free input: x[batch, 16] -> y[batch, 4]."""
    r = _rng(seed)
    inits = [_init("w", (r.standard_normal((16, 4)) * 0.1).astype(np.float32))]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    return _model(helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "dynamic_mlp", [x], [y], inits))


def token_embedding(vocab: int = 1000, hidden: int = 32, seed: int = 0) -> onnx.ModelProto:
    """int64 ids + int64 attention mask (two inputs sharing `batch`, `seq`), like a text encoder."""
    r = _rng(seed)
    inits = [_init("emb", (r.standard_normal((vocab, hidden)) * 0.1).astype(np.float32)),
             _init("axes", np.array([-1], np.int64))]
    n = helper.make_node
    nodes = [
        n("Gather", ["emb", "input_ids"], ["e"], axis=0),
        n("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
        n("Unsqueeze", ["mf", "axes"], ["m3"]),
        n("Mul", ["e", "m3"], ["y"]),
    ]
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", hidden])
    return _model(helper.make_graph(nodes, "token_embedding", [ids, mask], [y], inits))


def control_flow() -> onnx.ModelProto:
    """If (on a bool scalar input) and Loop (trip count from an int64 scalar input)."""
    n = helper.make_node
    then_g = helper.make_graph([n("Add", ["x", "one_t"], ["t_out"])], "then",
                               [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [1, 4])],
                               [helper.make_tensor("one_t", TensorProto.FLOAT, [], [1.0])])
    else_g = helper.make_graph([n("Sub", ["x", "one_e"], ["e_out"])], "else",
                               [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [1, 4])],
                               [helper.make_tensor("one_e", TensorProto.FLOAT, [], [1.0])])
    body = helper.make_graph(
        [n("Identity", ["cond_in"], ["cond_out"]), n("Add", ["acc_in", "one_b"], ["acc_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor("one_b", TensorProto.FLOAT, [], [1.0])],
    )
    nodes = [
        n("If", ["flag"], ["branch"], then_branch=then_g, else_branch=else_g, name="if"),
        n("Loop", ["trips", "", "branch"], ["y"], body=body, name="loop"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
              helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
              helper.make_tensor_value_info("trips", TensorProto.INT64, [])]
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    return _model(helper.make_graph(nodes, "control_flow", inputs, [y]))


def custom_domain_op() -> onnx.ModelProto:
    """An op from a domain no runtime here implements."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    node = helper.make_node("FancyGelu", ["x"], ["y"], domain="com.example.custom")
    g = helper.make_graph([node], "custom_op", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET),
                                            helper.make_opsetid("com.example.custom", 1)])
    m.ir_version = IR_VERSION
    return m


ALL = {
    "single_add": single_add,
    "conv_net": conv_net,
    "transformer_block": transformer_block,
    "qdq_int8": qdq_int8,
    "fp16_mlp": fp16_mlp,
    "dynamic_mlp": dynamic_mlp,
    "token_embedding": token_embedding,
    "control_flow": control_flow,
}


def save(model: onnx.ModelProto, folder: Path, name: str, *, external_data: bool = False) -> Path:
    path = Path(folder) / f"{name}.onnx"
    if external_data:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=f"{name}.weights", size_threshold=0)
    else:
        onnx.save_model(model, path)
    return path
