"""RAPL powercap: energy integration, wrap, mmio duplicate, mirrors, EACCES -> denied + fix."""

from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest

from app.probes.linux_rapl import UDEV_FIX, RaplPowercapProbe
from app.probes.linux_sysfs import read_text
from app.probes.model import Sample

from .conftest import by_key


def test_two_snapshots_give_energy_and_power_with_wrap(stage, clock):
    root = stage("intel_npu_laptop", 0)
    probe = RaplPowercapProbe(root, clock=clock)
    first = by_key(probe.read())
    assert first["cpu/energy"].value == 0.0 and first["cpu/energy"].status == "ok"
    assert first["cpu/power"].status == "not_ready" and math.isnan(first["cpu/power"].value)
    stage("intel_npu_laptop", 1)
    clock.advance(1.0)
    got = by_key(probe.read())
    assert got["cpu/power"].value == pytest.approx(12.5)
    assert got["cpu/energy"].value == pytest.approx(12.5) and got["cpu/energy"].unit == "J"
    assert got["cpu/energy"].scope == "CPU package (RAPL)" and got["cpu/energy"].kind == "CPU"
    # core (PP0) wrapped at max_energy_range_uj between the snapshots: 1 J to the top + 2 J after
    assert got["cpu/power_cores"].value == pytest.approx(3.0)
    # uncore belongs to the Intel iGPU found under /sys/class/drm, psys to the platform
    assert got["pci:0000:00:02.0/power"].value == pytest.approx(1.5) and got["pci:0000:00:02.0/power"].kind == "GPU"
    assert got["system/power"].value == pytest.approx(21.0) and got["system/power"].kind == "SYSTEM"
    # intel-rapl-mmio:0 duplicates package-0 and must not appear as a second package
    assert not any("mmio" in s.source for s in got.values())
    assert "cpu:pkg1/energy" not in got


def test_denied_energy_uj_reports_the_udev_fix(stage, clock):
    root = stage("intel_npu_laptop", 0)

    def root_only(path: Path) -> str:
        if path.name == "energy_uj":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return read_text(path)

    probe = RaplPowercapProbe(root, reader=root_only, clock=clock)
    got = by_key(probe.read())
    energy = got["cpu/energy"]
    assert energy.status == "denied" and math.isnan(energy.value)
    assert "root-only" in energy.reason
    assert probe.fix(energy) == UDEV_FIX
    assert "udev" in UDEV_FIX and "energy_uj" in UDEV_FIX and "chmod g+r" in UDEV_FIX
    assert probe.fix(Sample(0, "cpu", "energy", 1.0, "J")) == ""  # an ok reading needs no fix


def test_no_powercap_is_unsupported_with_reason(tmp_path, clock):
    got = by_key(RaplPowercapProbe(tmp_path, clock=clock).read())
    assert set(got) == {"cpu/energy", "cpu/power"}
    assert all(s.status == "unsupported" and math.isnan(s.value) for s in got.values())
    assert "VM" in got["cpu/energy"].reason


def test_mirrored_package_counters_are_kept_once(tmp_path, clock):
    base = tmp_path / "sys/class/powercap"
    for zone, name in (("intel-rapl:0", "package-0-die-0"), ("intel-rapl:1", "package-0-die-1")):
        (base / zone).mkdir(parents=True)
        (base / zone / "name").write_text(name + "\n")
        (base / zone / "energy_uj").write_text("123456789\n")
        (base / zone / "max_energy_range_uj").write_text("262143328850\n")
    got = by_key(RaplPowercapProbe(tmp_path, clock=clock).read())
    assert "cpu/energy" in got and "cpu:pkg1/energy" not in got


def test_unparsable_and_stalled_counters(stage, clock):
    root = stage("amd_ryzen_ai_laptop", 0)
    probe = RaplPowercapProbe(root, clock=clock)
    probe.read()
    clock.advance(0.1)
    stalled = by_key(probe.read())["cpu/power"]  # files did not change: a disabled domain
    assert stalled.status == "stale" and math.isnan(stalled.value)
    (root / "sys/class/powercap/intel-rapl:0/energy_uj").write_text("\n")
    clock.advance(0.1)
    bad = by_key(probe.read())["cpu/energy"]
    assert bad.status == "error" and math.isnan(bad.value)
