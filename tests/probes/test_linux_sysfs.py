"""The shared sysfs helpers: parsing and classifying read errors."""

from __future__ import annotations

import errno
from pathlib import Path

from app.probes.linux_sysfs import (
    driver_version,
    natural_dirs,
    parse_int,
    parse_pci_class,
    parse_pci_id,
    parse_uevent,
    read_attr,
)

from .conftest import DATA

AMD_UEVENT = DATA / "sysfs/amd_ryzen_ai_laptop/snap0/sys/class/accel/accel0/device/uevent"


def test_parse_int_accepts_sysfs_text_and_rejects_garbage():
    assert parse_int("8412337\n") == 8412337
    assert parse_int("0x7d1d\n") == 0x7D1D
    assert parse_int("-273150") == -273150
    assert parse_int("N/A") is None
    assert parse_int("") is None
    assert parse_int(None) is None


def test_parse_real_amdxdna_uevent():
    ev = parse_uevent(AMD_UEVENT.read_text())
    assert ev["DRIVER"] == "amdxdna"
    assert parse_pci_id(ev["PCI_ID"]) == (0x1022, 0x17F0)
    assert parse_pci_class(ev["PCI_CLASS"]) == 0x118000
    assert ev["PCI_SUBSYS_ID"] == "17AA:3823" and ev["PCI_SLOT_NAME"] == "0000:05:00.1"


def test_malformed_uevent_lines_are_skipped():
    ev = parse_uevent("DRIVER=i915\ngarbage line\n=novalue\nPCI_ID=zz:yy\n")
    assert ev == {"DRIVER": "i915", "PCI_ID": "zz:yy"}
    assert parse_pci_id(ev["PCI_ID"]) is None
    assert parse_pci_class("not hex") is None


def _raiser(exc):
    def reader(path: Path) -> str:
        raise exc
    return reader


def test_read_attr_classifies_errors(tmp_path):
    missing = read_attr(tmp_path / "nope")
    assert (missing.text, missing.status) == (None, "unsupported")
    assert read_attr(tmp_path / "x", _raiser(PermissionError(errno.EACCES, "denied"))).status == "denied"
    assert read_attr(tmp_path / "x", _raiser(OSError(errno.EOPNOTSUPP, "nope"))).status == "unsupported"
    assert read_attr(tmp_path / "x", _raiser(OSError(errno.EIO, "io"))).status == "error"
    (tmp_path / "ok").write_text("42\n")
    ok = read_attr(tmp_path / "ok")
    assert ok.status == "ok" and ok.text == "42\n"


def test_natural_order_and_driver_versions(tmp_path):
    for name in ("hwmon10", "hwmon2", "hwmon1", "other"):
        (tmp_path / name).mkdir()
    assert [p.name for p in natural_dirs(tmp_path, "hwmon")] == ["hwmon1", "hwmon2", "hwmon10"]
    amd = DATA / "sysfs/amd_ryzen_ai_laptop/snap0"
    intel = DATA / "sysfs/intel_npu_laptop/snap0"
    assert driver_version(amd, "amdxdna") == "2.19.0_20250115"  # out-of-tree module
    assert driver_version(intel, "intel_vpu") == "in-tree (kernel 6.11.0-19-generic)"
