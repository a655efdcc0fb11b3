"""Explain a runtime failure that comes from the input sizes chosen for a run.

A Conv or pool whose kernel is wider than what reaches it fails with "Invalid
input shape: {128}"; the user needs to hear which input dim to change and to
what: "input 'input' has n=128, but Conv 'stft' needs n >= 256". The node comes
from the runtime's message (ONNX Runtime names it, OpenVINO names its output),
the sizes from onnx shape inference on a light copy of the graph at the run's
input shapes (app.model.macs), the input dim that drives the too-small axis
from inferring again with that dim changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import onnx

from app.model import macs
from app.model.inputs import IOSpec

_ORT_RUN = re.compile(r"running (\w+) node\. Name:'([^']*)'")
_ORT_LOAD = re.compile(r"Node \(([^)]*)\) Op \((\w+)\)")
_OV_NODE = re.compile(r"friendly_name '([^']+)'|Convolution (\S+) \(|node with name '([^']+)'")
_SHAPE_WORDS = re.compile(r"(?i)shape|dimension|kernel|broadcast|incompatible|mismatch|must match|size")
_WINDOWED = ("Conv", "ConvInteger", "MaxPool", "AveragePool", "LpPool")
_SEARCH_STEPS = 12  # shape inferences spent finding the smallest size that works


@dataclass(frozen=True)
class ShapeProblem:
    message: str
    hint: str


@dataclass(frozen=True)
class _Short:
    """A windowed node whose (padded) input is narrower than its kernel along `axis`."""

    node: onnx.NodeProto
    axis: int  # axis of the node's data input
    have: int  # padded size it gets
    need: int  # the kernel's span (with dilation)


def explain(model: onnx.ModelProto, specs: list[IOSpec], shapes: dict[str, list[int]],
            guessed: dict[str, list[int]], raw: str, *, generic: bool = True) -> ShapeProblem | None:
    """Why `raw` (a runtime's error) follows from the input sizes, or None when it does not look so.

    A kernel wider than its input is always the cause; `generic` also blames the sizes for any other
    failure of a node the message names (when the message talks about shapes or a dim was guessed).
    """
    shapes = {k: [int(d) for d in v] for k, v in shapes.items()}
    if not shapes or any(s.kind == "tensor" and s.name not in shapes for s in specs):
        return None
    known = _infer(model, specs, shapes)
    if known is None:
        return None
    node = _failing_node(model, raw)
    candidates = [node] if node is not None and node.op_type in _WINDOWED else \
        [n for n in model.graph.node if n.op_type in _WINDOWED]
    for cand in candidates:
        short = _too_small(cand, known)
        if short is not None:
            return _windowed_problem(model, specs, shapes, guessed, short)
    if generic and node is not None and (guessed or _SHAPE_WORDS.search(raw)):
        used = "; ".join(f"{name} {shapes[name]}" for name in shapes)
        which = ", ".join(f"{n}[{a}]={shapes[n][a]}" for n, axes in guessed.items() for a in axes)
        line = _first_line(raw)
        return ShapeProblem(f"{_describe(node)} failed at the input sizes used ({used}"
                            f"{f'; guessed: {which}' if which else ''}): {line.rstrip('.')}.",
                            "Set the guessed dims to the model's real input size." if which else
                            "Check the input sizes against what the model expects.")
    return None


def _infer(model: onnx.ModelProto, specs: list[IOSpec], shapes: dict[str, list[int]]) -> dict | None:
    try:
        return macs.inferred_shapes(model, specs, shapes)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError, ValueError):
        return None


def _failing_node(model: onnx.ModelProto, raw: str) -> onnx.NodeProto | None:
    names: list[str] = []
    if m := _ORT_RUN.search(raw):
        names.append(m.group(2))
    if m := _ORT_LOAD.search(raw):
        names.append(m.group(1))
    for m in _OV_NODE.finditer(raw):
        names.extend(g for g in m.groups() if g)
    for name in filter(None, names):
        for node in model.graph.node:
            if node.name == name or name in node.output:
                return node
    return None


def _ints(node: onnx.NodeProto, name: str) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == name), [])


def _too_small(node: onnx.NodeProto, known: dict[str, list[int]]) -> _Short | None:
    x = known.get(node.input[0])
    if node.op_type in ("Conv", "ConvInteger"):
        w = known.get(node.input[1]) if len(node.input) > 1 else None
        kernel = w[2:] if w else _ints(node, "kernel_shape")
    else:
        kernel = _ints(node, "kernel_shape")
    if not x or not kernel or len(x) != len(kernel) + 2:
        return None
    if any(a.name == "auto_pad" and a.s not in (b"", b"NOTSET", b"VALID") for a in node.attribute):
        return None  # SAME padding fits any size
    n = len(kernel)
    pads = _ints(node, "pads") or [0] * (2 * n)
    dilations = _ints(node, "dilations") or [1] * n
    for i, k in enumerate(kernel):
        span = (k - 1) * dilations[i] + 1
        have = x[2 + i] + pads[i] + pads[i + n]
        if have < span:
            return _Short(node, 2 + i, have, span)
    return None


def _windowed_problem(model: onnx.ModelProto, specs: list[IOSpec], shapes: dict[str, list[int]],
                      guessed: dict[str, list[int]], short: _Short) -> ShapeProblem:
    first = next((n for n in model.graph.node if n.op_type in _WINDOWED), None)
    what = "the model's first convolution" if first is short.node and "Conv" in short.node.op_type else \
        _describe(short.node)
    if first is short.node and "Conv" in short.node.op_type and short.node.name:
        what += f" ('{short.node.name}')"
    kernel = f"its kernel spans {short.need}, it gets {short.have}"
    for spec in specs:
        for axis, d in enumerate(spec.shape or []):
            if isinstance(d, int) or not _drives(model, specs, shapes, short, spec.name, axis):
                continue
            label = d if isinstance(d, str) else f"{spec.name}[{axis}]"
            now = shapes[spec.name][axis]
            tag = " (guessed)" if axis in guessed.get(spec.name, []) else ""
            least = _smallest(model, specs, shapes, short, spec.name, axis)
            needs = f"needs at least {least}" if least else "needs more"
            return ShapeProblem(f"input '{spec.name}' has {label}={now}{tag}; {what} {needs} ({kernel}).",
                                f"Set {label} to {least} or more." if least else f"Set a larger {label}.")
    return ShapeProblem(f"{what} gets a {short.have}-wide input but {kernel}; the input sizes are too small.",
                        "Run at a larger input size.")


def _have(model, specs, shapes, short: _Short, name: str, axis: int, value: int) -> int | None:
    trial = {k: list(v) for k, v in shapes.items()}
    trial[name][axis] = value
    known = _infer(model, specs, trial)
    x = known.get(short.node.input[0]) if known else None
    if not x or len(x) <= short.axis:
        return None
    n = len(x) - 2
    pads = _ints(short.node, "pads") or [0] * (2 * n)
    i = short.axis - 2
    return x[short.axis] + pads[i] + pads[i + n]


def _drives(model, specs, shapes, short: _Short, name: str, axis: int) -> bool:
    now = shapes[name][axis]
    return _have(model, specs, shapes, short, name, axis, 2 * now + 16) not in (None, short.have)


def _smallest(model, specs, shapes, short: _Short, name: str, axis: int) -> int | None:
    """The smallest value of the input dim that gives the node a wide enough input (few inferences)."""
    low, high = shapes[name][axis], 2 * shapes[name][axis] + 16
    for _ in range(_SEARCH_STEPS // 2):  # double until it fits
        have = _have(model, specs, shapes, short, name, axis, high)
        if have is not None and have >= short.need:
            break
        low, high = high, high * 2
    else:
        return None
    steps = _SEARCH_STEPS
    while high - low > 1 and steps:  # then halve the gap: the size grows monotonically with the dim
        mid = (low + high) // 2
        have = _have(model, specs, shapes, short, name, axis, mid)
        low, high = (low, mid) if have is not None and have >= short.need else (mid, high)
        steps -= 1
    return high if high - low <= 1 else None


def _describe(node: onnx.NodeProto) -> str:
    return f"{node.op_type} '{node.name}'" if node.name else f"a {node.op_type} node"


_NOISE = (re.compile(r"^\s*\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*"),
          re.compile(r"Non-zero status code returned while running \w+ node\. Name:'[^']*' Status Message:\s*"),
          re.compile(r"^\S+\.(?:h|cc|cpp):\d+\s+\w+\s+"))  # status prefix, node preamble, source location


def _first_line(raw: str) -> str:
    text = str(raw).strip()
    for noise in _NOISE:
        text = noise.sub("", text)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= 200 else line[:197] + "..."
