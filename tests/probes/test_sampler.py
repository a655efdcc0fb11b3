"""The sampler thread for real: drift-free schedule, NaN for missing, drain, bounds, failures."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest

from app.probes.model import Probe, missing, reading
from app.probes.sampler import MAX_FAILURES, Sampler


class TickProbe(Probe):
    """Records when it was read; emits one ok reading per read."""

    name = "tick"

    def __init__(self, period_s: float = 0.05) -> None:
        self.period_s = period_s
        self.reads: list[int] = []
        self.opened = self.closed = 0
        self.pids: list[int | None] = []

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def set_worker_pid(self, pid):
        self.pids.append(pid)

    def read(self):
        t = time.perf_counter_ns()
        self.reads.append(t)
        return [reading("dev", "util", float(len(self.reads)), "%", "tick", t_ns=t, kind="CPU")]


class MissingProbe(Probe):
    name = "missing"
    period_s = 0.05

    def read(self):
        return [missing("npu0", "power", "W", "unsupported", "no rail sensor", "test", kind="NPU")]


class FailingProbe(Probe):
    name = "failing"
    period_s = 0.01

    def __init__(self, ok_reads: int = 1) -> None:
        self.calls = 0
        self.ok_reads = ok_reads

    def read(self):
        self.calls += 1
        if self.calls <= self.ok_reads:
            return [reading("gpu0", "temp", 50.0, "degC", "test", t_ns=time.perf_counter_ns())]
        raise OSError(5, "Input/output error")


def _run(sampler: Sampler, seconds: float) -> None:
    sampler.start()
    try:
        time.sleep(seconds)
    finally:
        sampler.stop()


def test_schedule_does_not_drift():
    probe = TickProbe(0.05)
    _run(Sampler([probe], cpu_budget=None), 1.2)
    reads = np.array(probe.reads, dtype=np.int64)
    assert 20 <= reads.size <= 26
    k = np.arange(reads.size)
    deviation_ms = (reads - reads[0] - k * 50_000_000) / 1e6
    # Each read is late by a little (wake-up latency), and a late one (a loaded
    # machine) does not push the later ones back: the error never accumulates.
    # A `sleep(period)` loop fails both checks after its first stall.
    assert np.median(np.abs(deviation_ms)) < 5.0
    assert np.median(np.abs(deviation_ms[-5:])) < 10.0
    assert np.median(np.diff(reads)) / 1e6 == pytest.approx(50.0, abs=5.0)


def test_missing_values_are_nan_with_status_and_reason():
    s = Sampler([MissingProbe()], cpu_budget=None)
    _run(s, 0.2)
    series = s.series()["npu0/power"]
    assert series.values.size >= 1 and np.all(np.isnan(series.values))
    assert series.status == "unsupported" and series.reason == "no rail sensor"
    assert s.metric_status()["npu0/power"] == ("unsupported", "no rail sensor")


def test_drain_returns_each_sample_once():
    probe = TickProbe(0.02)
    s = Sampler([probe], cpu_budget=None)
    s.start()
    try:
        time.sleep(0.15)
        first = s.drain()
        time.sleep(0.1)
        second = s.drain()
    finally:
        s.stop()
    third = s.drain()
    values = [x.value for x in first + second + third if x.key == "dev/util"]
    assert first and second
    assert values == sorted(values) and len(values) == len(set(values))  # nothing twice, nothing reordered
    assert len(values) == len(probe.reads)
    assert s.drain() == []


def test_series_are_bounded():
    s = Sampler([TickProbe(0.005)], max_points_per_series=10, cpu_budget=None)
    _run(s, 0.3)
    series = s.series()["dev/util"]
    assert series.values.size == 10
    assert np.all(np.diff(series.t_ns) > 0)
    assert series.values[-1] == series.values.max()  # the newest points are kept


def test_failing_probe_becomes_error_status_then_is_switched_off():
    probe = FailingProbe(ok_reads=1)
    s = Sampler([probe], cpu_budget=None)
    _run(s, 0.4)
    status, reason = s.metric_status()["gpu0/temp"]
    assert status == "error" and "OSError" in reason and "switched off" in reason
    assert probe.calls == 1 + MAX_FAILURES
    assert math.isnan(s.series()["gpu0/temp"].values[-1])
    assert s.series()["gpu0/temp"].unit == "degC"  # the error keeps the series' unit


def test_start_stop_are_idempotent_and_probes_are_opened_and_closed():
    probe = TickProbe(0.05)
    s = Sampler([probe], cpu_budget=None)
    s.stop()  # before start: no-op
    s.start()
    s.start()
    time.sleep(0.1)
    assert s.running
    s.stop()
    s.stop()
    assert not s.running
    assert probe.opened == 1 and probe.closed == 1


def test_worker_pid_reaches_the_probes_before_and_while_running():
    probe = TickProbe(0.02)
    s = Sampler([probe], cpu_budget=None)
    s.set_worker_pid(1234)
    assert probe.pids[-1] == 1234
    s.start()
    try:
        s.set_worker_pid(5678)
        time.sleep(0.1)
    finally:
        s.stop()
    assert probe.pids[-1] == 5678


def test_static_probe_is_read_once():
    probe = TickProbe(0.0)
    _run(Sampler([probe], cpu_budget=None), 0.2)
    assert len(probe.reads) == 1


def test_overhead_is_measured():
    s = Sampler([TickProbe(0.01)], cpu_budget=None)
    _run(s, 1.1)
    o = s.overhead()
    assert o["ticks"] > 50 and o["wall_s"] > 0.9
    assert 0.0 < o["cpu_share_of_core"] < 0.5
    assert o["jitter_ms"]["p50"] >= 0.0 and o["jitter_ms"]["max"] >= o["jitter_ms"]["p99"]
    assert "sampler/cpu_util" in s.series()


def test_budget_backoff_halves_fast_probes():
    probe = TickProbe(0.05)
    s = Sampler([probe], cpu_budget=0.0)  # any cost is over budget
    s._check_budget(0.5)
    assert s.overhead()["periods_s"]["tick"] == pytest.approx(0.1)
    assert s.overhead()["backoffs"] == 1


def test_default_probes_are_used_when_none_given():
    s = Sampler(cpu_budget=None)
    _run(s, 0.35)
    statuses = s.metric_status()
    assert statuses["cpu/util"][0] == "ok"
    assert "memory/mem_used" in statuses


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_restart_works_and_stop_closes_every_kept_open_file():
    before = len(os.listdir("/proc/self/fd"))
    s = Sampler(cpu_budget=None)
    s.set_worker_pid(os.getpid())
    for _ in range(2):
        _run(s, 0.3)
        assert len(os.listdir("/proc/self/fd")) == before
    assert s.metric_status()["worker/cpu_util"][0] == "ok"
    assert s.series()["cpu/util"].values.size >= 4


def _counting(probe):
    """The real probe, counting its reads."""
    reads = []
    read = probe.read

    def counted():
        reads.append(1)
        return read()

    probe.read = counted
    return probe, reads


def test_a_probe_with_nothing_on_this_machine_reports_unsupported_once_then_is_not_read_again(tmp_path):
    from app.probes.linux_rapl import RaplPowercapProbe
    from app.probes.power_source import BatteryProbe

    rapl, rapl_reads = _counting(RaplPowercapProbe(tmp_path))  # a root with no powercap zones
    battery, battery_reads = _counting(BatteryProbe(sensors_battery=lambda: None))
    battery.period_s = 0.01
    tick = TickProbe(0.01)
    s = Sampler([rapl, battery, tick], cpu_budget=None)
    _run(s, 0.3)
    assert len(tick.reads) > 10  # the sampler kept ticking
    assert (len(rapl_reads), len(battery_reads)) == (1, 1)
    status = s.metric_status()
    assert status["cpu/energy"][0] == status["system/battery"][0] == "unsupported"
    assert "RAPL" in status["cpu/energy"][1] or "powercap" in status["cpu/energy"][1]
    # the record still says why, for a window long after that one reading
    now = time.perf_counter_ns()
    telemetry, energy = s.record_section(now, now + 1_000_000, 10, "CPU")
    entry = telemetry["series"]["cpu/energy"]
    assert entry["status"] == "unsupported" and entry["reason"] == status["cpu/energy"][1]
    assert energy["available"] is False


def test_a_probe_with_its_source_present_is_read_at_every_tick(tmp_path):
    from app.probes.power_source import BatteryProbe

    class Battery:
        percent, power_plugged = 80.0, True

    battery, reads = _counting(BatteryProbe(sensors_battery=lambda: Battery()))
    battery.period_s = 0.02
    s = Sampler([battery], cpu_budget=None)
    _run(s, 0.3)
    assert len(reads) > 5
    assert s.metric_status()["system/battery"][0] == "ok"
