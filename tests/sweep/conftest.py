"""Sweep fixtures: zoo models with a symbolic batch dim, and one real sweep shared by the report and GUI tests."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from app.record.sweep import SweepRecord
from tests import model_zoo

# Tiny counts: 30 inferences is the least a point needs to be ranked (app.report.facts.MIN_SAMPLES_TO_COMPARE).
ITERATIONS = 30


def reshape_by_eight() -> onnx.ModelProto:
    """x[batch, 4] -> Reshape to [-1, 8]: runs at an even batch, fails in the runtime at an odd one."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 8])
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "reshape_by_eight", [x], [y],
                              [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aipcprof-tests")
    model.ir_version = 9
    return model


@pytest.fixture(scope="session")
def sweep_models(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sweep_models")
    return {"dynamic_mlp": model_zoo.save(model_zoo.dynamic_mlp(), folder, "dynamic_mlp"),
            "reshape_by_eight": model_zoo.save(reshape_by_eight(), folder, "reshape_by_eight"),
            "conv_net": model_zoo.save(model_zoo.conv_net(), folder, "conv_net")}


@pytest.fixture(scope="session")
def batch_sweep(sweep_models) -> SweepRecord:
    """batch=1,2,4,8 of the zoo's dynamic_mlp on ort/cpu and ov/cpu, for real (8 runs, 30 inferences each)."""
    from app.run.spec_builder import RunOptions
    from app.run.sweep import SweepRun
    from app.run.sweep_plan import make_plan, parse_axes

    plan = make_plan(str(sweep_models["dynamic_mlp"]), ["ort/cpu", "ov/cpu"], parse_axes(["batch=1,2,4,8"], None, None),
                     RunOptions(iterations=ITERATIONS, warmup=2))
    return SweepRun(plan).wait()


@pytest.fixture(scope="session")
def targets():
    from app.engines import registry

    return {t.id: t for t in registry.discover_targets()}
