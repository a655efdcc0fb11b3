"""Turn a RunSpec into what a session needs: a checked model, static shapes, input arrays."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from app.run.runspec import RunSpec


@dataclass
class PreparedRun:
    feeds: dict[str, np.ndarray]
    input_shapes: dict[str, list[int]]
    dim_overrides: dict[str, int]
    inputs: list[dict] = field(default_factory=list)  # the record's `inputs` section
    model_identity: dict = field(default_factory=dict)
    guessed: dict[str, list[int]] = field(default_factory=dict)  # input -> axes that took a stated default
    quant_label: str = ""  # the model's own quantisation, for the precision label ("" when float)

    def inputs_summary(self) -> list[dict]:
        return self.inputs


def prepare_run(spec: RunSpec) -> PreparedRun:
    from app.model import inputs as inp
    from app.model.model_card import quant_label, quantization
    from app.model.model_file import custom_domain_ops, custom_op_error, load_model

    model = load_model(spec.model_path)
    custom = custom_domain_ops(model)
    if custom:
        raise custom_op_error(spec.model_path, custom)
    specs = inp.model_inputs(model)
    prepared = inp.prepare_inputs(specs, shapes=spec.shapes, dims=spec.dims, inputs=spec.inputs, seed=spec.seed)
    return PreparedRun(feeds=prepared.feeds, input_shapes=prepared.shapes,
                       dim_overrides=_bound_dims(specs, prepared.shapes), inputs=prepared.describe(),
                       model_identity=_identity(spec.model_path, model), guessed=prepared.guessed,
                       quant_label=quant_label(quantization(model)))


def _bound_dims(specs, resolved: dict[str, list[int]]) -> dict[str, int]:
    """Symbolic dim name -> the value it resolved to, for free-dimension overrides."""
    out: dict[str, int] = {}
    for s in specs:
        for dim, value in zip(s.shape or [], resolved.get(s.name, [])):
            if isinstance(dim, str) and dim:
                out[dim] = int(value)
    return out


def _identity(path: str, model) -> dict:
    from app.model.model_file import sha256_file

    return {
        "path": os.path.abspath(path),
        "name": os.path.basename(path),
        "sha256": sha256_file(path),
        "size_bytes": os.path.getsize(path),
        "ir_version": int(model.ir_version),
        "opsets": {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import},
        "graph_name": model.graph.name,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }
