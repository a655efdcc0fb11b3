"""hwmon (CPU/GPU sensors) and thermal zones on the recorded trees."""

from __future__ import annotations

import math

import pytest

from app.probes.linux_hwmon import HwmonProbe, pick_temp_file, valid_temp_c
from app.probes.linux_thermal import ThermalZoneProbe, kind_of_zone

from .conftest import by_key


def test_intel_coretemp_package_sensor_is_the_cpu_temperature(stage, clock):
    root = stage("intel_npu_laptop", 0)
    got = by_key(HwmonProbe(root, clock=clock).read())
    assert got["cpu/temp"].value == pytest.approx(54.0) and got["cpu/temp"].unit == "degC"
    assert "temp1_input" in got["cpu/temp"].source  # "Package id 0", not "Core 0"
    assert not any(k.startswith("pci:0000:01:00.0") for k in got)  # nvme is not a compute device


def test_amd_k10temp_and_amdgpu_power_leave_amdxdna_to_its_probe(stage, clock):
    root = stage("amd_ryzen_ai_laptop", 1)
    got = by_key(HwmonProbe(root, clock=clock).read())
    assert got["cpu/temp"].value == pytest.approx(74.875)  # Tctl
    gpu = "pci:0000:c4:00.0"
    assert got[f"{gpu}/power"].value == pytest.approx(21.5) and got[f"{gpu}/power"].kind == "GPU"
    assert "APU" in got[f"{gpu}/power"].scope
    assert got[f"{gpu}/temp"].value == pytest.approx(58.0)
    assert "pci:0000:05:00.1/power" not in got  # amdxdna's hwmon is AmdXdnaProbe's


def test_no_cpu_sensor_is_unsupported_with_reason(tmp_path):
    got = by_key(HwmonProbe(tmp_path).read())
    assert got["cpu/temp"].status == "unsupported" and math.isnan(got["cpu/temp"].value)
    assert "k10temp" in got["cpu/temp"].reason


def test_hwmon_energy_counter_gives_energy_and_power(tmp_path, clock):
    hw = tmp_path / "sys/class/hwmon/hwmon3"
    (hw / "device").mkdir(parents=True)
    (hw / "name").write_text("i915\n")
    (hw / "device/uevent").write_text("DRIVER=i915\nPCI_SLOT_NAME=0000:03:00.0\n")
    (hw / "energy1_input").write_text("1000000\n")
    probe = HwmonProbe(tmp_path, clock=clock)
    probe.read()
    (hw / "energy1_input").write_text("6000000\n")
    clock.advance(0.5)
    got = by_key(probe.read())
    assert got["pci:0000:03:00.0/energy"].value == pytest.approx(5.0)
    assert got["pci:0000:03:00.0/power"].value == pytest.approx(10.0)


def test_sentinel_temperature_is_not_a_reading(stage):
    root = stage("intel_npu_laptop", 0)
    (root / "sys/class/hwmon/hwmon4/temp1_input").write_text("-273150\n")
    temp = by_key(HwmonProbe(root).read())["cpu/temp"]
    assert temp.status == "unsupported" and math.isnan(temp.value)


def test_thermal_zones_keep_duplicates_apart_and_classify_kinds(stage, clock):
    root = stage("intel_npu_laptop", 1)
    got = by_key(ThermalZoneProbe(root, clock=clock).read())
    assert got["thermal:x86_pkg_temp/temp"].value == pytest.approx(72.0)
    assert got["thermal:x86_pkg_temp/temp"].kind == "CPU"
    assert got["thermal:acpitz/temp"].value == pytest.approx(27.8)
    assert got["thermal:acpitz#1/temp"].value == pytest.approx(29.8)
    assert got["thermal:acpitz/temp"].kind == "SYSTEM"
    assert len(got) == 4


def test_thermal_zone_errors(stage):
    root = stage("intel_npu_laptop", 0)
    (root / "sys/class/thermal/thermal_zone1/temp").unlink()
    (root / "sys/class/thermal/thermal_zone0/temp").write_text("hot\n")
    got = by_key(ThermalZoneProbe(root).read())
    assert got["thermal:x86_pkg_temp/temp"].status == "unsupported"
    assert got["thermal:acpitz/temp"].status == "error"


def test_helpers():
    assert kind_of_zone("nsp0-thermal") == "NPU" and kind_of_zone("gpuss-0-thermal") == "GPU"
    assert kind_of_zone("cpu0-0-top-thermal") == "CPU" and kind_of_zone("battery") == "SYSTEM"
    assert valid_temp_c(45000) == 45.0 and valid_temp_c(255000) is None and valid_temp_c(None) is None
    assert pick_temp_file({"temp1": "edge", "temp2": "junction"}, ("junction",)) == "temp2"
    assert pick_temp_file({"temp3": "", "temp1": ""}, ()) == "temp1"
