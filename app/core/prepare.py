"""Turn a RunSpec into what a session needs: a checked model, static shapes, input arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.core.errors import ModelError
from app.core.runspec import RunSpec


@dataclass
class PreparedRun:
    feeds: dict[str, np.ndarray]
    input_shapes: dict[str, list[int]]
    dim_overrides: dict[str, int]
    sources: dict[str, str] = field(default_factory=dict)  # input -> "synthetic" | file | "value"
    model_identity: dict = field(default_factory=dict)

    def inputs_summary(self) -> list[dict]:
        return [
            {"name": name, "dtype": str(arr.dtype), "shape": list(arr.shape), "source": self.sources.get(name, "")}
            for name, arr in self.feeds.items()
        ]


def prepare_run(spec: RunSpec) -> PreparedRun:
    from app.core import inputs as inp
    from app.core.model_file import custom_domain_ops, load_model

    model = load_model(spec.model_path)
    custom = [(d, op) for d, op in custom_domain_ops(model) if d != "com.microsoft"]
    if custom:
        domain, op = custom[0]
        raise ModelError(
            f"{spec.model_path}: op {op} from domain {domain} is not implemented by any runtime here.",
            hint="Re-export the model without custom ops, or register their custom-op library.",
        )
    specs = inp.model_inputs(model)
    by_name = {s.name: s for s in specs}
    provided: dict[str, np.ndarray] = {}
    sources: dict[str, str] = {}
    for name, text in spec.inputs.items():
        if name not in by_name:
            valid = ", ".join(by_name) or "(none)"
            raise inp.InputSpecError(f"--input {name}=...: the model has no input '{name}'.",
                                     hint=f"Valid inputs: {valid}.")
        provided[name] = inp.load_input_value(text, by_name[name])
        sources[name] = text
    # Shapes of provided arrays count as --shape, so their symbolic dims bind too.
    shapes = {**{n: list(a.shape) for n, a in provided.items()}, **spec.shapes}
    resolved = inp.resolve_shapes(specs, shapes, spec.dims)
    feeds = inp.synthesize_inputs(specs, resolved, spec.seed, provided)
    for name in feeds:
        sources.setdefault(name, f"synthetic (seed {spec.seed})")
    return PreparedRun(feeds=feeds, input_shapes=resolved, dim_overrides=_bound_dims(specs, resolved),
                       sources=sources, model_identity=_identity(spec.model_path, model))


def _identity(path: str, model) -> dict:
    import os

    from app.core.model_file import sha256_file

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


def _bound_dims(specs, resolved: dict[str, list[int]]) -> dict[str, int]:
    """Symbolic dim name -> the value it resolved to, for free-dimension overrides."""
    out: dict[str, int] = {}
    for s in specs:
        for dim, value in zip(s.shape, resolved.get(s.name, [])):
            if isinstance(dim, str) and dim:
                out[dim] = int(value)
    return out
