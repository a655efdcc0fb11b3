"""Windows ML: catalog -> EP acquisition -> registration -> winml/<ep>/<device> targets.

The catalog comes from tests/data/winml/catalog_listing.json through a stand-in for the
`windowsml` module (tests/engines/winml_fixture.py); everything after it is production code
on the real ONNX Runtime: registration of a real plugin library (the QNN EP of
onnxruntime-qnn standing in for the catalog's QNN EP) and a real session on its device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import onnxruntime_qnn
import pytest

from app.cli import main
from app.engines import ort_discovery, winml
from tests.engines import winml_fixture

ROOT = Path(__file__).resolve().parents[2]


def _catalog(listing: dict | None = None) -> winml.WindowsML:
    return winml.WindowsML(winml.WindowsMLCatalog(winml_fixture.module(listing)))


def _by_id(found) -> dict:
    return {t.id: t for t in found}


def test_the_listing_is_read_through_the_package_surface():
    entries = {e.name: e for e in _catalog().state.entries}
    assert list(entries) == ["QNNExecutionProvider", "OpenVINOExecutionProvider", "VitisAIExecutionProvider",
                             "NvTensorRTRTXExecutionProvider"]
    qnn = entries["QNNExecutionProvider"]
    assert (qnn.ready_state, qnn.certification, qnn.version) == ("Ready", "Certified", "2.1.2.0")
    assert qnn.library_path.endswith("onnxruntime_providers_qnn.dll") and not qnn.error
    assert entries["OpenVINOExecutionProvider"].ready_state == "NotPresent"


def test_every_catalog_state_is_a_target_with_reason_and_fix():
    found = _by_id(_catalog().targets(ort))
    absent = found["winml/openvino/npu"]
    assert not absent.ready and "not on this PC yet" in absent.reason and "--acquire" in absent.fix
    not_ready = found["winml/vitisai/npu"]
    assert "installed but not ready" in not_ready.reason and "--acquire" in not_ready.fix
    # A Windows DLL path cannot load here: the registration failure is the reason, never an exception.
    qnn = found["winml/qnn/npu"]
    assert not qnn.ready and "registering C:\\Program Files" in qnn.reason and "pip install" in qnn.fix
    assert "not in this PC's Windows ML catalog" in found["winml/migraphx/gpu0"].reason
    assert all(t.details["package"].startswith("windowsml") for t in found.values())


def test_ep_acquisition_reports_progress_and_keeps_a_refused_download_as_the_reason():
    catalog = _catalog()
    seen: list[tuple[str, float]] = []
    done = catalog.acquire(lambda name, share: seen.append((name, share)))
    assert [e.name for e in done] == ["OpenVINOExecutionProvider"]
    assert [s for n, s in seen if n == "OpenVINOExecutionProvider"] == [0.0, 0.12, 0.55, 0.91, 1.0]
    assert [s for n, s in seen if n == "VitisAIExecutionProvider"] == [0.0, 0.03]
    vitis = _by_id(catalog.targets(ort))["winml/vitisai/npu"]
    assert "EP acquisition failed: [WinError -2147012889]" in vitis.reason
    assert "Store policy" in vitis.fix and "--acquire" in vitis.fix
    openvino = next(e for e in catalog.state.entries if e.name == "OpenVINOExecutionProvider")
    assert openvino.ready_state == "Ready"  # then registration is tried, and its failure (no DLL here) is the reason
    assert "registering" in _by_id(catalog.targets(ort))["winml/openvino/npu"].reason


def test_an_unreadable_property_is_kept_as_the_reason():
    listing = winml_fixture.load()
    listing["providers"][0]["version"] = {"raise": "[WinError -2147023728] Element not found"}
    qnn = next(e for e in _catalog(listing).state.entries if e.name == "QNNExecutionProvider")
    assert qnn.error.startswith("version could not be read: [WinError -2147023728]")
    assert "Element not found" in _by_id(_catalog(listing).targets(ort))["winml/qnn/npu"].reason


@pytest.mark.parametrize("loader, reason, fix", [
    ("missing", "windowsml is not installed", "pip install windowsml"),
    ("no dll", "windowsml does not load", "--force-reinstall"),
    ("old windows", "did not open its EP catalog", "Windows Update"),
])
def test_no_catalog_makes_every_well_known_target_unavailable(monkeypatch, loader, reason, fix):
    monkeypatch.setattr(winml.hostinfo, "os_name", lambda: "Windows")

    def load():
        if loader == "missing":
            raise ImportError("No module named 'windowsml'")
        if loader == "no dll":
            raise FileNotFoundError("Microsoft.Windows.AI.MachineLearning.dll not found in C:\\x\\lib.")
        return winml_fixture.module(catalog_error="[WinError -2147221164] Class not registered")

    catalog = winml.WindowsML(*winml.open_backend(load))
    found = catalog.targets(ort)
    assert {t.id for t in found} == {f"winml/{winml.ep_slug(ep)}/{slug}" for ep, slug in winml.WELL_KNOWN.items()}
    assert all(not t.ready and reason in t.reason and fix in t.fix for t in found)
    assert catalog.acquire(lambda *a: None) == []


def test_on_linux_the_targets_say_windows_only():
    found = winml.current().targets(ort)
    if winml.hostinfo.os_name() == "Windows":
        pytest.skip("this is Windows")
    assert found and all("Windows 11 24H2" in t.reason for t in found)


def test_an_ep_another_package_registered_first_is_refused_by_name(tmp_path):
    ort_discovery.plugin_packages(ort)  # onnxruntime-qnn registers QNNExecutionProvider
    alias = tmp_path / "onnxruntime_providers_qnn.so"
    alias.symlink_to(onnxruntime_qnn.get_library_path())
    listing = winml_fixture.load()
    listing["providers"] = [dict(listing["providers"][0], library_path=str(alias))]
    qnn = _by_id(_catalog(listing).targets(ort))["winml/qnn/npu"]
    assert "already registered in this process from" in qnn.reason and "pip uninstall onnxruntime-qnn" in qnn.fix


REAL_REGISTRATION = """
import json, sys
import numpy as np, onnxruntime as ort, onnxruntime_qnn
from app.engines import winml
from app.engines.base import SessionSettings
from app.engines.onnxruntime_engine import OnnxRuntimeEngine
from tests.engines import winml_fixture
listing = winml_fixture.load()
listing["providers"][0]["library_path"] = onnxruntime_qnn.get_library_path()
found = winml.WindowsML(winml.WindowsMLCatalog(winml_fixture.module(listing))).targets(ort)
ready = [t for t in found if t.ready]
options = {"backend_type": "htp", "enable_htp_fp16_precision": "1", "soc_model": "60"}
session = OnnxRuntimeEngine().open(sys.argv[1], ready[0], SessionSettings(ep_options=options))
out = session.run({"x": np.ones((1, 4), np.float32)})
print(json.dumps({"ready": [t.to_dict() for t in ready], "providers": session.facts.providers,
                  "placement": session.placement.nodes_by_provider, "y": out[0].tolist()}))
