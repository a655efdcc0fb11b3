"""AMD XDNA NPU: hwmon power/temperature with sentinels, and per-process fdinfo busy time."""

from __future__ import annotations

import math
import os

import pytest

from app.probes.linux_amdxdna import AmdXdnaProbe, sensor_value
from app.probes.linux_fdinfo import client_from_fdinfo, parse_fdinfo, parse_size, process_clients

from .conftest import DATA, by_key

KEY = "pci:0000:05:00.1"
FDINFO = DATA / "fdinfo"


def _fake_proc(root, pid: int, fds: dict[str, tuple[str, str]]) -> None:
    """/proc/<pid>/fd/<n> -> target links and /proc/<pid>/fdinfo/<n> texts under a test root."""
    fd_dir, info_dir = root / "proc" / str(pid) / "fd", root / "proc" / str(pid) / "fdinfo"
    fd_dir.mkdir(parents=True, exist_ok=True)
    info_dir.mkdir(parents=True, exist_ok=True)
    for fd, (target, fixture) in fds.items():
        link = fd_dir / fd
        if link.is_symlink():
            link.unlink()
        os.symlink(target, link)
        (info_dir / fd).write_text((FDINFO / fixture).read_text())


def test_hwmon_power_and_temperature_in_si_units(stage, clock):
    root = stage("amd_ryzen_ai_laptop", 0)
    got = by_key(AmdXdnaProbe(root, clock=clock).read())
    power, temp = got[f"{KEY}/power"], got[f"{KEY}/temp"]
    assert power.status == "ok" and power.value == pytest.approx(1.85) and power.unit == "W"
    assert power.scope == "NPU rail (amdxdna hwmon)" and power.kind == "NPU"
    assert temp.value == pytest.approx(48.0) and temp.unit == "degC"
    util = got[f"{KEY}/util"]
    assert util.status == "unsupported" and "QUERY_SENSORS" in util.reason


@pytest.mark.parametrize("raw", ["4294967295", "18446744073709551615", "-1", "65535000"])
def test_sentinels_are_unsupported_never_a_reading(stage, raw):
    root = stage("amd_ryzen_ai_laptop", 0)
    (root / "sys/class/accel/accel0/device/hwmon/hwmon7/power1_input").write_text(raw + "\n")
    power = by_key(AmdXdnaProbe(root).read())[f"{KEY}/power"]
    assert power.status == "unsupported" and math.isnan(power.value)
    assert "sentinel" in power.reason


def test_missing_hwmon_says_why(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    import shutil

    shutil.rmtree(root / "sys/class/accel/accel0/device/hwmon")
    shutil.rmtree(root / "sys/class/hwmon/hwmon7")
    got = by_key(AmdXdnaProbe(root).read())
    assert got[f"{KEY}/power"].status == "unsupported"
    assert "amd_pmf" in got[f"{KEY}/power"].reason


def test_worker_fdinfo_busy_time_becomes_utilisation(stage, clock):
    root = stage("amd_ryzen_ai_laptop", 0)
    pid = 4242
    # two fds on the same client (dup): counted once; one unrelated fd
    _fake_proc(root, pid, {"5": ("/dev/accel/accel0", "amdxdna_oot_snap0.txt"),
                           "6": ("/dev/accel/accel0", "amdxdna_oot_snap0.txt"),
                           "7": ("socket:[1234]", "not_drm.txt")})
    probe = AmdXdnaProbe(root, clock=clock)
    probe.set_worker_pid(pid)
    first = by_key(probe.read())
    assert first[f"{KEY}/worker_util"].status == "not_ready"
    assert first[f"{KEY}/worker_mem"].value == 507756 * 1024
    _fake_proc(root, pid, {"5": ("/dev/accel/accel0", "amdxdna_oot_snap1.txt"),
                           "6": ("/dev/accel/accel0", "amdxdna_oot_snap1.txt")})
    clock.advance(1.0)
    util = by_key(probe.read())[f"{KEY}/worker_util"]
    assert util.status == "ok" and util.value == pytest.approx(30.0)  # 300 ms of NPU time in 1 s


def test_worker_without_npu_client_is_not_ready_and_old_driver_is_unsupported(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    _fake_proc(root, 77, {"3": ("/dev/null", "not_drm.txt")})
    probe = AmdXdnaProbe(root)
    probe.set_worker_pid(77)
    util = by_key(probe.read())[f"{KEY}/worker_util"]
    assert util.status == "not_ready" and "not using the NPU" in util.reason
    _fake_proc(root, 78, {"3": ("/dev/accel/accel0", "amdxdna_no_engine.txt")})
    probe.set_worker_pid(78)
    util = by_key(probe.read())[f"{KEY}/worker_util"]
    assert util.status == "unsupported" and "driver too old" in util.reason


def test_fdinfo_parsers_on_all_three_engine_spellings():
    up = client_from_fdinfo(parse_fdinfo((FDINFO / "amdxdna_upstream.txt").read_text()))
    assert up.driver == "amdxdna" and up.engine_ns == {"amdxdna": 4891234567}
    assert up.memory["drm-total-memory"] == 102400 * 1024
    oot = client_from_fdinfo(parse_fdinfo((FDINFO / "amdxdna_oot_snap0.txt").read_text()))
    assert oot.engine_ns == {"npu-amdxdna": 339706748} and oot.pdev == "0000:05:00.1"
    newer = client_from_fdinfo(parse_fdinfo("drm-driver:\tamdxdna_accel_driver\n"
                                            "drm-engine-amdxdna_accel_driver:\t12 ns\n"))
    assert newer.busy_ns == 12
    i915 = client_from_fdinfo(parse_fdinfo((FDINFO / "i915.txt").read_text()))
    assert "capacity-video" not in i915.engine_ns and i915.engine_ns["render"] == 9288864723
    assert client_from_fdinfo(parse_fdinfo((FDINFO / "not_drm.txt").read_text())) is None
    assert parse_size("12 MiB") == 12 << 20 and parse_size("12 parsecs") is None


def test_process_clients_of_a_vanished_pid_is_empty(tmp_path):
    assert process_clients(tmp_path / "proc", 999999) == []


def test_sensor_value_rejects_garbage():
    assert sensor_value("abc", 1e-6, set()) == (None, "unparsable 'abc'")
    assert sensor_value("2500000", 1e-6, set())[0] == pytest.approx(2.5)
