"""The psutil probes, for real on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import namedtuple

import pytest

from app.probes.cpu_psutil import (
    PsutilCpuProbe,
    PsutilProcessProbe,
    PsutilSystemProbe,
    busy_and_total,
    util_percent,
)

from .conftest import by_key


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_cpu_utilisation_total_and_per_core():
    probe = PsutilCpuProbe()
    first = by_key(probe.read())
    assert first["cpu/util"].status == "not_ready"
    _spin(0.3)
    got = by_key(probe.read())
    util = got["cpu/util"]
    assert util.status == "ok" and 0.0 < util.value <= 100.0 and util.unit == "%"
    cores = [s for k, s in got.items() if k.startswith("cpu/util_core")]
    assert len(cores) == os.cpu_count()
    assert max(c.value for c in cores) > 50.0  # one core was spinning


def test_system_probe_frequency_and_memory():
    got = by_key(PsutilSystemProbe().read())
    mem_used, mem_total = got["memory/mem_used"], got["memory/mem_total"]
    assert 0 < mem_used.value < mem_total.value and mem_total.unit == "bytes"
    freq = got["cpu/freq"]
    assert (freq.status == "ok" and freq.value > 1e8 and freq.unit == "Hz") or freq.status == "unsupported"


def test_worker_process_cpu_and_rss_follow_the_pid():
    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<3: pass"])
    try:
        probe = PsutilProcessProbe()
        assert probe.read() == []  # no worker yet: nothing to say
        probe.set_worker_pid(child.pid)
        assert by_key(probe.read())["worker/cpu_util"].status == "not_ready"
        time.sleep(0.4)
        got = by_key(probe.read())
        assert got["worker/cpu_util"].value > 30.0  # a busy loop is close to 100 % of one core
        assert got["worker/rss"].value > 1_000_000 and got["worker/rss"].unit == "bytes"
    finally:
        child.kill()
        child.wait()
    gone = by_key(probe.read())["worker/cpu_util"]
    assert gone.status == "stale" and "exited" in gone.reason


def test_util_math_on_synthetic_times():
    T = namedtuple("T", "user nice system idle iowait guest guest_nice")
    a = T(10.0, 0.0, 5.0, 80.0, 5.0, 2.0, 0.0)
    b = T(20.0, 0.0, 10.0, 100.0, 10.0, 4.0, 0.0)
    busy, total = busy_and_total(a)
    assert (busy, total) == (15.0, 100.0)  # guest is already inside user
    assert busy_and_total(b) == (30.0, 140.0)
    assert util_percent(busy_and_total(a), busy_and_total(b)) == pytest.approx(100.0 * 15.0 / 40.0)
    assert util_percent(busy_and_total(a), busy_and_total(a)) is None
