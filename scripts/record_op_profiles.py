"""Record the operator-profile fixtures in tests/data/op_profile/ from the real runtimes on this machine.

    python scripts/record_op_profiles.py [OUT_FOLDER [CASE ...]]

Each case opens a profiling session through the app's own engines (the code
`aipcprof run --op-profile` uses), runs DROP + KEPT inferences and copies what
the runtime wrote: ONNX Runtime's trace JSON, the QNN EP's CSV and ORT's
assignment of nodes to QNN partitions, OpenVINO's per-run perf counts and the
runtime model's originalLayersNames.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engines.base import SessionSettings  # noqa: E402
from app.engines.registry import engine_for, find_target  # noqa: E402
from tests import model_zoo  # noqa: E402

DROP, KEPT = 2, 3


def two_partitions() -> onnx.ModelProto:
    """MatMul-Relu, Sinh (no QNN kernel: CPU), MatMul-Relu: two QNN partitions around one CPU node."""
    w = numpy_helper.from_array(np.full((64, 64), 0.01, np.float32), "w")
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w"], ["a"], name="mm0"), n("Relu", ["a"], ["b"], name="relu0"),
             n("Sinh", ["b"], ["c"], name="sinh"), n("MatMul", ["c", "w"], ["d"], name="mm1"),
             n("Relu", ["d"], ["y"], name="relu1")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])
    m = helper.make_model(helper.make_graph(nodes, "two_partitions", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)], producer_name="aipcprof-tests")
    m.ir_version = model_zoo.IR_VERSION
    return m


CASES = {  # name: (target, model builder, feeds)
    "ort_cpu_conv_net": ("ort/cpu", model_zoo.conv_net, {"image": np.random.default_rng(0).random(
        (1, 3, 64, 64), dtype=np.float32)}),
    "ort_cpu_control_flow": ("ort/cpu", model_zoo.control_flow, {
        "x": np.ones((1, 4), np.float32), "flag": np.array(True), "trips": np.array(3, np.int64)}),
    "qnn_conv_net": ("ort/qnn/htp-emulator", model_zoo.conv_net, {"image": np.random.default_rng(0).random(
        (1, 3, 64, 64), dtype=np.float32)}),
    "qnn_two_partitions": ("ort/qnn/htp-emulator", two_partitions, {"x": np.ones((1, 64), np.float32)}),
    "ov_cpu_sample": ("ov/cpu", None, {"image": np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)}),
}


def record(name: str, out: Path) -> None:
    target_id, build, feeds = CASES[name]
    target = find_target(target_id)
    with tempfile.TemporaryDirectory() as work:
        model = str(ROOT / "resources" / "sample_model.onnx")
        if build is not None:
            model = str(Path(work) / f"{name}.onnx")
            onnx.save(build(), model)
        folder = Path(work) / "profile"
        folder.mkdir()
        session = engine_for(target).open(model, target, dataclasses.replace(SessionSettings(),
                                                                             profile_dir=str(folder)))
        runner = session.make_runner(feeds)
        for _ in range(DROP + KEPT):
            runner()
            session.after_profiled_run()
        raw = session.end_profile()
        session.close()
        if raw.trace_path:
            shutil.copy(raw.trace_path, out / f"{name}.trace.json")
        if raw.ep_csv_path:
            shutil.copy(raw.ep_csv_path, out / f"{name}.csv")
        if raw.partitions and target.provider != "CPUExecutionProvider":
            (out / f"{name}.partitions.json").write_text(json.dumps(raw.partitions, indent=1) + "\n")
        if raw.originals:
            (out / f"{name}.originals.json").write_text(json.dumps(raw.originals, indent=1) + "\n")
        if raw.perf_counts:
            counts = [[dataclasses.asdict(c) for c in run] for run in raw.perf_counts]
            (out / f"{name}.counts.json").write_text(json.dumps(counts, indent=1) + "\n")
    print(f"{name}: recorded on {target_id} ({DROP} + {KEPT} inferences)")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "op_profile"
    out.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[2:] or CASES:
        record(name, out)


if __name__ == "__main__":
    main()
