"""EMI: metadata / measurement bytes, *_PKG only, mirrored per-core channels dropped, pWh -> W."""

from __future__ import annotations

import math
import struct

import pytest

from app.probes.win_emi import (
    PWH_TO_J,
    WinEmiProbe,
    mirrored,
    parse_measurements,
    parse_metadata,
    power_w,
)

from .conftest import DATA, by_key
from .fakes_windows import FakeEmi


def test_parse_v2_metadata_from_fixture_bytes():
    meta = parse_metadata(2, (DATA / "emi/pkg.meta.bin").read_bytes())
    assert (meta.oem, meta.model, meta.revision) == ("INTEL", "RAPL", 1)
    assert meta.channels == ["RAPL_Package0_PKG", "RAPL_Package0_PP0", "RAPL_Package0_PP1", "RAPL_Package0_DRAM"]


def test_parse_v1_metadata_built_by_hand():
    name = "Surface PMIC\0".encode("utf-16-le")
    data = struct.pack("<I", 0) + "MSFT".ljust(16, "\0").encode("utf-16-le") \
        + "SB2".ljust(16, "\0").encode("utf-16-le") + struct.pack("<HH", 3, len(name)) + name
    meta = parse_metadata(1, data)
    assert meta.channels == ["Surface PMIC"] and meta.oem == "MSFT" and meta.revision == 3


@pytest.mark.parametrize("version,data", [(2, b"\0" * 10), (1, b"\0" * 20), (7, b"\0" * 100)])
def test_malformed_metadata_raises_value_error(version, data):
    with pytest.raises(ValueError):
        parse_metadata(version, data)


def test_truncated_channel_list_raises():
    data = (DATA / "emi/pkg.meta.bin").read_bytes()
    with pytest.raises(ValueError):
        parse_metadata(2, data[:-10])


def test_measurements_and_power_units():
    values = parse_measurements((DATA / "emi/pkg.snap0.bin").read_bytes())
    assert len(values) == 4 and values[0] == (1_000_000_000_000, 133_000_000_000_000)
    # 3 333 333 333 pWh over 10 000 000 x 100 ns = 12 J in 1 s
    assert power_w((0, 0), (3_333_333_333, 10_000_000)) == pytest.approx(12.0, rel=1e-6)
    assert power_w((5, 10), (6, 10)) is None  # no time step
    assert PWH_TO_J == pytest.approx(3.6e-9)
    assert parse_measurements(b"\0" * 20) == [(0, 0)]  # a trailing partial record is ignored


def test_mirror_detection():
    assert mirrored([("a", 1_000_000), ("b", 1_000_000), ("c", 2_000_000), ("d", 0)]) == {"b"}


def test_probe_keeps_one_package_channel_and_computes_watts(clock):
    emi = FakeEmi()
    probe = WinEmiProbe(emi, clock=clock)
    first = by_key(probe.read())
    assert set(first) == {"cpu/energy", "cpu/power"}  # PP0/PP1/DRAM ignored, two mirrors dropped
    assert first["cpu/power"].status == "not_ready"
    assert first["cpu/energy"].scope == "CPU package (EMI RAPL)"
    emi.set_snapshot(1)
    clock.advance(1.0)
    got = by_key(probe.read())
    assert got["cpu/power"].value == pytest.approx(12.0, rel=1e-6)  # not 36 W from summing mirrors
    assert got["cpu/energy"].value == pytest.approx(12.0, rel=1e-6)
    emi.set_snapshot(2)
    clock.advance(0.1)
    stale = by_key(probe.read())["cpu/power"]
    assert stale.status == "stale" and math.isnan(stale.value)


def test_no_emi_device_or_no_package_channel_is_unsupported():
    got = by_key(WinEmiProbe(FakeEmi(names=())).read())
    assert got["cpu/energy"].status == "unsupported" and "Energy Meter" in got["cpu/energy"].reason

    class DramOnly(FakeEmi):
        def devices(self):
            dev = super().devices()[0]
            dev.metadata = lambda: struct.pack("<32s32sHH", b"", b"", 1, 1) + struct.pack("<IH", 0, 8) \
                + "DRAM\0".encode("utf-16-le")[:8]
            return [dev]

    got = by_key(WinEmiProbe(DramOnly(names=("pkg",))).read())
    assert got["cpu/power"].status == "unsupported" and "_PKG" in got["cpu/power"].reason


def test_failed_measurement_is_an_error_not_zero(clock):
    emi = FakeEmi(names=("pkg",))

    def broken(count):
        raise OSError(31, "A device attached to the system is not functioning")

    probe = WinEmiProbe(emi, clock=clock)
    probe.read()
    emi.devices()[0].measure = broken
    got = by_key(probe.read())
    assert got["cpu/energy"].status == "error" and math.isnan(got["cpu/energy"].value)
