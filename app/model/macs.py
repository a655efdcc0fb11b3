"""Multiply-accumulates of the main graph at resolved input shapes (used by the model card).

Counted: Conv, ConvTranspose, MatMul, Gemm and their quantised forms, MatMulNBits,
and ONNX Runtime's Attention / MultiHeadAttention (projections + QK^T + PV);
attention built from plain MatMuls is counted as those MatMuls. Shapes come from
onnx shape inference on a light copy of the graph: large weights become typed
inputs, so no weight bytes are copied or read; where onnx cannot follow a shape
computation (Shape -> Div -> Reshape), ONNX Runtime's symbolic shape inference
takes over. When any counted node's shape stays unknown, or the model computes
in ops this module does not model (LSTM, Einsum, a Loop body), the total is
null with the reason, never a partial sum shown as the whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import onnx
from onnx import TensorProto, helper

from app.model.inputs import IOSpec, ShapeResolution

SMALL = 64  # initializers up to this many elements keep their values (Reshape targets, axes)
# Compute-heavy ops whose MACs are not modelled here: said in a note, not guessed.
UNCOUNTED = frozenset({"Einsum", "LSTM", "GRU", "RNN", "FusedConv", "FusedMatMul", "FusedGemm",
                       "GroupQueryAttention", "PackedAttention", "PackedMultiHeadAttention",
                       "DecoderMaskedMultiHeadAttention", "SparseAttention", "QAttention"})

Shape = list[int]
Lookup = Callable[[str], Shape | None]


@dataclass
class MacCount:
    macs: int | None
    reason: str = ""  # why macs is None
    by_op: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _prod(dims) -> int:
    return math.prod(int(d) for d in dims)


def _conv(node: onnx.NodeProto, s: Lookup) -> int | None:
    """Output elements x (input channels per group x kernel)."""
    out, w = s(node.output[0]), s(node.input[3 if node.op_type == "QLinearConv" else 1])
    return None if out is None or w is None else _prod(out) * _prod(w[1:])


def _conv_transpose(node: onnx.NodeProto, s: Lookup) -> int | None:
    """Each input element meets (output channels per group x kernel) weights."""
    x, w = s(node.input[0]), s(node.input[1])
    return None if x is None or w is None else _prod(x) * _prod(w[1:])


def _matmul(node: onnx.NodeProto, s: Lookup) -> int | None:
    """Output elements x K (the shared inner dimension)."""
    a, out = s(node.input[0]), s(node.output[0])
    return None if a is None or out is None or not a else _prod(out) * a[-1]


def _gemm(node: onnx.NodeProto, s: Lookup) -> int | None:
    a, out = s(node.input[0]), s(node.output[0])
    if a is None or out is None or len(a) != 2:
        return None
    trans_a = next((x.i for x in node.attribute if x.name == "transA"), 0)
    return _prod(out) * (a[0] if trans_a else a[1])


def _matmul_nbits(node: onnx.NodeProto, s: Lookup) -> int | None:
    a = s(node.input[0])
    k = next((x.i for x in node.attribute if x.name == "K"), 0)
    n = next((x.i for x in node.attribute if x.name == "N"), 0)
    return None if a is None or not k or not n else _prod(a[:-1]) * k * n


def _attention(node: onnx.NodeProto, s: Lookup) -> int | None:
    """com.microsoft Attention: QKV projection + QK^T + PV (past key/values not counted)."""
    x, w = s(node.input[0]), s(node.input[1])
    if x is None or w is None or len(x) != 3 or len(w) != 2:
        return None
    b, seq, d_in = x
    sizes = next((list(a.ints) for a in node.attribute if a.name == "qkv_hidden_sizes"), [w[1] // 3] * 3)
    return b * seq * d_in * w[1] + b * seq * seq * sizes[0] + b * seq * seq * sizes[2]


def _mha(node: onnx.NodeProto, s: Lookup) -> int | None:
    """com.microsoft MultiHeadAttention with separate Q, K, V (3-D, or 4-D BNSH key/value)."""
    if len(node.input) < 3 or not node.input[1] or not node.input[2]:
        return None
    q, k, v = s(node.input[0]), s(node.input[1]), s(node.input[2])
    if q is None or k is None or v is None or len(q) != 3 or len(k) not in (3, 4) or len(v) not in (3, 4):
        return None
    b, seq, d = q
    kv_len = k[1] if len(k) == 3 else k[2]
    d_v = v[2] if len(v) == 3 else v[1] * v[3]
    return b * seq * kv_len * (d + d_v)


COUNTERS: dict[str, Callable[[onnx.NodeProto, Lookup], int | None]] = {
    "Conv": _conv, "ConvInteger": _conv, "QLinearConv": _conv, "ConvTranspose": _conv_transpose,
    "MatMul": _matmul, "MatMulInteger": _matmul, "QLinearMatMul": _matmul, "Gemm": _gemm, "QGemm": _gemm,
    "MatMulNBits": _matmul_nbits, "Attention": _attention, "MultiHeadAttention": _mha,
}


def _light_copy(model: onnx.ModelProto, specs: list[IOSpec], shapes: dict[str, list]) -> onnx.ModelProto:
    """The graph with static inputs and big weights turned into typed inputs (no weight bytes)."""
    light = onnx.ModelProto(ir_version=model.ir_version, opset_import=model.opset_import)
    light.functions.extend(model.functions)
    g = light.graph
    g.node.extend(_strip_constant(n) for n in model.graph.node)
    g.input.extend(helper.make_tensor_value_info(s.name, s.elem_type, shapes[s.name]) for s in specs
                   if s.kind == "tensor")
    for t in model.graph.initializer:
        if _prod(t.dims) <= SMALL and t.data_location != TensorProto.EXTERNAL:
            g.initializer.append(t)
        else:
            g.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    for out in model.graph.output:
        vi = g.output.add()
        vi.CopyFrom(out)
        if vi.type.HasField("tensor_type"):
            vi.type.tensor_type.ClearField("shape")  # let inference fill it at the resolved shapes
    return light


def _strip_constant(node: onnx.NodeProto) -> onnx.NodeProto:
    """A Constant holding a large tensor keeps its dims and type but not its bytes."""
    if node.op_type != "Constant" or not any(a.name == "value" and _prod(a.t.dims) > SMALL
                                              for a in node.attribute):
        return node
    light = onnx.NodeProto()
    light.CopyFrom(node)
    for a in light.attribute:
        if a.name == "value":
            a.t.ClearField("raw_data")
            for f in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                a.t.ClearField(f)
    return light


def _inferred_shapes(light: onnx.ModelProto) -> dict[str, Shape]:
    return _static(onnx.shape_inference.infer_shapes(light, strict_mode=False, data_prop=True))


def inferred_shapes(model: onnx.ModelProto, specs: list[IOSpec], shapes: dict[str, list]) -> dict[str, Shape]:
    """Tensor name -> static shape at these input shapes (shape inference on a light copy)."""
    return _inferred_shapes(_light_copy(model, specs, shapes))


def _symbolic_shapes(light: onnx.ModelProto) -> dict[str, Shape]:
    """ONNX Runtime's symbolic shape inference (it folds Shape/Gather/Div chains onnx leaves open)."""
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference  # noqa: PLC0415 - optional

        inferred = SymbolicShapeInference.infer_shapes(light, auto_merge=True)
    except Exception:  # noqa: BLE001 - no onnxruntime here, or an op it does not know: onnx's answer stands
        return {}
    return _static(inferred)


