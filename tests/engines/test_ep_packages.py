"""Target rows name the package that brings each EP; EP devices of DirectML and the TensorRT-RTX plugin.

The Windows listing comes from tests/data/ort_ep_devices/windows_dml_trt_rtx.json, replayed as the
OrtEpDevice objects onnxruntime.get_ep_devices() returns, through the production discovery code.
"""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from app.engines import ep_packages, ort_discovery

LISTING = Path(__file__).resolve().parents[1] / "data" / "ort_ep_devices" / "windows_dml_trt_rtx.json"


def _ep_device(row: dict) -> types.SimpleNamespace:
    hw = row["device"]
    device = types.SimpleNamespace(type=types.SimpleNamespace(name=hw["type"]), vendor=hw["vendor"],
                                   vendor_id=hw["vendor_id"], device_id=hw["device_id"], metadata=hw["metadata"])
    return types.SimpleNamespace(ep_name=row["ep_name"], ep_vendor=row["ep_vendor"], ep_metadata=row["ep_metadata"],
                                 ep_options=row["ep_options"], device=device)


def _windows_ort() -> types.ModuleType:
    rows = json.loads(LISTING.read_text(encoding="utf-8"))["devices"]
    fake = types.ModuleType("onnxruntime")
    fake.__version__ = "1.24.4"
    fake.get_ep_devices = lambda: [_ep_device(r) for r in rows]
    fake.get_available_providers = lambda: ["DmlExecutionProvider", "CPUExecutionProvider"]
    fake.register_execution_provider_library = lambda name, path: None
    return fake


@pytest.fixture
def windows_targets(monkeypatch):
    import onnxruntime

    ort_discovery.plugin_packages(onnxruntime)  # the per-process plugin registry is filled by the real runtime
    monkeypatch.setattr(ort_discovery.hostinfo, "os_name", lambda: "Windows")
    monkeypatch.setattr(ep_packages, "installed", lambda module: "onnxruntime-directml 1.24.4")
    return {t.id: t for t in ort_discovery.discover(_windows_ort())}


def test_directml_offers_one_device_per_adapter_through_get_ep_devices(windows_targets):
    rtx, arc = windows_targets["ort/dml/gpu0"], windows_targets["ort/dml/gpu1"]
    assert rtx.ready and rtx.device_name == "NVIDIA GeForce RTX 4070 Laptop GPU" and rtx.details["luid"] == "81294"
    assert arc.device_name == "Intel(R) Arc(TM) Graphics" and arc.details["ep_device_ordinal"] == "1"
    assert rtx.details["selection"] == "ep_device" and rtx.details["package"] == "onnxruntime-directml 1.24.4"


def test_tensorrt_rtx_plugin_device_names_its_library(windows_targets):
    rtx = windows_targets["ort/trt-rtx/gpu0"]
    assert rtx.ready and rtx.provider == "NvTensorRTRTXExecutionProvider" and rtx.vendor == "NVIDIA"
    assert rtx.details["package"].startswith("plugin EP library C:\\venv\\Lib\\site-packages\\onnxruntime_ep_nv")


def test_every_row_here_names_its_package(targets):
    assert all(t.details.get("package") for t in targets.values())
    assert targets["ort/qnn/htp-emulator"].details["package"].startswith("onnxruntime-qnn ")
    assert targets["ort/cpu"].details["package"].startswith("onnxruntime ")
    assert targets["ov/cpu"].details["package"].startswith("openvino ")
    assert targets["ort/trt-rtx/gpu0"].details["package"] == "onnxruntime-ep-nv-tensorrt-rtx"
    assert "onnxruntime-ep-nv-tensorrt-rtx is not installed" in targets["ort/trt-rtx/gpu0"].reason


def test_devices_table_has_a_package_column(capsys):
    from app.cli import main

    assert main(["devices", "--ready"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "PACKAGE" in header.split()
