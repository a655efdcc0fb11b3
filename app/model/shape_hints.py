"""What the model itself says about its inputs: sizes its graph fixes, metadata, compared values.

Read, never guessed: the channels the first Conv takes, a MatMul's inner
size, an LSTM's input size, value_info the exporter left for the input,
metadata props such as `imgsz` or `image_size`, and, for an input that needs a
value (a sample rate), the constants the graph compares it with (`sr == 16000`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from app.model.dims import image_layout

if TYPE_CHECKING:
    from app.model.inputs import IOSpec

SMALL = 64  # constants up to this many elements are read (scalars, shapes)
_HOPS = 4  # ops followed from an input to the node that fixes a size
# Ops that keep an input's channels and last dim (the other operand, if any, must be a constant).
_KEEP = frozenset({"Cast", "Identity", "Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSwish", "Sub", "Add",
                   "Mul", "Div", "BatchNormalization", "InstanceNormalization"})
_VALUE_PASS = frozenset({"Cast", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten"})
_COMPARE = ("Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual")
_RATE = re.compile(r"(?i)^(sr|fs|rate|sample_?rate|sampling_?rate|samplerate|audio_?sample_?rate)$")
_META_SIDE = frozenset({"imgsz", "img_size", "image_size", "imagesize", "input_size", "inputsize", "resolution",
                        "input_resolution"})
_META_SHAPE = frozenset({"input_shape", "inputshape", "image_shape", "shape"})
_META_H = frozenset({"height", "image_height", "input_height", "img_h"})
_META_W = frozenset({"width", "image_width", "input_width", "img_w"})
_META_RATE = frozenset({"sample_rate", "sampling_rate", "samplerate", "sr"})


@dataclass(frozen=True)
class DimHint:
    value: int
    why: str  # "Conv 'stem' takes 3 channels", "metadata imgsz=640"


@dataclass(frozen=True)
class ValueNeed:
    """An input whose synthetic value would mislead (a sample rate): the user must give one."""

    what: str  # "a sample rate"
    example: str  # "16000"
    default: str | None = None  # a value the model itself justifies
    why: str = ""  # "the model compares sr with 16000"

    def to_dict(self) -> dict:
        return {"what": self.what, "example": self.example, "default": self.default, "why": self.why}


def rate_need(name: str, dtype: np.dtype | None, shape: list | None) -> ValueNeed | None:
    """A scalar (or [1]) number named like a sample rate needs a real value."""
    numeric = dtype is not None and dtype.kind in "iuf"
    scalar = shape is not None and (shape == [] or shape == [1])
    if numeric and scalar and _RATE.match(name):
        return ValueNeed("a sample rate", "16000")
    return None


class _Graph:
    def __init__(self, model: onnx.ModelProto) -> None:
        g = model.graph
        self.inits = {t.name: t for t in g.initializer}
        self.const_nodes = {n.output[0]: a.t for n in g.node if n.op_type == "Constant"
                            for a in n.attribute if a.name == "value"}
        self.users: dict[str, list[onnx.NodeProto]] = {}
        for n in g.node:
            for i in n.input:
                self.users.setdefault(i, []).append(n)
        self.value_info = {vi.name: vi for vi in g.value_info}

    def tensor(self, name: str) -> TensorProto | None:
        return self.inits.get(name) or self.const_nodes.get(name)

    def dims(self, name: str) -> list[int] | None:
        t = self.tensor(name)
        return None if t is None else list(t.dims)

    def value(self, name: str) -> np.ndarray | None:
        t = self.tensor(name)
        if t is None or int(np.prod(t.dims)) > SMALL or t.data_location == TensorProto.EXTERNAL:
            return None
        try:
            return numpy_helper.to_array(t)
        except (ValueError, TypeError):
            return None

    def consumers(self, name: str, passing: frozenset[str], rank: int) -> list[tuple[onnx.NodeProto, str]]:
        """(node, the tensor it takes) for nodes reached from `name` through `passing` ops."""
        found, frontier = [], [name]
        for _ in range(_HOPS):
            nxt = []
            for tensor in frontier:
                for node in self.users.get(tensor, []):
                    if node.op_type in passing and self._others_constant(node, tensor, rank):
                        nxt.extend(node.output[:1])
                    else:
                        found.append((node, tensor))
            frontier = nxt
        return found

    def _others_constant(self, node: onnx.NodeProto, tensor: str, rank: int) -> bool:
        others = [i for i in node.input[1:] if i and i != tensor] if node.input[0] == tensor else None
        if others is None:
            return False  # the input is not the data operand
        return all((d := self.dims(i)) is not None and len(d) <= rank for i in others)


def _node(node: onnx.NodeProto) -> str:
    return f"{node.op_type} '{node.name}'" if node.name else node.op_type


def _attr(node: onnx.NodeProto, name: str, default: int) -> int:
    return next((a.i for a in node.attribute if a.name == name), default)


def _graph_hints(graph: _Graph, spec: IOSpec) -> dict[int, DimHint]:
    rank, hints = len(spec.shape or []), {}
    for node, via in graph.consumers(spec.name, _KEEP, rank):
        if node.input[0] != via or len(node.input) < 2:
            continue
        w = graph.dims(node.input[1])
        if not w:
            continue
        if node.op_type == "Conv" and len(w) == rank:
            channels = w[1] * _attr(node, "group", 1)
            hints.setdefault(1, DimHint(channels, f"{_node(node)} takes {channels} channels"))
        elif node.op_type == "MatMul" and len(w) >= 2 and rank >= 2:
            hints.setdefault(rank - 1, DimHint(w[-2], f"{_node(node)} takes {w[-2]} features"))
        elif node.op_type == "Gemm" and len(w) == 2 and rank == 2:
            k = w[1] if _attr(node, "transB", 0) else w[0]
            hints.setdefault(0 if _attr(node, "transA", 0) else 1, DimHint(k, f"{_node(node)} takes {k} features"))
        elif node.op_type in ("LSTM", "GRU", "RNN") and len(w) == 3 and rank == 3:
            hints.setdefault(2, DimHint(w[2], f"{_node(node)} takes {w[2]} features"))
    vi = graph.value_info.get(spec.name)
    if vi is not None and vi.type.HasField("tensor_type") and len(vi.type.tensor_type.shape.dim) == rank:
        for axis, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                hints.setdefault(axis, DimHint(d.dim_value, "the model's value_info"))
    return hints


def _metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key.strip().lower(): p.value for p in model.metadata_props}


def _ints(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"\d+", text)][:4]


def _metadata_sides(meta: dict[str, str]) -> tuple[int, int, str] | None:
    """(height, width, why) from metadata props such as imgsz=640 or image_shape=[48, 192]."""
    for key in sorted(meta):
        values = [v for v in _ints(meta[key]) if v > 0]
        why = f"metadata {key}={meta[key].strip()[:40]}"
        if key in _META_SIDE and len(values) in (1, 2):
            return values[0], values[-1], why
        if key in _META_SHAPE and len(values) in (2, 3, 4):
            if len(values) == 3:  # (c, h, w) or (h, w, c)
                values = values[1:] if values[0] in (1, 3, 4) else values[:2]
            return values[-2], values[-1], why
    height = next((_ints(meta[k]) for k in _META_H if k in meta), None)
    width = next((_ints(meta[k]) for k in _META_W if k in meta), None)
    if height and width:
        return height[0], width[0], f"metadata height={height[0]}, width={width[0]}"
    return None


def dim_hints(model: onnx.ModelProto, specs: list[IOSpec]) -> dict[str, dict[int, DimHint]]:
    """Input name -> axis -> the size the model itself gives a dim it leaves open."""
    graph, sides = _Graph(model), _metadata_sides(_metadata(model))
    out: dict[str, dict[int, DimHint]] = {}
    for spec in specs:
        if spec.kind != "tensor" or spec.shape is None:
            continue
        hints = _graph_hints(graph, spec)
        known = {a: d for a, d in enumerate(spec.shape) if isinstance(d, int)} | {a: h.value for a, h in hints.items()}
        layout = image_layout(spec.dtype, spec.shape, known)
        if sides is not None and layout is not None:
            for axis, value in zip(layout.side_axes, sides[:2], strict=True):
                hints.setdefault(axis, DimHint(value, sides[2]))
        open_axes = {a for a, d in enumerate(spec.shape) if not isinstance(d, int)}
        out[spec.name] = {a: h for a, h in hints.items() if a in open_axes}
    return out


def value_needs(model: onnx.ModelProto, specs: list[IOSpec]) -> dict[str, ValueNeed]:
    """Input name -> what it needs, with a default when the model justifies one."""
    graph, meta = _Graph(model), _metadata(model)
    out = {}
    for spec in specs:
        need = rate_need(spec.name, spec.dtype, spec.shape)
        if need is None:
            continue
        meta_key = next((k for k in _META_RATE if k in meta and _ints(meta[k])), None)
        if meta_key:
            value = str(_ints(meta[meta_key])[0])
            need = ValueNeed(need.what, value, value, f"metadata {meta_key}={value}")
        elif (value := _compared_with(graph, spec.name)) is not None:
            need = ValueNeed(need.what, value, value, f"the model compares {spec.name} with {value}")
        out[spec.name] = need
    return out


def _compared_with(graph: _Graph, name: str) -> str | None:
    """The first constant the graph compares this input with (Equal first), as text."""
    found = []
    for node, via in graph.consumers(name, _VALUE_PASS, rank=1):
        if node.op_type not in _COMPARE:
            continue
        other = next((i for i in node.input if i != via), None)
        value = graph.value(other) if other else None
        if value is not None and value.size == 1:
            v = float(value.reshape(-1)[0])
            found.append((node.op_type != "Equal", str(int(v)) if v.is_integer() else str(v)))
    return min(found)[1] if found else None
