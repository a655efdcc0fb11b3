"""PDH GPU/NPU utilisation by LUID and thermal zones, replayed from recorded traces."""

from __future__ import annotations

import math

import pytest

from app.probes.win_pdh import (
    Adapter,
    WinPdhGpuProbe,
    adapter_utilisation,
    group_adapters,
    luid_from_decimal,
    parse_adapter_instance,
    parse_engine_instance,
)
from app.probes.win_thermal import HIGH_PRECISION, WinThermalZoneProbe, tenths_kelvin_to_c

from .conftest import by_key
from .fakes_windows import FakePdh

REAL_INSTANCE = "pid_9524_luid_0x00000000_0x000095CA_phys_0_eng_0_engtype_3D"


def test_parse_real_instance_format():
    inst = parse_engine_instance(REAL_INSTANCE)
    assert (inst.pid, inst.luid, inst.phys, inst.eng, inst.engtype) == (9524, "0x00000000_0x000095CA", 0, 0, "3D")
    assert parse_engine_instance("pid_1_luid_0x0_0x1A_phys_0_eng_2_engtype_Compute_1").engtype == "Compute_1"
    assert parse_engine_instance("pid_1_luid_0x0_0x1A_phys_0_eng_2_engtype_").engtype == ""
    assert parse_engine_instance("_Total") is None and parse_engine_instance("pid_x_luid") is None
    assert parse_adapter_instance("luid_0x00000000_0x0000e2f1_phys_0") == ("0x00000000_0x0000E2F1", 0)
    assert luid_from_decimal("38346") == "0x00000000_0x000095CA"  # ORT metadata["LUID"] is decimal


def test_npu_fingerprint_is_discovered_from_engine_types():
    assert Adapter("a", {"Compute"}).kind == "NPU"
    assert Adapter("a", {"Compute_0", "Compute_1"}).kind == "NPU"
    assert Adapter("a", {"neural"}).kind == "NPU"
    assert Adapter("a", {"3D", "Compute_0", "Copy"}).kind == "GPU"
    assert Adapter("a", set()).kind == ""


def test_utilisation_sums_processes_per_engine_then_takes_the_max_engine():
    values = {"pid_1_luid_0x0_0x1_phys_0_eng_0_engtype_3D": 30.0,
              "pid_2_luid_0x0_0x1_phys_0_eng_0_engtype_3D": 25.0,
              "pid_1_luid_0x0_0x1_phys_0_eng_1_engtype_Copy": 40.0,
              "pid_3_luid_0x0_0x2_phys_0_eng_0_engtype_Compute": 80.0,
              "pid_4_luid_0x0_0x2_phys_0_eng_0_engtype_Compute": 70.0}
    util = adapter_utilisation(values)
    assert util["0x00000000_0x00000001"] == 55.0  # 30 + 25 on engine 0 beats 40 on engine 1
    assert util["0x00000000_0x00000002"] == 100.0  # sums are capped like Task Manager
    assert adapter_utilisation(values, pid=1)["0x00000000_0x00000001"] == 40.0


@pytest.mark.parametrize("trace,npu,igpu,npu_util,igpu_util,worker_npu", [
    ("intel_core_ultra.json", "0x00000000_0x0000E2F1", "0x00000000_0x0000D1A5", 75.0, 30.0, 60.0),
    ("amd_ryzen_ai.json", "0x00000000_0x00013A2C", "0x00000000_0x00012F88", 80.0, 55.0, 40.0),
    ("snapdragon_x_elite.json", "0x00000000_0x0000BB15", "0x00000000_0x000095CA", 75.5, 8.0, 40.0),
])
def test_traces_per_vendor(trace, npu, igpu, npu_util, igpu_util, worker_npu, clock):
    probe = WinPdhGpuProbe(FakePdh(trace), clock=clock)
    probe.set_worker_pid(9524)
    first = by_key(probe.read())
    assert first[f"luid:{npu}/util"].status == "not_ready" and math.isnan(first[f"luid:{npu}/util"].value)
    assert first[f"luid:{npu}/util"].kind == "NPU" and first[f"luid:{igpu}/util"].kind == "GPU"
    assert first[f"luid:{npu}/mem_dedicated"].value == 0.0  # NPUs report shared memory only
    assert first[f"luid:{npu}/mem_shared"].value > 1e9
    clock.advance(0.5)
    got = by_key(probe.read())
    assert got[f"luid:{npu}/util"].value == pytest.approx(npu_util)
    assert got[f"luid:{igpu}/util"].value == pytest.approx(igpu_util)
    assert got[f"luid:{npu}/worker_util"].value == pytest.approx(worker_npu)
    assert got[f"luid:{npu}/mem_used"].value == pytest.approx(
        got[f"luid:{npu}/mem_shared"].value + got[f"luid:{npu}/mem_dedicated"].value)
    assert {a.kind for a in probe.adapters().values()} == {"NPU", "GPU"}


def test_group_adapters_from_instance_names():
    adapters = group_adapters([REAL_INSTANCE, "pid_1_luid_0x00000000_0x0000BB15_phys_0_eng_13_engtype_neural"])
    assert adapters["0x00000000_0x000095CA"].kind == "GPU"
    assert adapters["0x00000000_0x0000BB15"].kind == "NPU"


def _thermal_trace(values):
    return {"frames": [{"counters": {HIGH_PRECISION: values}}]}


def test_thermal_zone_tenths_of_kelvin(clock):
    probe = WinThermalZoneProbe(FakePdh(_thermal_trace({r"\_TZ.TZ00": 3181.0, r"\_TZ.CPUZ": 3281.5,
                                                        r"\_TZ.TZ01": 0.0})), clock=clock)
    got = by_key(probe.read())
    assert got[r"thermal:\_TZ.TZ00/temp"].value == pytest.approx(44.95)
    assert got[r"thermal:\_TZ.CPUZ/temp"].kind == "CPU"
    zero = got[r"thermal:\_TZ.TZ01/temp"]
    assert zero.status == "unsupported" and math.isnan(zero.value)


def test_thermal_zone_without_counters_is_unsupported():
    fake = FakePdh(_thermal_trace({}), missing_paths=(HIGH_PRECISION, r"\Thermal Zone Information(*)\Temperature"))
    got = WinThermalZoneProbe(fake).read()
    assert got[0].status == "unsupported" and "thermal-zone" in got[0].reason
    empty = WinThermalZoneProbe(FakePdh(_thermal_trace({}))).read()
    assert empty[0].status == "unsupported" and "no instances" in empty[0].reason


def test_tenths_kelvin_conversion():
    assert tenths_kelvin_to_c(2731.5) == pytest.approx(0.0)
    assert tenths_kelvin_to_c(0) is None and tenths_kelvin_to_c(9999) is None


def test_probe_primes_again_after_close(clock):
    fake = FakePdh("intel_core_ultra.json")
    probe = WinPdhGpuProbe(fake, clock=clock)
    probe.read()
    probe.read()
    probe.close()
    assert fake.closed
    again = by_key(probe.read())  # a restarted sampler: counters re-added, first collection again
    assert again["luid:0x00000000_0x0000E2F1/util"].status == "not_ready"
