"""First diverging tensor: which layer breaks when a model is quantised, or runs on an accelerator.

Both models get every float intermediate tensor added as an output (ONNX Runtime's
`qdq_loss_debug.modify_model_output_intermediate_tensors`); the model runs on the target,
the reference (the same model, or the float original with `--reference-model`) on the
reference target, on the same input. Tensors are matched by name (QDQ models keep the
float model's tensor names), walked in the target model's node order, and compared by
SQNR and cosine similarity. The first tensor under the SQNR threshold is the answer.
The sessions run in a child process (app/engines/child.py): a hostile model crashes it,
not the CLI.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict, dataclass, field

import numpy as np

from app.engines.child import child_main, progress, run_child

MODULE = "app.run.layerwise"
SUFFIX = "_ReshapedSavedOutput"  # what modify_model_output_intermediate_tensors appends
POST_QDQ = ("_DequantizeLinear_Output", "_DequantizeLinear_Output_1")  # ONNX Runtime's QDQ tensor names
QDQ_SUFFIXES = ("_QuantizeLinear_Input", "_QuantizeLinear_Output", *POST_QDQ)


@dataclass
class LayerRow:
    tensor: str
    node: str  # the node that produces it
    op: str
    sqnr_db: float  # inf when identical
    cosine: float  # nan when a side is all zeros
    max_abs: float


@dataclass
class LayerwiseResult:
    model: str
    reference_model: str
    target: str
    reference: str
    threshold_db: float
    input_sources: dict[str, str]
    rows: list[LayerRow] = field(default_factory=list)
    unmatched: int = 0  # target tensors the reference has no tensor of that name for (Q/DQ outputs)
    first_bad: int | None = None  # index into rows

    @classmethod
    def from_dict(cls, d: dict) -> LayerwiseResult:
        rows = [LayerRow(**r) for r in d.pop("rows")]
        return cls(rows=rows, **d)


def sqnr_db(ref: np.ndarray, x: np.ndarray) -> float:
    """10 log10(signal power / noise power) of `x` against `ref`; inf when equal, -inf when `ref` is all zeros."""
    ref, x = ref.astype(np.float64).ravel(), x.astype(np.float64).ravel()
    noise = float(np.sum((ref - x) ** 2))
    signal = float(np.sum(ref ** 2))
    if noise == 0.0:
        return math.inf
    return -math.inf if signal == 0.0 else 10.0 * math.log10(signal / noise)


def cosine(ref: np.ndarray, x: np.ndarray) -> float:
    ref, x = ref.astype(np.float64).ravel(), x.astype(np.float64).ravel()
    norm = float(np.linalg.norm(ref) * np.linalg.norm(x))
    return float(np.dot(ref, x) / norm) if norm > 0 else math.nan


def compare(model: str, target: str, reference: str, reference_model: str = "", inputs: dict | None = None,
            threshold_db: float = 20.0) -> LayerwiseResult:
    """Run both sides in a child process; the per-tensor comparison."""
    request = {"model": model, "target": target, "reference": reference, "reference_model": reference_model or model,
               "inputs": inputs or {}, "threshold_db": threshold_db}
    return LayerwiseResult.from_dict(run_child(MODULE, request, f"the layer-wise check of {model}",
                                               stall_s=900.0))


# --- the child's side -------------------------------------------------------------


def _tensors(path: str, target_id: str, feeds: dict, tmp: str, tag: str) -> dict[str, np.ndarray]:
    from onnxruntime.quantization.qdq_loss_debug import modify_model_output_intermediate_tensors  # noqa: PLC0415

    from app.engines.base import SessionSettings  # noqa: PLC0415
    from app.engines.registry import engine_for, find_target  # noqa: PLC0415

    target = find_target(target_id)
    augmented = os.path.join(tmp, f"{tag}.onnx")
    modify_model_output_intermediate_tensors(path, augmented)
    _save_dequantized(augmented)
    session = engine_for(target).open(augmented, target, SessionSettings())
    try:
        values = session.run(feeds)
        names = session.output_names()
    finally:
        session.close()
    return {n.removesuffix(SUFFIX): v for n, v in zip(names, values, strict=False) if n.endswith(SUFFIX)}


def _save_dequantized(path: str) -> None:
    """Add the DequantizeLinear outputs the helper leaves out: those of com.microsoft's 16-bit Q/DQ ops,
    whose types ONNX shape inference cannot see."""
    import onnx  # noqa: PLC0415
    from onnx import helper  # noqa: PLC0415

    model = onnx.load(path)
    g = model.graph
    saved = {o.name for o in g.output}
    scales = {t.name: t.data_type for t in g.initializer}
    shape = next((n.input[1] for n in g.node if n.op_type == "Reshape" and n.output[0].endswith(SUFFIX)), None)
    if shape is None:
        return
    for node in list(g.node):
        out = node.output[0] if node.op_type == "DequantizeLinear" and node.output else ""
        if not out or out + SUFFIX in saved or node.input[0] in scales:  # weights: constant, not activations
            continue
        g.node.append(helper.make_node("Reshape", [out, shape], [out + SUFFIX], name=out + SUFFIX))
        g.output.append(helper.make_tensor_value_info(out + SUFFIX, scales.get(node.input[1], 1), [-1]))
    onnx.save(model, path)


def _producers(path: str) -> list[tuple[str, str, str]]:
    """(tensor, node name, op type) for every node output, in graph order, dequantised weights left out."""
    from app.model.model_file import load_model  # noqa: PLC0415

    graph = load_model(path).graph
    weights = {t.name for t in graph.initializer}
    return [(out, n.name, n.op_type) for n in graph.node for out in n.output
            if out and not (n.op_type == "DequantizeLinear" and n.input[0] in weights)]  # weights: not layers


def _consumed(got: dict, tensor: str) -> np.ndarray | None:
    """The value the next layers read: after the tensor's Quantize/DequantizeLinear pair when it has one
    (a Relu folded into the quantisation's range shows only there)."""
    return next((got[tensor + s] for s in POST_QDQ if tensor + s in got), got.get(tensor))


def rows_of(order: list[tuple[str, str, str]], got: dict, ref: dict) -> tuple[list[LayerRow], int]:
    """One row per target tensor the reference has too, in graph order; and how many it lacks."""
    rows, unmatched = [], 0
    for tensor, node, op in order:
        b = _consumed(got, tensor)
        if b is None or tensor.endswith(QDQ_SUFFIXES):
            continue
        a = ref.get(tensor)
        if a is None or a.size != b.size:
            unmatched += 1
            continue
        rows.append(LayerRow(tensor, node, op, sqnr_db(a, b), cosine(a, b),
                             float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0))
    return rows, unmatched


def _job(request: dict) -> dict:
    from app.model.inputs import model_inputs, prepare_inputs  # noqa: PLC0415
    from app.model.model_file import load_model  # noqa: PLC0415

    prepared = prepare_inputs(model_inputs(load_model(request["model"])), inputs=request["inputs"], seed=0)
    with tempfile.TemporaryDirectory(prefix="aipcprof-layerwise-") as tmp:
        progress(0, 2, f"running {request['target']}")
        got = _tensors(request["model"], request["target"], prepared.feeds, tmp, "target")
        progress(1, 2, f"running {request['reference']}")
        ref = _tensors(request["reference_model"], request["reference"], prepared.feeds, tmp, "reference")
        progress(2, 2, "compared")
    rows, unmatched = rows_of(_producers(request["model"]), got, ref)
    first = next((i for i, r in enumerate(rows) if r.sqnr_db < request["threshold_db"]), None)
    result = LayerwiseResult(request["model"], request["reference_model"], request["target"], request["reference"],
                             request["threshold_db"], prepared.sources, rows, unmatched, first)
    return asdict(result)


if __name__ == "__main__":
    raise SystemExit(child_main(_job))
