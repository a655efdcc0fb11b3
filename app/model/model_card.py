"""The model card: what a model is, read from the file without loading its weights.

`inspect_model(path)` -> ModelCard (`.to_dict()` for JSON, `format_card()` for
people). MACs are counted at the resolved input shapes only: with a symbolic
dim left unresolved the card says which, and gives no number rather than a
guess. docs/model-card.md describes every field.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import onnx
from onnx import TensorProto

from app.common.fmt import fmt_bytes, fmt_si
from app.common.text import terminal_safe
from app.model import macs as macs_mod
from app.model.inputs import dtype_name, model_inputs, model_outputs, resolve_partial, value_problems
from app.model.model_file import (
    custom_domain_ops,
    external_files,
    external_refs,
    iter_graphs,
    iter_nodes,
    iter_tensors,
    load_model,
    ort_only_ops,
    sha256_file,
    tensor_nbytes,
)

CONTROL_FLOW = ("If", "Loop", "Scan")
QOPERATOR = frozenset({"QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger", "MatMulNBits", "QGemm",
                       "QLinearAdd", "QLinearMul", "QAttention", "DynamicQuantizeMatMul", "GatherBlockQuantized"})
# op -> index of its weight input, to read the weight precision of QOperator models
# Activations quantised at run time (quantize_dynamic): QOperator with a per-inference scale.
DYNAMIC = frozenset({"DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM"})
_QOP_WEIGHT = {"QLinearConv": 3, "QLinearMatMul": 3, "MatMulInteger": 1, "ConvInteger": 1, "QGemm": 3}
QUANT_META = "aipcprof.quant."  # written by app/engines/quantize.py
_SHORT = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64"}


@dataclass
class ModelCard:
    path: str
    file_bytes: int
    sha256: str | None
    graph_name: str
    producer: str  # "pytorch 2.5.0"
    ir_version: int
    opsets: dict[str, int]  # domain ("ai.onnx" for the default one) -> version
    inputs: list[dict]  # {"name", "dtype", "shape"}; symbolic dims as their names
    outputs: list[dict]
    nodes: int  # main graph
    subgraph_nodes: int  # inside If/Loop/Scan bodies and model-local functions
    op_histogram: dict[str, int]  # every node, most frequent first; "domain:Op" outside ai.onnx
    parameters: int  # elements in initializers and Constant tensors
    parameter_bytes: int
    precision: dict[str, dict]  # dtype -> {"elements", "bytes", "share"} (share of elements)
    weight_precision: str  # "fp32", "fp16", "int8", "fp32 + int8", ...
    quantization: dict  # {"format": "QDQ"|"QOperator"|"QDQ + QOperator"|"none", "weights", "activations", ...}
    macs: int | None
    flops: int | None  # 2 x MACs
    macs_reason: str  # why macs is null ("unresolved dims: seq"), else ""
    macs_by_op: dict[str, int]
    resolved_shapes: dict[str, list]  # the input shapes MACs were counted at (guessed dims left open)
    defaulted_dims: dict[str, int]  # batch dims that took 1 ('x[0]' when unnamed)
    external_data: list[dict]  # {"file", "bytes", "tensors"}
    external_bytes: int
    control_flow: list[str]  # If / Loop / Scan present
    custom_ops: list[list[str]]  # [domain, op] no runtime here implements
    ort_only_ops: list[list[str]]  # [domain, op] from ONNX Runtime's contrib domains
    notes: list[str] = field(default_factory=list)
    # Per input, per axis: {"value", "source" (app.model.dims.DimSource), "why", "name", "label"}; a run uses
    # these values. "guessed" dims take a stated default and the run warns; "needed" ones have no value.
    input_dims: dict[str, list[dict]] = field(default_factory=dict)
    guessed_dims: list[str] = field(default_factory=list)  # "x[2]=224", "seq=128": what a run would guess
    value_needs: dict[str, dict] = field(default_factory=dict)  # input -> {"what", "example", "default", "why"}
    needs_values: list[str] = field(default_factory=list)  # one message per input/dim a run cannot start without

    def to_dict(self) -> dict:
        return asdict(self)


def inspect_model(path: str | os.PathLike, *, dims: dict[str, int] | None = None,
                  shapes: dict[str, list[int]] | None = None, with_sha256: bool = True) -> ModelCard:
    """Read a model's card. Bad files raise ModelError, bad --dim/--shape InputSpecError."""
    p = Path(path)
    model = load_model(p)  # validates the file and every external reference
    files = external_files(external_refs(model, p))
    specs = model_inputs(model)
    res = resolve_partial(specs, shapes, dims)
    mac = macs_mod.count_macs(model, specs, res)
    hist, sub_nodes = _histogram(model)
    card = ModelCard(
        path=str(p), file_bytes=p.stat().st_size, sha256=sha256_file(p) if with_sha256 else None,
        graph_name=model.graph.name, producer=f"{model.producer_name} {model.producer_version}".strip(),
        ir_version=model.ir_version, opsets={o.domain or "ai.onnx": o.version for o in model.opset_import},
        inputs=[s.to_dict() for s in specs], outputs=[s.to_dict() for s in model_outputs(model)],
        nodes=len(model.graph.node), subgraph_nodes=sub_nodes, op_histogram=hist,
        **_weights(model), quantization=quantization(model),
        macs=mac.macs, flops=None if mac.macs is None else 2 * mac.macs, macs_reason=mac.reason,
        macs_by_op=mac.by_op, resolved_shapes=res.confirmed_shapes(), defaulted_dims=res.defaulted,
        external_data=[{"file": f.location, "bytes": f.size, "tensors": f.tensors} for f in files],
        external_bytes=sum(f.size for f in files),
        control_flow=sorted({n.op_type for n in iter_nodes(model) if n.op_type in CONTROL_FLOW}),
        custom_ops=[list(o) for o in custom_domain_ops(model)], ort_only_ops=[list(o) for o in ort_only_ops(model)],
    )
    card.input_dims = {name: [d.to_dict() for d in row] for name, row in res.dims.items()}
    card.guessed_dims = res.guess_labels()
    card.value_needs = {s.name: s.needs_value.to_dict() for s in specs if s.needs_value is not None}
    card.needs_values = value_problems(specs, set()) + res.unresolved
    card.notes = _notes(card, mac.notes)
    return card


