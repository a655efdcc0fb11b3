"""The registry picks probes from cheap facts; nothing under app.probes imports Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.probes import registry
from app.probes.linux_amdxdna import AmdXdnaProbe
from app.probes.linux_drm_gpu import DrmGpuProbe
from app.probes.linux_intel_npu import IntelNpuSysfsProbe
from app.probes.nvml import NvmlProbe
from app.probes.power_source import BatteryProbe, describe_linux_plan, describe_windows_plan, power_plan

PROBES_DIR = Path(registry.__file__).parent

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux probe selection")


@linux_only
def test_intel_laptop_gets_the_intel_npu_probe_and_no_nvml(stage):
    root = stage("intel_npu_laptop", 0)
    kinds = {type(p) for p in registry.default_probes(root)}
    assert IntelNpuSysfsProbe in kinds and DrmGpuProbe in kinds and BatteryProbe in kinds
    assert AmdXdnaProbe not in kinds and NvmlProbe not in kinds


@linux_only
def test_amd_laptop_gets_the_xdna_probe(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    kinds = {type(p) for p in registry.default_probes(root)}
    assert AmdXdnaProbe in kinds and IntelNpuSysfsProbe not in kinds


@linux_only
def test_nvml_only_when_an_nvidia_device_or_driver_exists(tmp_path):
    assert not registry.nvidia_expected(tmp_path)
    dev = tmp_path / "sys/bus/pci/devices/0000:01:00.0"
    dev.mkdir(parents=True)
    (dev / "vendor").write_text("0x10de\n")
    (dev / "class").write_text("0x030000\n")
    assert registry.nvidia_expected(tmp_path)
    assert any(isinstance(p, NvmlProbe) for p in registry.default_probes(tmp_path))


def test_unavailable_probe_reports_an_error():
    (s,) = registry.UnavailableProbe("pdh", "pdh", "util", "%", "PDH unavailable: boom").read()
    assert s.status == "error" and s.reason == "PDH unavailable: boom"


def test_no_probe_module_imports_qt():
    code = ("import importlib, pkgutil, sys, app.probes as p\n"
            "for m in pkgutil.iter_modules(p.__path__):\n"
            "    if not m.name.endswith('_backend'): importlib.import_module('app.probes.' + m.name)\n"
            "import app.cli.cmd_monitor\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide', 'PyQt', 'pyqtgraph'))]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROBES_DIR.parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
    for path in PROBES_DIR.glob("*.py"):
        assert "PySide" not in path.read_text() and "pyqtgraph" not in path.read_text(), path


def test_windows_backends_refuse_to_import_elsewhere():
    if sys.platform == "win32":
        pytest.skip("real backends load on Windows")
    for name in ("win_pdh_backend", "win_emi_backend", "win_power_backend"):
        with pytest.raises(ImportError):
            __import__(f"app.probes.{name}")


def test_power_plan_descriptions(stage):
    assert describe_windows_plan("{381B4222-F694-41F0-9685-FF5BB260DF2E}", "",
                                 "ded574b5-45a0-4f42-8737-46345c09c238") == "Balanced (power mode: Best performance)"
    assert describe_windows_plan("0000-custom", "My plan") == "My plan"
    assert describe_linux_plan("balanced\n", None, "") == "platform_profile=balanced"
    if sys.platform.startswith("linux"):
        root = stage("intel_npu_laptop", 0)
        assert power_plan(root) == "platform_profile=balanced, governor=powersave, epp=balance_performance"


def test_battery_probe_with_and_without_battery():
    from types import SimpleNamespace

    got = {s.key: s for s in BatteryProbe(sensors_battery=lambda: SimpleNamespace(
        percent=81.0, power_plugged=False, secsleft=3600)).read()}
    assert got["system/battery"].value == 81.0 and got["system/on_ac"].value == 0.0
    (none,) = BatteryProbe(sensors_battery=lambda: None).read()
    assert none.status == "unsupported" and none.value != none.value  # NaN


@linux_only
def test_nvml_waits_for_a_sleeping_laptop_dgpu(tmp_path):
    dev = tmp_path / "sys/bus/pci/devices/0000:01:00.0"
    (dev / "power").mkdir(parents=True)
    (dev / "vendor").write_text("0x10de\n")
    (dev / "class").write_text("0x030200\n")
    (dev / "power/runtime_status").write_text("suspended\n")
    (nvml,) = [p for p in registry.default_probes(tmp_path) if isinstance(p, NvmlProbe)]
    assert all(s.status == "not_ready" for s in nvml.read())  # the real library was never touched
    (woken,) = [p for p in registry.default_probes(tmp_path, wake_suspended=True) if isinstance(p, NvmlProbe)]
    assert woken._is_suspended is None
