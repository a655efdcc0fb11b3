"""NVML probe against a stub pynvml: NotSupported -> unsupported once, units, energy counter."""

from __future__ import annotations

import math

import pytest

from app.probes.nvml import NvmlProbe, field_value, normalize_bus_id

from .conftest import by_key
from .nvml_stub import NVMLError_DriverNotLoaded, StubNvml

KEY = "pci:0000:01:00.0"


def test_readings_in_si_units_and_not_supported_fields(clock):
    stub = StubNvml(energy_mj=[1_000_000, 1_002_500])
    probe = NvmlProbe(stub, clock=clock)
    probe.open()
    assert probe.gpus() == [(KEY, "NVIDIA GeForce RTX 4070 Laptop GPU")]
    assert probe.driver_version == "550.54.14"
    got = by_key(probe.read())
    assert got[f"{KEY}/util"].value == 42.0 and got[f"{KEY}/util"].unit == "%"
    assert got[f"{KEY}/power_avg"].value == pytest.approx(31.0) and got[f"{KEY}/power_avg"].unit == "W"
    assert got[f"{KEY}/temp"].value == 61.0
    assert got[f"{KEY}/mem_used"].value == 3 << 30 and got[f"{KEY}/mem_total"].value == 8 << 30
    power = got[f"{KEY}/power"]  # field 186 answered NOT_SUPPORTED
    assert power.status == "unsupported" and math.isnan(power.value)
    freq = got[f"{KEY}/freq"]  # FunctionNotFound
    assert freq.status == "unsupported" and "not supported" in freq.reason
    assert got[f"{KEY}/energy"].value == 0.0 and got[f"{KEY}/energy"].scope == "GPU board (NVML)"
    clock.advance(0.1)
    again = by_key(probe.read())
    assert again[f"{KEY}/energy"].value == pytest.approx(2.5)  # 2500 mJ since the probe started
    assert stub.calls["field"] == 1  # an unsupported query is not asked again
    probe.close()
    assert stub.shutdown_called


def test_energy_not_supported_is_unsupported(clock):
    stub = StubNvml(energy_mj=[])
    got = by_key(NvmlProbe(stub, clock=clock).read())
    assert got[f"{KEY}/energy"].status == "unsupported"
    assert math.isnan(got[f"{KEY}/energy"].value)


def test_instant_power_field_in_watts():
    got = by_key(NvmlProbe(StubNvml(instant_field_ok=True, energy_mj=[5])).read())
    assert got[f"{KEY}/power"].value == pytest.approx(35.25)


def test_no_driver_makes_every_metric_unsupported_with_reason():
    probe = NvmlProbe(StubNvml(init_error=NVMLError_DriverNotLoaded()))
    samples = probe.read()
    assert {s.metric for s in samples} >= {"util", "power", "energy", "temp", "freq", "mem_used"}
    assert all(s.status == "unsupported" and "driver not loaded" in s.reason for s in samples)
    assert all(math.isnan(s.value) for s in samples)


def test_missing_pynvml_package_is_unsupported():
    def no_module():
        raise ImportError("No module named 'pynvml'")

    samples = NvmlProbe(loader=no_module).read()
    assert samples and samples[0].status == "unsupported" and "nvidia-ml-py" in samples[0].reason


def test_real_pynvml_without_driver_reports_unsupported():
    # This machine has no NVIDIA driver: the real library must say so, not crash or read 0.
    pytest.importorskip("pynvml")
    samples = NvmlProbe().read()
    if samples and samples[0].device != "nvml":
        pytest.skip("an NVIDIA driver is present here")
    assert samples[0].status == "unsupported"
    assert "NVML library not found" in samples[0].reason or "driver" in samples[0].reason


def test_helpers():
    assert normalize_bus_id(b"00000000:01:00.0\x00") == "0000:01:00.0"
    assert normalize_bus_id("0000:C1:00.0") == "0000:c1:00.0"
    from types import SimpleNamespace

    assert field_value(SimpleNamespace(nvmlReturn=0, valueType=1, value=SimpleNamespace(uiVal=0xFFFFFFFF))) is None
    assert field_value(SimpleNamespace(nvmlReturn=0, valueType=0, value=SimpleNamespace(dVal=1.5))) == 1.5


def test_suspended_dgpu_is_not_woken_until_something_else_wakes_it():
    stub = StubNvml(energy_mj=[1, 2])
    asleep = [True]
    probe = NvmlProbe(stub, is_suspended=lambda: asleep[0])
    samples = probe.read()
    assert all(s.status == "not_ready" and "suspended" in s.reason for s in samples)
    assert probe.gpus() == []  # NVML was not even initialised
    asleep[0] = False
    assert by_key(probe.read())[f"{KEY}/util"].value == 42.0
