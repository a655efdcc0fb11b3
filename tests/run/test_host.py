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
