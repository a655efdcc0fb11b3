"""The real-world regression corpus: one small model per class of public model that broke the app.

Each builder returns an onnx.ModelProto made with onnx.helper (the dynamically
quantised one goes through onnxruntime.quantization, which ships with
onnxruntime); nothing is downloaded. The classes:

* `ocr_detector`: paddle2onnx-style text detector, input `x` [-1, 3, -1, -1] (literal -1 dims)
* `unknown_dims`: every input dim unknown (`?`: no dim_value, no dim_param)
* `unnamed_hw`: input `image` [1, 3, ?, ?]; optional metadata giving a non-square size
* `crnn`: text recogniser, input `x` [1, 3, 32, 'width']
* `vad`: voice activity detector: `input` [1, 'n'], `sr` int64 scalar, `state` [2, 1, 128]
* `dynamic_quant`: QOperator dynamic quantisation (ConvInteger / MatMulInteger / DynamicQuantizeLinear)
* `htp_big_float`: a float conv net the HTP emulator cannot allocate in fp32 (fails without fp16)

The GUI tests import these too: `from tests.corpus import models`; `models.save(model, folder, name)`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 9
VAD_KERNEL = 256  # samples the VAD's first convolution takes: `n` below this cannot run
VAD_STATE = [2, 1, 128]
HTP_SIDE = 128  # htp_big_float's input side: 64 still compiles in fp32 on the emulator, 96 and up do not


class _Net:
    """A tiny graph builder: named nodes, seeded weights."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name: str, shape: tuple[int, ...]) -> str:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        return self.const(name, (self.rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, x: str, cin: int, cout: int, name: str, k: int = 3, stride: int = 1, relu: bool = True) -> str:
        w, b = self.weight(f"{name}.w", (cout, cin, k, k)), self.const(f"{name}.b", np.zeros(cout, np.float32))
        y = self.node("Conv", [x, w, b], name, pads=[k // 2] * 4, strides=[stride, stride])
        return self.node("Relu", [y], f"{name}.relu") if relu else y

    def model(self, name: str, inputs: list, outputs: list, metadata: dict[str, str] | None = None) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="aipcprof-corpus")
        m.ir_version = IR_VERSION
        for key, value in (metadata or {}).items():
            m.metadata_props.add(key=key, value=value)
        onnx.checker.check_model(m)
        return m


def _value_info(name: str, elem: int, dims: list | None) -> onnx.ValueInfoProto:
    """A value_info whose dims may be ints (-1 stays a literal -1), names, or None (unknown: `?`)."""
    vi = helper.make_tensor_value_info(name, elem, None)
    if dims is not None:
        shape = vi.type.tensor_type.shape
        shape.SetInParent()
        for d in dims:
            dim = shape.dim.add()
            if isinstance(d, int):
                dim.dim_value = d
            elif isinstance(d, str):
                dim.dim_param = d
    return vi


def ocr_detector(base: int = 8, shape: list | None = None) -> onnx.ModelProto:
    """DB-style text detector: strided backbone, FPN at 1/4, upsampled sigmoid map. Sides: multiples of 16."""
    n = _Net(1)
    x = n.conv("x", 3, base, "stem", stride=2)
    feats, c = [], base
    for i in range(3):
        x = n.conv(x, c, c * 2, f"stage{i}.down", stride=2)
        c *= 2
        x = n.conv(x, c, c, f"stage{i}.conv")
        feats.append((x, c))
    ups = []
    for i, (f, ch) in enumerate(feats):
        lateral = n.conv(f, ch, base, f"fpn{i}", k=1)
        if i:
            scales = n.const(f"fpn{i}.scales", np.array([1, 1, 2 ** i, 2 ** i], np.float32))
            lateral = n.node("Resize", [lateral, "", scales], f"fpn{i}.up", mode="nearest")
        ups.append(lateral)
    fused = n.node("Concat", ups, "fpn.concat", axis=1)
    head = n.conv(fused, 3 * base, base, "head")
    logits = n.conv(head, base, 1, "head.out", k=1, relu=False)
    full = n.node("Resize", [logits, "", n.const("head.scales", np.array([1, 1, 4, 4], np.float32))], "head.up",
                  mode="nearest")
    n.node("Sigmoid", [full], "maps")
    shape = shape or [-1, 3, -1, -1]
    out = [shape[0], 1, shape[2], shape[3]]
    return n.model("ocr_detector", [_value_info("x", TensorProto.FLOAT, shape)],
                   [_value_info("maps", TensorProto.FLOAT, out)])


def htp_big_float() -> onnx.ModelProto:
    """A float detector at a static [1, 3, 128, 128]: the HTP emulator's fp32 graph does not fit in memory."""
    return ocr_detector(base=16, shape=[1, 3, HTP_SIDE, HTP_SIDE])


def _classifier(n: _Net, x: str, classes: int = 10) -> str:
    y = n.conv(x, 3, 8, "conv0", stride=2)
    y = n.conv(y, 8, 16, "conv1", stride=2)
    pooled = n.node("GlobalAveragePool", [y], "pool")
    flat = n.node("Flatten", [pooled], "flatten", axis=1)
    return n.node("Gemm", [flat, n.weight("fc.w", (16, classes)), n.const("fc.b", np.zeros(classes, np.float32))],
                  "logits")


def unknown_dims() -> onnx.ModelProto:
    """A classifier whose input has a rank and nothing else: [?, ?, ?, ?]."""
    n = _Net(2)
    _classifier(n, "x")
    return n.model("unknown_dims", [_value_info("x", TensorProto.FLOAT, [None] * 4)],
                   [_value_info("logits", TensorProto.FLOAT, [None, 10])])


def unnamed_hw(metadata: dict[str, str] | None = None) -> onnx.ModelProto:
    """A classifier with input `image` [1, 3, ?, ?]; `metadata` e.g. {"image_shape": "[48, 192]"}."""
    n = _Net(3)
    _classifier(n, "image")
    return n.model("unnamed_hw", [_value_info("image", TensorProto.FLOAT, [1, 3, None, None])],
                   [_value_info("logits", TensorProto.FLOAT, [1, 10])], metadata)


def crnn(classes: int = 37) -> onnx.ModelProto:
    """CRNN-style recogniser: [1, 3, 32, 'width'] -> per-column class probabilities [1, width/4, classes]."""
    n = _Net(4)
    y = n.conv("x", 3, 16, "conv0")
    y = n.node("MaxPool", [y], "pool0", kernel_shape=[2, 2], strides=[2, 2])
    y = n.conv(y, 16, 32, "conv1")
    y = n.node("MaxPool", [y], "pool1", kernel_shape=[2, 2], strides=[2, 2])  # [1, 32, 8, width/4]
    y = n.node("ReduceMean", [y], "collapse_h", axes=[2], keepdims=0)  # [1, 32, width/4]
    y = n.node("Transpose", [y], "columns", perm=[0, 2, 1])
    y = n.node("MatMul", [y, n.weight("cls.w", (32, classes))], "cls")
    n.node("Softmax", [y], "probs", axis=-1)
    return n.model("crnn", [_value_info("x", TensorProto.FLOAT, [1, 3, 32, "width"])],
                   [_value_info("probs", TensorProto.FLOAT, [1, "columns", classes])])


def vad(rate_hint: bool = False, with_rate: bool = True) -> onnx.ModelProto:
    """Silero-style voice activity detector: audio [1, 'n'], sample rate `sr` (int64 scalar), recurrent state.

    rate_hint: the graph compares sr with 16000 (a default the model justifies);
    with_rate=False: no sr input (only `n` is open).
    """
    n = _Net(5)
    audio = n.node("Unsqueeze", ["input", n.const("axis1", np.array([1], np.int64))], "audio")  # [1, 1, n]
    frames = n.node("Conv", [audio, n.weight("stft.w", (64, 1, VAD_KERNEL))], "stft", strides=[VAD_KERNEL // 2])
    feat = n.node("ReduceMean", [n.node("Relu", [frames], "stft.relu")], "feat", axes=[2], keepdims=0)  # [1, 64]
    h_prev = n.node("Gather", ["state", n.const("first", np.array(0, np.int64))], "h_prev", axis=0)  # [1, 128]
    z = n.node("Add", [n.node("MatMul", [feat, n.weight("wf", (64, 128))], "zf"),
                       n.node("MatMul", [h_prev, n.weight("wh", (128, 128))], "zh")], "z")
    h = n.node("Tanh", [z], "h")
    if with_rate:
        if rate_hint:
            is16k = n.node("Equal", ["sr", n.const("sr16k", np.array(16000, np.int64))], "is16k")
            scale = n.node("Where", [is16k, n.const("one", np.array(1.0, np.float32)),
                                     n.const("half", np.array(0.5, np.float32))], "rate_scale")
        else:
            srf = n.node("Cast", ["sr"], "srf", to=TensorProto.FLOAT)
            scale = n.node("Div", [srf, n.const("ref_rate", np.array(16000.0, np.float32))], "rate_scale")
        h = n.node("Mul", [h, scale], "h_scaled")
    n.node("Sigmoid", [n.node("MatMul", [h, n.weight("wo", (128, 1))], "logit")], "output")
    h3 = n.node("Unsqueeze", [h, n.const("axis0", np.array([0], np.int64))], "h3")
    n.node("Concat", [h3, h3], "stateN", axis=0)
    inputs = [_value_info("input", TensorProto.FLOAT, [1, "n"])]
    if with_rate:
        inputs.append(_value_info("sr", TensorProto.INT64, []))
    inputs.append(_value_info("state", TensorProto.FLOAT, VAD_STATE))
    return n.model("vad", inputs, [_value_info("output", TensorProto.FLOAT, [1, 1]),
                                   _value_info("stateN", TensorProto.FLOAT, VAD_STATE)])


def _float_for_quant() -> onnx.ModelProto:
    n = _Net(6)
    y = n.conv("x", 3, 8, "conv0", stride=2)  # [1, 8, 16, 16]
    flat = n.node("Flatten", [y], "flatten", axis=1)
    n.node("MatMul", [flat, n.weight("fc.w", (8 * 16 * 16, 10))], "logits")
    return n.model("float_for_quant", [_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                   [_value_info("logits", TensorProto.FLOAT, [1, 10])])


def dynamic_quant() -> onnx.ModelProto:
    """onnxruntime.quantization.quantize_dynamic of a conv + matmul model (QOperator, dynamic activations)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder) / "float.onnx", Path(folder) / "dynamic.onnx"
        onnx.save(_float_for_quant(), src)
        # uint8 weights: ORT's CPU ConvInteger kernel takes uint8 only.
        quantize_dynamic(str(src), str(dst), op_types_to_quantize=["Conv", "MatMul"], weight_type=QuantType.QUInt8)
        return onnx.load(str(dst))


ALL = {
    "ocr_detector": ocr_detector,
    "unknown_dims": unknown_dims,
    "unnamed_hw": unnamed_hw,
    "crnn": crnn,
    "vad": vad,
    "dynamic_quant": dynamic_quant,
    "htp_big_float": htp_big_float,
}


def save(model: onnx.ModelProto, folder: Path, name: str) -> Path:
    path = Path(folder) / f"{name}.onnx"
    onnx.save_model(model, path)
    return path