"""


def test_a_ready_catalog_entry_registers_and_runs_for_real(zoo):
    """A fresh process (no onnxruntime-qnn registration first): the catalog's library is what ORT loads."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", REAL_REGISTRATION, str(zoo["single_add"])], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(next(line for line in reversed(proc.stdout.splitlines()) if line.startswith("{")))
    (target,) = result["ready"]
    assert target["id"] == "winml/qnn/cpu" and target["provider"] == "QNNExecutionProvider"  # the x86 HTP emulator
    assert target["details"]["package"] == ("windowsml (Windows ML catalog: "
                                            "MicrosoftCorporationII.WinML.Qualcomm.QNN.EP.1.8_8wekyb3d8bbwe)")
    assert target["ep_version"] == "2.1.2.0" and target["details"]["winml.certification"] == "Certified"
    assert result["providers"][0] == "QNNExecutionProvider" and result["placement"] == {"QNNExecutionProvider": 1}
    assert result["y"] == [pytest.approx([2.0] * 4, abs=1e-3)]  # x + 1 in fp16 on the emulator


def test_devices_acquire_on_linux_says_there_is_nothing_to_acquire(capsys):
    if winml.hostinfo.os_name() == "Windows":
        pytest.skip("this is Windows")
    assert main(["devices", "--acquire", "--json"]) == 0
    captured = capsys.readouterr()
    assert "EP acquisition: nothing to acquire: Windows ML runs on Windows 11" in captured.err
    listed = {t["id"] for t in json.loads(captured.out)["targets"]}
    assert "winml/qnn/npu" in listed


def test_devices_acquire_shows_progress(monkeypatch, capsys):
    monkeypatch.setattr(winml, "_current", _catalog())
    assert main(["devices", "--acquire", "--json"]) == 0
    err = capsys.readouterr().err
    assert "EP acquisition: OpenVINOExecutionProvider 55%" in err and "OpenVINOExecutionProvider 100%" in err
    assert "1 EP(s) made ready; VitisAIExecutionProvider: EP acquisition failed" in err
