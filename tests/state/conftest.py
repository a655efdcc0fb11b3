"""Helpers for the app-model tests (no Qt anywhere here)."""

from __future__ import annotations

import pytest

from app.common.targets import UNAVAILABLE, Target
from app.state import AppState


class Recorder:
    """Connect to events by name; `calls` lists (name, args) in emit order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def watch(self, name: str, event) -> None:
        event.connect(lambda *args: self.calls.append((name, *args)))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def of(self, name: str) -> list[tuple]:
        return [c[1:] for c in self.calls if c[0] == name]


@pytest.fixture
def state() -> AppState:
    return AppState()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def targets() -> list[Target]:
    return [
        Target(id="ort/cpu", engine="onnxruntime", provider="CPUExecutionProvider", device_type="CPU"),
        Target(id="ort/dml/gpu0", engine="onnxruntime", provider="DmlExecutionProvider", device_type="GPU",
               status=UNAVAILABLE, reason="Windows only", fix="use Windows"),
        Target(id="ort/qnn/npu", engine="onnxruntime", provider="QNNExecutionProvider", device_type="NPU",
               default_options={"htp_performance_mode": "sustained_high_performance"}),
        Target(id="ort/openvino/gpu", engine="onnxruntime", provider="OpenVINOExecutionProvider", device_type="GPU"),
        Target(id="ov/cpu", engine="openvino", provider="CPU", device_type="CPU",
               default_options={"PERFORMANCE_HINT": "THROUGHPUT"}),
    ]
