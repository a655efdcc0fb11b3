"""The eval's timed loop calls the runtime directly (Session.data_runner); a sample that fails there is run
again through the engine, so the error is the engine's explained one, not the runtime's raw text."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from app.cli import main


def test_a_sample_of_another_size_fails_with_the_explained_error(tmp_path, capsys):
    graph = helper.make_graph([helper.make_node("Add", ["x", "c"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "D"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "D"])],
                              [numpy_helper.from_array(np.ones(4, np.float32), "c")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "m.onnx"))
    data = tmp_path / "d"
    data.mkdir()
    np.save(data / "a.npy", np.zeros((1, 4), np.float32))  # opens the session: D = 4
    np.save(data / "b.npy", np.zeros((1, 5), np.float32))  # symbolic in the model: passes the header check
    assert main(["eval", str(tmp_path / "m.onnx"), "--data", str(data), "--task", "agreement", "-q",
                 "--no-telemetry"]) == 2  # bad input: a sample the model cannot take
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("aipcprof:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "ONNX Runtime rejected the input sizes" in lines[0]  # the engine's words, not the runtime's raw text