def _static(inferred: onnx.ModelProto) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    g = inferred.graph
    for vi in [*g.input, *g.value_info, *g.output]:
        tt = vi.type.tensor_type
        if vi.type.HasField("tensor_type") and tt.HasField("shape") and \
                all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = [d.dim_value for d in tt.shape.dim]
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    return shapes


def _count(model: onnx.ModelProto, known: dict[str, Shape]) -> tuple[dict[str, int], list[onnx.NodeProto]]:
    by_op: dict[str, int] = {}
    unknown = []
    for node in model.graph.node:
        counter = COUNTERS.get(node.op_type)
        if counter is None:
            continue
        n = counter(node, known.get)
        if n is None:
            unknown.append(node)
        else:
            by_op[node.op_type] = by_op.get(node.op_type, 0) + n
    return by_op, unknown


def count_macs(model: onnx.ModelProto, specs: list[IOSpec], res: ShapeResolution) -> MacCount:
    """MACs of the main graph's compute ops at `res` shapes, or None with the reason."""
    if res.open_dims():  # counted at known shapes only, never at a guess
        return MacCount(None, "unresolved dims: " + ", ".join(res.open_dims()))
    light = _light_copy(model, specs, res.shapes)
    try:
        known = _inferred_shapes(light)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as e:
        return MacCount(None, f"shape inference failed: {str(e).splitlines()[0][:160]}")
    by_op, unknown = _count(model, known)
    if unknown:  # a shape computation onnx could not follow: try ONNX Runtime's symbolic inference
        by_op, unknown = _count(model, {**_symbolic_shapes(light), **known})
    notes = _uncounted_notes(model)
    if unknown:
        names = [n.name or n.op_type for n in unknown]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        return MacCount(None, f"shapes unknown after inference for {', '.join(names[:3])}{more}", notes=notes)
    if (gap := _not_modelled(model)) is not None:
        partial = f"; the counted ops alone: {sum(by_op.values()):,}" if by_op else ""
        return MacCount(None, gap + partial, by_op, notes)
    return MacCount(sum(by_op.values()), "", by_op, notes)


def _not_modelled(model: onnx.ModelProto) -> str | None:
    """Why the total would understate the model's compute, or None when every compute op is counted."""
    ops = sorted({n.op_type for n in model.graph.node if n.op_type in UNCOUNTED})
    if ops:
        return f"{', '.join(ops)} not modelled"
    inner = sorted({n.op_type for g in _subgraphs(model.graph) for n in g.node
                    if n.op_type in COUNTERS or n.op_type in UNCOUNTED})
    if inner:
        return f"{', '.join(inner)} inside If/Loop/Scan bodies not counted"
    return None


def _subgraphs(graph: onnx.GraphProto):
    for node in graph.node:
        for attr in node.attribute:
            for g in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield g
                yield from _subgraphs(g)


def _uncounted_notes(model: onnx.ModelProto) -> list[str]:
    ops = sorted({n.op_type for n in model.graph.node if n.op_type in UNCOUNTED})
    return [f"MACs of {', '.join(ops)} are not counted"] if ops else []
