"""Build resources/sample_model.onnx: a small image classifier for first runs and demos.

A ResNet-style stem and four stride-2 Conv+Relu stages, global average pool and a
100-class Gemm: about 0.18 G MACs at 1x3x224x224, ~1.6 MB of fp32 weights, a few
milliseconds per inference on a laptop CPU. Weights are seeded random numbers, so
the file is byte-for-byte reproducible: `python scripts/make_sample_model.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parents[1] / "resources" / "sample_model.onnx"
CHANNELS = (32, 64, 128, 256)  # output channels of the four stride-2 stages
CLASSES = 100
SIZE = 224
OPSET, IR_VERSION = 17, 9  # readable by every runtime we ship (ORT >= 1.16, OpenVINO >= 2024)


def _conv(i: int, prev: str, cin: int, cout: int, r: np.random.Generator) -> tuple[list, list, str]:
    """Conv 3x3 stride 2 + Relu, He-initialised so activations keep their scale."""
    w = (r.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))).astype(np.float32)
    inits = [numpy_helper.from_array(w, f"stage{i}.conv.weight"),
             numpy_helper.from_array(np.zeros(cout, np.float32), f"stage{i}.conv.bias")]
    nodes = [helper.make_node("Conv", [prev, f"stage{i}.conv.weight", f"stage{i}.conv.bias"], [f"stage{i}.conv"],
                              name=f"stage{i}/conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", [f"stage{i}.conv"], [f"stage{i}.out"], name=f"stage{i}/relu")]
    return nodes, inits, f"stage{i}.out"


def build(seed: int = 0) -> onnx.ModelProto:
    r = np.random.default_rng(seed)
    nodes, inits, prev, cin = [], [], "image", 3
    for i, cout in enumerate(CHANNELS):
        n, w, prev = _conv(i, prev, cin, cout, r)
        nodes += n
        inits += w
        cin = cout
    fc_w = (r.standard_normal((cin, CLASSES)) * np.sqrt(1.0 / cin)).astype(np.float32)
    inits += [numpy_helper.from_array(fc_w, "head.fc.weight"),
              numpy_helper.from_array(np.zeros(CLASSES, np.float32), "head.fc.bias")]
    nodes += [helper.make_node("GlobalAveragePool", [prev], ["head.pool"], name="head/pool"),
              helper.make_node("Flatten", ["head.pool"], ["head.flat"], name="head/flatten", axis=1),
              helper.make_node("Gemm", ["head.flat", "head.fc.weight", "head.fc.bias"], ["logits"], name="head/fc")]
    graph = helper.make_graph(
        nodes, "aipcprof_sample_classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, CLASSES])], inits,
        doc_string="Sample image classifier (random weights) shipped with AI PC Profiler.")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="aipcprof sample", producer_version="1")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build().SerializeToString())
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