def _histogram(model: onnx.ModelProto) -> tuple[dict[str, int], int]:
    counts: Counter[str] = Counter()
    for node in iter_nodes(model):
        std = node.domain in ("", "ai.onnx")
        counts[node.op_type if std else f"{node.domain}:{node.op_type}"] += 1
    total = sum(counts.values())
    return dict(counts.most_common()), total - len(model.graph.node)


def _elements(t: TensorProto) -> int:
    n = 1
    for d in t.dims:
        n *= d
    return n


def _weights(model: onnx.ModelProto) -> dict:
    """Parameter count, bytes and precision mix, from tensor metadata only."""
    by_type: dict[str, list[int]] = {}
    for t in iter_tensors(model):
        n = _elements(t)
        size = tensor_nbytes(t)
        if size is None:  # strings: their stored length
            size = sum(len(s) for s in t.string_data)
        entry = by_type.setdefault(dtype_name(t.data_type), [0, 0])
        entry[0] += n
        entry[1] += size
    total = sum(e for e, _ in by_type.values())
    precision = {k: {"elements": e, "bytes": b, "share": round(e / total, 4) if total else 0.0}
                 for k, (e, b) in sorted(by_type.items(), key=lambda kv: -kv[1][0])}
    return {"parameters": total, "parameter_bytes": sum(b for _, b in by_type.values()),
            "precision": precision, "weight_precision": _weight_precision(precision)}


def _weight_precision(precision: dict[str, dict]) -> str:
    """The number formats that hold the weights: index/shape tensors (int32/int64) left out."""
    main = [k for k, v in precision.items() if k not in ("int64", "int32", "bool", "string") and v["share"] >= 0.05]
    if not main:
        main = list(precision)[:1]
    return " + ".join(_SHORT.get(k, k) for k in main) or "none"


