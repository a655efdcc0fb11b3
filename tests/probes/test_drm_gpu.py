"""iGPU busy / clock / memory from DRM sysfs (amdgpu gpu_busy_percent, i915 RC6 residency)."""

from __future__ import annotations

import pytest

from app.probes.linux_drm_gpu import DrmGpuProbe, busy_from_idle

from .conftest import by_key


def test_i915_busy_from_rc6_residency_and_clock(stage, clock):
    root = stage("intel_npu_laptop", 0)
    probe = DrmGpuProbe(root, clock=clock)
    first = by_key(probe.read())
    key = "pci:0000:00:02.0"
    assert first[f"{key}/util"].status == "not_ready"
    assert first[f"{key}/freq"].value == 350e6
    stage("intel_npu_laptop", 1)
    clock.advance(1.0)
    got = by_key(probe.read())
    assert got[f"{key}/util"].value == pytest.approx(35.0)  # 650 ms in RC6 out of 1000
    assert "idle residency" in got[f"{key}/util"].source
    assert all(not k.startswith("card1-") for k in got)  # connectors are not cards


def test_amdgpu_busy_percent_and_vram(stage):
    root = stage("amd_ryzen_ai_laptop", 1)
    got = by_key(DrmGpuProbe(root).read())
    assert got["pci:0000:c4:00.0/util"].value == 37.0
    assert got["pci:0000:c4:00.0/mem_used"].value == 536870912


def test_missing_busy_file_is_unsupported(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    (root / "sys/class/drm/card0/device/gpu_busy_percent").unlink()
    assert by_key(DrmGpuProbe(root).read())["pci:0000:c4:00.0/util"].status == "unsupported"


def test_busy_from_idle_clamps():
    assert busy_from_idle(0, 1_000_000_000) == 100.0
    assert busy_from_idle(2000, 1_000_000_000) == 0.0
