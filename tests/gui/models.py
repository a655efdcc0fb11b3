"""Models for the desktop-app tests, built with onnx.helper (never downloaded): inputs whose shapes the
model leaves open the way exported image models do."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from tests import model_zoo


def _open_dims(model: onnx.ModelProto, name: str, dims: list) -> None:
    """Re-declare input `name` with `dims`: an int, a name, or None (a dim with neither: '?')."""
    vi = next(v for v in model.graph.input if v.name == name)
    shape = vi.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, int):
            dim.dim_value = d
        elif isinstance(d, str):
            dim.dim_param = d


def open_image_net() -> onnx.ModelProto:
    """conv_net with every dim of its input left open and unnamed: image[?, ?, ?, ?] -> logits[?, 10]."""
    m = model_zoo.conv_net()
    _open_dims(m, "image", [None, None, None, None])
    out = m.graph.output[0].type.tensor_type.shape
    out.dim[0].Clear()
    onnx.checker.check_model(m)
    return m


def scaled_image_net() -> onnx.ModelProto:
    """open_image_net times a float scalar input `scale` (a scalar the user may set, like a sample rate)."""
    m = open_image_net()
    m.graph.node[-1].output[0] = "raw"
    m.graph.node.append(helper.make_node("Mul", ["raw", "scale"], ["logits"], name="scale_mul"))
    m.graph.input.append(helper.make_tensor_value_info("scale", TensorProto.FLOAT, []))
    onnx.checker.check_model(m)
    return m


def reshape_trap() -> onnx.ModelProto:
    """x[1, n] -> Reshape to [1, 16]: the session opens for any n, the first inference fails unless n = 16
    (a run that fails with 0 measured inferences after the session reported its placement and precision)."""
    target = helper.make_tensor("target_shape", TensorProto.INT64, [2], [1, 16])
    node = helper.make_node("Reshape", ["x", "target_shape"], ["y"], name="reshape")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])
    return model_zoo._model(helper.make_graph([node], "reshape_trap", [x], [y], [target]))