def quantization(model: onnx.ModelProto) -> dict:
    """QDQ (Quantize/DequantizeLinear pairs), QOperator (QLinear*, *Integer, MatMulNBits) or none."""
    inits = {t.name: t for g in iter_graphs(model.graph) for t in g.initializer}
    ops = Counter(n.op_type for n in iter_nodes(model))
    weights, acts = set(), set()
    for node in iter_nodes(model):
        if node.op_type == "DequantizeLinear" and node.input[0] in inits:
            weights.add(dtype_name(inits[node.input[0]].data_type))
        elif node.op_type == "QuantizeLinear":
            acts.add(_quantized_type(node, inits))
        elif node.op_type == "MatMulNBits":
            weights.add(f"{_attr(node, 'bits', 4)}-bit")
        elif node.op_type in _QOP_WEIGHT and len(node.input) > _QOP_WEIGHT[node.op_type]:
            w = inits.get(node.input[_QOP_WEIGHT[node.op_type]])
            if w is not None:
                weights.add(dtype_name(w.data_type))
    dynamic = sum(ops[o] for o in DYNAMIC) > 0
    qdq = ops["QuantizeLinear"] + ops["DequantizeLinear"] > 0
    qop = sum(ops[o] for o in QOPERATOR) > 0 or dynamic
    fmt = {(True, True): "QDQ + QOperator", (True, False): "QDQ", (False, True): "QOperator"}.get((qdq, qop), "none")
    if fmt == "QDQ" and not ops["QuantizeLinear"]:
        fmt = "QDQ (weight-only)"
    if dynamic:
        acts.add("uint8 (dynamic)")  # DynamicQuantizeLinear: scale and zero point computed per inference
    return {"format": fmt, "weights": sorted(weights), "activations": sorted(acts),
            "quantize_nodes": ops["QuantizeLinear"], "dequantize_nodes": ops["DequantizeLinear"],
            "qoperator_nodes": sum(ops[o] for o in QOPERATOR), "dynamic": dynamic, "scheme": quant_scheme(model)}


def quant_scheme(model: onnx.ModelProto) -> dict[str, str]:
    """What `aipcprof quantize` wrote into the metadata (scheme, calibration, tool); {} for other models."""
    return {p.key.removeprefix(QUANT_META): p.value for p in model.metadata_props if p.key.startswith(QUANT_META)}


def quant_label(q: dict) -> str:
    """What a quantised model computes in, for the run's precision: 'int8 (QDQ)',
    'uint8 (QOperator, dynamic quantisation)', '4-bit weights (QOperator)'; '' when not quantised."""
    fmt = q.get("format", "none")
    if fmt == "none":
        return ""
    bits = "/".join(q.get("weights") or []) or "int8"
    if fmt == "QDQ (weight-only)":
        return f"{bits} weights (QDQ weight-only)"
    if "4" in bits and "8" not in bits:
        bits += " weights"
    return f"{bits} ({fmt}{', dynamic quantisation' if q.get('dynamic') else ''})"


def scheme_text(scheme: dict[str, str]) -> str:
    """'scheme u8s8 by aipcprof quantize (onnxruntime 1.32.0), calibration: 32 samples from calib'."""
    return "scheme {scheme} by aipcprof quantize ({tool}), calibration: {calibration}".format_map(
        {"scheme": "?", "tool": "?", "calibration": "?", **scheme})


def _attr(node: onnx.NodeProto, name: str, default: int) -> int:
    return next((a.i for a in node.attribute if a.name == name), default)


def _quantized_type(node: onnx.NodeProto, inits: dict) -> str:
    """QuantizeLinear's output type: its zero point's type, output_dtype, else uint8 (the default)."""
    if len(node.input) > 2 and node.input[2] in inits:
        return dtype_name(inits[node.input[2]].data_type)
    out = _attr(node, "output_dtype", 0)
    return dtype_name(out) if out else "uint8"


def _notes(card: ModelCard, mac_notes: list[str]) -> list[str]:
    notes = list(mac_notes)
    if card.defaulted_dims:
        notes.append("defaulted " + ", ".join(f"{d}={v}" for d, v in card.defaulted_dims.items())
                     + (" (pass --shape to change)" if all("[" in d for d in card.defaulted_dims) else
                        " (pass --dim or --shape to change)" if any("[" in d for d in card.defaulted_dims) else
                        " (pass --dim to change)"))
    if card.guessed_dims:
        notes.append(f"a run would guess {', '.join(card.guessed_dims)} (* above): set them for your real "
                     f"input size")
    notes += card.needs_values
    if card.control_flow:
        notes.append(f"control flow ({', '.join(card.control_flow)}): MACs inside their subgraphs are not counted")
    for domain, op in card.custom_ops:
        notes.append(f"op {op} from domain {domain}: no runtime here implements it; register its custom-op "
                     "library or re-export the model without it")
    if card.ort_only_ops:
        names = ", ".join(sorted({op for _, op in card.ort_only_ops}))
        notes.append(f"ONNX Runtime contrib ops ({names}): only ONNX Runtime runs them; other engines may refuse")
    return notes


