"""Model card speed on a ~500 MB model, against reading the file once (issue #2: "fast on a 500 MB model").

Two layouts: weights inline in the .onnx (protobuf must parse them) and weights
in an external-data file (only headers are read). The reference is one plain
sequential read of the same bytes (what any tool must at least pay to hash it).

    python benchmarks/inspect_speed.py [--mib 512]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from _common import ROOT  # noqa: F401  (puts the repo on sys.path)
from onnx import TensorProto, helper, numpy_helper

from app.model.model_card import inspect_model


def build(folder: Path, mib: int, external: bool) -> Path:
    n = mib * 2**20 // 4 // 1024
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((n, 1024), dtype=np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1024])
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "big", [x], [y], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / f"big_{'ext' if external else 'inline'}.onnx"
    onnx.save_model(m, path, save_as_external_data=external, location="big.weights" if external else None)
    return path


def read_once(paths: list[Path]) -> float:
    t = time.perf_counter()
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=512)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aipcprof-inspect-"))
    for external in (False, True):
        path = build(folder, args.mib, external)
        files = [path] + ([folder / "big.weights"] if external else [])
        ref = read_once(files)
        t = time.perf_counter()
        card = inspect_model(path, with_sha256=False)
        no_hash = time.perf_counter() - t
        t = time.perf_counter()
        inspect_model(path)
        with_hash = time.perf_counter() - t
        print(f"{'external' if external else 'inline'} {args.mib} MiB ({card.parameters:,} parameters): "
              f"card {no_hash:.3f} s, card + sha256 {with_hash:.3f} s, one plain read {ref:.3f} s "
              f"-> card / read = {no_hash / ref:.2f}")


if __name__ == "__main__":
    main()
