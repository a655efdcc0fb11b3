"""The run record's host section: the power plan next to the power source (host.power)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.probes import power_source
from app.run import host

DATA = Path(__file__).resolve().parents[1] / "data"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the Linux sysfs plan")


def test_host_info_has_the_power_source_and_plan_on_this_machine():
    power = host.host_info()["power"]
    assert power["source"] in ("AC", "battery", "unknown")  # what readers of older records look at
    assert "plan" in power
    if power["plan"] is None:  # e.g. a VM without cpufreq: the reason is recorded instead
        assert power["plan_reason"]
    else:
        assert isinstance(power["plan"], str) and power["plan"] and "plan_reason" not in power


def test_power_plan_is_the_probes_reading_on_this_machine():
    plan, reason, saver = power_source.power_plan_facts()
    assert host.power_plan() == ({"plan": plan, "saver": saver} if plan else {"plan": None, "plan_reason": reason})


@linux_only
def test_power_plan_from_a_recorded_laptop():
    root = DATA / "sysfs/intel_npu_laptop/snap0"
    assert host.power_plan(root) == {"plan": "platform_profile=balanced, governor=powersave, epp=balance_performance",
                                     "saver": False}  # powersave with an EPP file is intel_pstate's normal mode


@linux_only
def test_no_plan_files_gives_the_reason(tmp_path):
    got = host.power_plan(tmp_path)
    assert got["plan"] is None
    assert "platform_profile not present" in got["plan_reason"] and "scaling_governor" in got["plan_reason"]


@linux_only
def test_unreadable_plan_files_give_the_reason(tmp_path):
    cpufreq = tmp_path / "sys/devices/system/cpu/cpu0/cpufreq"
    cpufreq.mkdir(parents=True)
    (cpufreq / "scaling_governor").mkdir()  # reading a folder fails with an OSError, as a broken file would
    (cpufreq / "energy_performance_preference").write_text("\n")
    got = host.power_plan(tmp_path)
    assert got["plan"] is None and "energy_performance_preference is empty" in got["plan_reason"]
    assert "scaling_governor: " in got["plan_reason"]


def test_a_failing_plan_query_never_costs_the_record(monkeypatch):
    def boom(root="/"):
        raise RuntimeError("powrprof exploded")

    monkeypatch.setattr(power_source, "power_plan_facts", boom)
    assert host.power_plan() == {"plan": None,
                                 "plan_reason": "power plan query failed: RuntimeError: powrprof exploded"}
    power = host.host_info()["power"]
    assert power["source"] in ("AC", "battery", "unknown") and power["plan"] is None


@pytest.mark.parametrize(("profile", "governor", "epp", "saver"), [
    ("balanced", "powersave", "balance_performance", False),  # intel_pstate's normal mode
    ("low-power", "powersave", "balance_performance", True),
    ("quiet", None, None, True),
    (None, "powersave", "power", True),
    (None, "powersave", None, True),  # the legacy governor pins the lowest clock
    (None, "performance", None, False),
    (None, None, None, None),
])
def test_linux_power_saver(profile, governor, epp, saver):
    assert power_source.linux_saver(profile, governor, epp) is saver


def test_windows_power_saver_from_the_documented_guids():
    assert power_source.windows_saver("{A1841308-3541-4FAB-BC81-F71556F20B4A}", None)  # Power saver
    assert power_source.windows_saver("381b4222-f694-41f0-9685-ff5bb260df2e",
                                      "961cc777-2547-4f9d-8174-7d86181b8a7a")  # Balanced, best power efficiency
    assert not power_source.windows_saver("381b4222-f694-41f0-9685-ff5bb260df2e",
                                          "ded574b5-45a0-4f42-8737-46345c09c238")


@linux_only
def test_a_low_power_profile_is_recorded_as_saver(tmp_path):
    (tmp_path / "sys/firmware/acpi").mkdir(parents=True)
    (tmp_path / "sys/firmware/acpi/platform_profile").write_text("low-power\n")
    assert host.power_plan(tmp_path) == {"plan": "platform_profile=low-power", "saver": True}