# --- human text -------------------------------------------------------------------




def _shape(shape: list | None) -> str:
    return "?" if shape is None else "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _io_lines(label: str, items: list[dict], dims: dict[str, list[dict]] | None = None) -> list[str]:
    width = max((len(i["name"]) for i in items), default=0)
    return [f"{label if k == 0 else '':<15}{i['name']:<{width}}  {i['dtype']:<8} {_shape(i['shape'])}"
            + _run_shape((dims or {}).get(i["name"], [])) for k, i in enumerate(items)] or [f"{label:<15}(none)"]


def _run_shape(dims: list[dict]) -> str:
    """'  -> a run uses [1, 3, 224*, 224*]' when the model leaves dims open (* guessed, ? needs a value)."""
    if all(d["source"] == "model" for d in dims):
        return ""
    marks = {"guessed": "*", "needed": ""}
    shown = ["?" if d["value"] is None else f"{d['value']}{marks.get(d['source'], '')}" for d in dims]
    return f"  -> a run uses [{', '.join(shown)}]"


def _compute_line(card: ModelCard) -> str:
    if card.macs is None:
        return f"{'Compute':<15}MACs unknown: {card.macs_reason}"
    at = ", ".join(f"{n}={_shape(s)}" for n, s in card.resolved_shapes.items())
    top = ", ".join(f"{op} {fmt_si(v)}" for op, v in sorted(card.macs_by_op.items(), key=lambda kv: -kv[1])[:4])
    return f"{'Compute':<15}{fmt_si(card.macs)} MACs, {fmt_si(card.flops or 0)} FLOPs at {at}" + (f" ({top})" if top else "")


def format_card(card: ModelCard) -> str:
    """The card as aligned text for a terminal."""
    opsets = ", ".join(f"{d} {v}" for d, v in card.opsets.items())
    sha = f", sha256 {card.sha256[:16]}…" if card.sha256 else ""
    ops = ", ".join(f"{op} {n}" for op, n in list(card.op_histogram.items())[:8])
    mix = ", ".join(f"{k} {v['share']:.0%}" for k, v in card.precision.items())
    q = card.quantization
    quant = q["format"] if q["format"] == "none" else (
        f"{q['format']}: weights {', '.join(q['weights']) or '?'}, activations {', '.join(q['activations']) or '-'}")
    if q.get("scheme"):
        quant += "; " + scheme_text(q["scheme"])
    ext = ", ".join(f"{e['file']} ({fmt_bytes(e['bytes'])}, {e['tensors']} tensors)" for e in card.external_data)
    lines = [
        f"{'Model':<15}{card.path} ({fmt_bytes(card.file_bytes)}{sha})",
        f"{'Graph':<15}{card.graph_name or '(unnamed)'}, producer {card.producer or '(unknown)'}",
        f"{'Format':<15}IR {card.ir_version}; opsets {opsets}",
        *_io_lines("Inputs", card.inputs, card.input_dims), *_io_lines("Outputs", card.outputs),
        f"{'Nodes':<15}{card.nodes} (+{card.subgraph_nodes} in subgraphs): {ops}",
        f"{'Parameters':<15}{fmt_si(card.parameters)} ({fmt_bytes(card.parameter_bytes)}); {card.weight_precision} "
        f"[{mix or 'no weights'}]",
        f"{'Quantization':<15}{quant}",
        _compute_line(card),
        f"{'External data':<15}{ext or 'none'}",
    ]
    lines += [f"{'Note' if i == 0 else '':<15}{n}" for i, n in enumerate(card.notes)]
    return "\n".join(terminal_safe(line) for line in lines)  # names in a model file are untrusted
