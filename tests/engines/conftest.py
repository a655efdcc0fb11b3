"""Engine-test fixtures: per-model feeds, dim overrides, and the ORT CPU reference.

Every engine's outputs are checked against ONNX Runtime's CPU EP on the same
feeds; each accelerator gets a tolerance that matches what it computes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.common.targets import Target
from app.engines import registry
from app.engines.base import SessionSettings


@dataclass
class Case:
    """One zoo model with the feeds and symbolic-dim values a run needs."""

    feeds: dict[str, np.ndarray]
    dims: dict[str, int] = field(default_factory=dict)

    def settings(self, **kwargs) -> SessionSettings:
        shapes = {name: list(array.shape) for name, array in self.feeds.items()}
        return SessionSettings(dim_overrides=dict(self.dims), input_shapes=shapes, **kwargs)


def _cases() -> dict[str, Case]:
    r = np.random.default_rng(7)
    return {
        "single_add": Case({"x": r.random((1, 4), np.float32)}),
        "conv_net": Case({"image": r.random((1, 3, 64, 64), np.float32)}),
        "transformer_block": Case({"x": r.standard_normal((1, 16, 64)).astype(np.float32)}, {"seq": 16}),
        # Inputs in [0, 0.25): full-range uint8 activations times full-range int8 weights
        # saturate the int16 accumulators of x86 u8*s8 kernels on CPUs without VNNI (ORT CPU
        # and OpenVINO CPU then disagree with the QDQ maths by up to 40 quantisation steps).
        "qdq_int8": Case({"x": (r.random((1, 3, 32, 32)) * 0.25).astype(np.float32)}),
        "fp16_mlp": Case({"x": r.standard_normal((1, 32)).astype(np.float16)}),
        "dynamic_mlp": Case({"x": r.standard_normal((3, 16)).astype(np.float32)}, {"batch": 3}),
        "token_embedding": Case({"input_ids": r.integers(0, 1000, (2, 8), dtype=np.int64),
                                 "attention_mask": (r.random((2, 8)) > 0.3).astype(np.int64)},
                                {"batch": 2, "seq": 8}),
        "control_flow": Case({"x": r.random((1, 4), np.float32), "flag": np.array(True),
                              "trips": np.array(3, dtype=np.int64)}),
    }


CASES = _cases()


@pytest.fixture(scope="session")
def cases() -> dict[str, Case]:
    return CASES


@pytest.fixture(scope="session")
def targets() -> dict[str, Target]:
    return {t.id: t for t in registry.discover_targets()}


@pytest.fixture(scope="session")
def reference(zoo):
    """name -> ORT CPU outputs on CASES[name].feeds (computed once per model)."""
    cache: dict[str, list[np.ndarray]] = {}

    def outputs(name: str) -> list[np.ndarray]:
        if name not in cache:
            options = ort.SessionOptions()  # unoptimised: the graph's own maths, no fused kernels
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(str(zoo[name]), options, providers=["CPUExecutionProvider"])
            cache[name] = sess.run(None, CASES[name].feeds)
        return cache[name]

    return outputs


def cpu_vendor_id() -> int:
    cpu = next(d for d in ort.get_ep_devices() if d.ep_name == "CPUExecutionProvider")
    return int(cpu.device.vendor_id)


def open_target(target_id: str, model: Path, settings: SessionSettings):
    target = registry.find_target(target_id)
    return registry.engine_for(target).open(str(model), target, settings)


def assert_close(actual: list[np.ndarray], expected: list[np.ndarray], rtol: float, atol: float) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)
