"""Intel NPU (intel_vpu) sysfs probe on the recorded Meteor Lake laptop tree."""

from __future__ import annotations

import math

import pytest

from app.probes.linux_intel_npu import IntelNpuSysfsProbe, busy_percent

from .conftest import by_key

KEY = "pci:0000:00:0b.0"


def test_busy_time_delta_becomes_utilisation(stage, clock):
    root = stage("intel_npu_laptop", 0)
    probe = IntelNpuSysfsProbe(root, clock=clock)
    first = by_key(probe.read())
    assert first[f"{KEY}/util"].status == "not_ready" and math.isnan(first[f"{KEY}/util"].value)
    assert first[f"{KEY}/freq"].value == 0.0  # suspended: the driver reports 0 without waking it
    assert first[f"{KEY}/freq_max"].value == 1400e6
    stage("intel_npu_laptop", 1)
    clock.advance(1.0)
    second = by_key(probe.read())
    util = second[f"{KEY}/util"]
    assert util.status == "ok" and util.value == pytest.approx(45.0)
    assert util.unit == "%" and util.kind == "NPU" and "npu_busy_time_us" in util.source
    assert second[f"{KEY}/freq"].value == 1400e6 and second[f"{KEY}/freq"].unit == "Hz"
    assert second[f"{KEY}/mem_used"].value == 52428800 and second[f"{KEY}/mem_used"].unit == "bytes"
    assert f"{KEY}/freq_max" not in second  # static: sent once


def test_old_kernel_without_busy_time_falls_back_to_runtime_active_time(stage, clock):
    root = stage("intel_npu_laptop", 0)
    dev = root / "sys/class/accel/accel0/device"
    (dev / "npu_busy_time_us").unlink()
    (dev / "npu_memory_utilization").unlink()
    (dev / "power/runtime_active_time").write_text("1000\n")  # ms
    probe = IntelNpuSysfsProbe(root, clock=clock)
    probe.read()
    (dev / "power/runtime_active_time").write_text("1600\n")
    clock.advance(1.0)
    got = by_key(probe.read())
    assert got[f"{KEY}/util"].value == pytest.approx(60.0)
    assert "upper bound" in got[f"{KEY}/util"].source
    mem = got[f"{KEY}/mem_used"]
    assert mem.status == "unsupported" and "driver too old" in mem.reason


def test_no_busy_source_at_all_is_unsupported_not_zero(stage, clock):
    root = stage("intel_npu_laptop", 0)
    (root / "sys/class/accel/accel0/device/npu_busy_time_us").unlink()
    util = by_key(IntelNpuSysfsProbe(root, clock=clock).read())[f"{KEY}/util"]
    assert util.status == "unsupported" and math.isnan(util.value)
    assert "npu_busy_time_us" in util.reason


def test_malformed_busy_file_is_an_error(stage, clock):
    root = stage("intel_npu_laptop", 0)
    probe = IntelNpuSysfsProbe(root, clock=clock)
    probe.open()
    (root / "sys/class/accel/accel0/device/npu_busy_time_us").write_text("garbage\n")
    util = by_key(probe.read())[f"{KEY}/util"]
    assert util.status == "error" and "unparsable" in util.reason


def test_probe_ignores_other_accel_drivers_and_respects_rate_limit(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    assert IntelNpuSysfsProbe(root).read() == []
    assert 0.2 <= IntelNpuSysfsProbe.period_s <= 1.0  # the driver asks for <= ~1-5 Hz


def test_busy_percent_clamps():
    assert busy_percent(2_000_000, 1_000_000_000) == 100.0
    assert math.isnan(busy_percent(1, 0))
