"""A copy of the model whose unnamed dynamic input dims are fixed to the run's sizes.

NPU compilers (QNN, OpenVINO EP) take static shapes only. ONNX Runtime fixes a
named dim with a free-dimension override, but a dim with no name (`?`, or the
literal -1 that paddle2onnx writes) cannot be named in an override: for those
the session is created from a copy whose input dims are set (external weights
are read from the model's folder, the copy holds none of them).
"""

from __future__ import annotations

from pathlib import Path

import onnx

# Session config: where external initializers live when the model comes from bytes.
EXTERNAL_FOLDER = "session.model_external_initializers_file_folder_path"


def _open(d: onnx.TensorShapeProto.Dimension) -> bool:
    """No name and no positive size: `?`, -1 or 0."""
    return not (d.HasField("dim_value") and d.dim_value > 0) and not (d.HasField("dim_param") and d.dim_param)


def fixed_copy(path: str, shapes: dict[str, list[int]]) -> tuple[bytes, list[str]] | None:
    """(serialized model, ['x[2]=224', ...]) with unnamed input dims fixed; None when there are none."""
    model = onnx.load(path, load_external_data=False)
    stored = {t.name for t in model.graph.initializer}
    fixed = []
    for vi in model.graph.input:
        given = shapes.get(vi.name)
        dims = vi.type.tensor_type.shape.dim if vi.type.HasField("tensor_type") else []
        if vi.name in stored or given is None or len(dims) != len(given):
            continue
        for axis, (d, value) in enumerate(zip(dims, given, strict=True)):
            if _open(d):
                d.Clear()
                d.dim_value = int(value)
                fixed.append(f"{vi.name}[{axis}]={value}")
    if not fixed:
        return None
    for vi in [*model.graph.output, *model.graph.value_info]:  # a declared -1 would clash with the inferred size
        if vi.type.HasField("tensor_type"):
            for d in vi.type.tensor_type.shape.dim:
                if d.HasField("dim_value") and d.dim_value <= 0:
                    d.Clear()
    return model.SerializeToString(), fixed


def model_folder(path: str) -> str:
    return str(Path(path).resolve().parent)
