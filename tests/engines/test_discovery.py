"""Target discovery across engines, with the real runtimes installed here."""

from __future__ import annotations

import subprocess
import sys

import onnxruntime as ort
import pytest

from app.common.cpuinfo import parse_cpuinfo
from app.common.errors import TargetError
from app.common.targets import READY, UNAVAILABLE
from app.engines import hostinfo, ort_discovery, registry
from app.engines.ort_discovery import EMULATOR_NOTE
from tests.engines.conftest import cpu_vendor_id


def test_always_ready_targets(targets):
    for target_id in ("ort/cpu", "ov/cpu"):
        assert targets[target_id].status == READY, targets[target_id]


@pytest.mark.skipif(hostinfo.machine() != "x86_64", reason="the HTP emulator ships for x86_64 only")
def test_qnn_emulator_is_ready_and_says_what_it_is(targets):
    emulator = targets["ort/qnn/htp-emulator"]
    assert emulator.ready and emulator.emulated
    assert emulator.provider == "QNNExecutionProvider"
    assert emulator.reason == EMULATOR_NOTE
    # fp16 on the HTP needs a SoC: the emulator states one (Snapdragon X Elite, soc_model 60).
    assert emulator.default_options == {"backend_type": "htp", "htp_performance_mode": "burst",
                                        "enable_htp_fp16_precision": "1", "soc_model": "60"}
    assert emulator.details["qnn_soc"] == "Snapdragon X Elite, SC8380XP"
    assert emulator.ep_version and emulator.details["selection"] == "ep_device"


def test_target_fields_are_filled(targets):
    for target in targets.values():
        assert target.engine in ("onnxruntime", "openvino", "onnxruntime-genai", "openvino-genai")
        assert target.runtime_version
        if target.id.startswith("ort/auto/"):  # a device policy: ONNX Runtime picks the device per session
            assert target.device_type == "AUTO" and "picks among the EP devices" in target.reason
            continue
        assert target.device_type in ("CPU", "GPU", "NPU")
        if target.ready:
            assert target.device_name, target.id
        else:
            assert target.reason and target.fix, target.id
    assert targets["ort/cpu"].runtime_version == ort.__version__
    assert targets["ov/cpu"].default_options == {"PERFORMANCE_HINT": "LATENCY"}


def test_ids_are_unique_and_readable():
    ids = [t.id for t in registry.discover_targets()]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(("ort/", "ov/", "winml/", "genai/", "ov-genai/")) and i == i.lower() and " " not in i for i in ids)


def test_ready_targets_come_first():
    statuses = [t.status for t in registry.discover_targets()]
    assert statuses == sorted(statuses, key=lambda s: s != READY)


def test_openvino_ep_cpu_matches_the_cpu_vendor(targets):
    target = targets["ort/openvino/cpu"]
    vendor_id = cpu_vendor_id()
    if vendor_id == hostinfo.INTEL_VENDOR_ID:
        assert target.ready, target.reason
    else:
        assert target.status == UNAVAILABLE
        vendor = hostinfo.vendor_name(vendor_id)
        assert target.reason == (f"the OpenVINO EP plugin only offers Intel devices; this CPU is {vendor} "
                                 f"(vendor 0x{vendor_id:04x})")
        assert "ov/cpu" in target.fix


def test_absent_well_known_targets_say_why(targets):
    for target_id in ("ort/qnn/npu", "ort/dml/gpu0", "ort/cuda/gpu0", "ort/vitisai/npu"):
        assert target_id in targets
    if sys.platform != "win32":
        assert targets["ort/dml/gpu0"].reason.startswith("DirectML is Windows-only")
    if not hostinfo.is_windows_arm64():
        assert not targets["ort/qnn/npu"].ready
        assert "Snapdragon" in targets["ort/qnn/npu"].reason
    if not hostinfo.has_nvidia_gpu():
        assert "no NVIDIA GPU" in targets["ort/cuda/gpu0"].reason


def test_discovery_is_cached_and_refreshable():
    first = registry.discover_targets()
    second = registry.discover_targets()
    assert [t.id for t in first] == [t.id for t in second]
    first[0].id = "edited"  # callers get copies
    assert registry.discover_targets()[0].id != "edited"
    assert [t.id for t in registry.discover_targets(refresh=True)] == [t.id for t in second]


def test_plugin_registration_is_idempotent():
    before = ort_discovery.plugin_packages(ort)
    after = ort_discovery.plugin_packages(ort)
    assert before.keys() == after.keys()
    assert all(not p.error for p in after.values()), {k: p.error for k, p in after.items()}
    qnn = after.get("onnxruntime-qnn")
    if qnn is not None:  # a second registration attempt is refused by ORT, and we never try it
        with pytest.raises(Exception, match="already registered"):
            ort.register_execution_provider_library(qnn.ep_names[0], qnn.library_path)


def test_unknown_target_lists_valid_ids():
    with pytest.raises(TargetError) as info:
        registry.find_target("ort/npu-please")
    message = str(info.value)
    assert "unknown target 'ort/npu-please'" in message
    assert "ort/cpu" in message and "ov/cpu" in message
    assert "\n" not in message


def test_known_but_unavailable_target_gives_reason_and_fix(targets):
    unavailable = next(t for t in targets.values() if not t.ready)
    with pytest.raises(TargetError) as info:
        registry.find_target(unavailable.id)
    assert unavailable.reason in str(info.value) and unavailable.fix in str(info.value)


def test_find_target_ignores_case():
    assert registry.find_target("ORT/CPU").id == "ort/cpu"


def test_engine_for_returns_one_engine_per_runtime(targets):
    assert registry.engine_for(targets["ort/cpu"]).name == "onnxruntime"
    assert registry.engine_for(targets["ov/cpu"]).name == "openvino"
    assert registry.engine_for(targets["ort/cpu"]) is registry.engine_for(targets["ort/cpu"])


def test_importing_the_registry_is_cheap():
    code = ("import sys, app.engines.registry; "
            "print(sorted(m for m in ('onnxruntime', 'openvino') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cpuinfo_parser():
    text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) Ultra 7 155H\n"
    assert parse_cpuinfo(text).name == "Intel(R) Core(TM) Ultra 7 155H"
    assert parse_cpuinfo("Hardware\t: Qualcomm Snapdragon X Elite\n").name == "Qualcomm Snapdragon X Elite"
    assert parse_cpuinfo("garbage").name == ""


def test_device_slugs():
    assert ort_discovery.ov_device_slug("GPU.0") == "gpu"
    assert ort_discovery.ov_device_slug("GPU.1") == "gpu.1"
    assert ort_discovery.ep_short("NvTensorRTRTXExecutionProvider") == "trt-rtx"
    assert ort_discovery.ep_short("ExampleFancyExecutionProvider") == "examplefancy"
