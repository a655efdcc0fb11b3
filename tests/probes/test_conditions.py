"""Measurement-condition counters: /proc/stat and /proc/<pid>/stat deltas, cpufreq caps, throttle counters.

The meter reads recorded trees (tests/data/conditions/, README there) through its injectable roots, and
the real /proc of this machine in the last tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.probes.conditions import (
    MIN_TICKS,
    NO_STEAL,
    NO_THROTTLE,
    ConditionsMeter,
    CpuTimes,
    Snapshot,
    load_between,
    parse_cpu_totals,
    parse_pid_times,
    psutil_cpu_times,
    read_clocks,
    read_throttle_counts,
)
from app.probes.linux_procfs import CLK_TCK

DATA = Path(__file__).resolve().parents[1] / "data" / "conditions"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _meter(tree: str, snap: str, pid: int, profiler: int | None, children=(), t_ns: int = 0) -> ConditionsMeter:
    root = DATA / tree / snap
    return ConditionsMeter(pid, profiler, proc_root=root / "proc", sys_root=root / "sys", linux=True,
                           battery=lambda: None, children=lambda _pid: list(children), clock=lambda: t_ns)


def _pair(tree: str, pid: int, profiler: int | None, children=()) -> tuple[Snapshot, Snapshot]:
    a = _meter(tree, "snap0", pid, profiler, children, 0).snapshot()
    b = _meter(tree, "snap1", pid, profiler, children, 1_000_000_000).snapshot()
    return a, b


def test_parse_cpu_totals_splits_busy_idle_and_steal():
    t = parse_cpu_totals("cpu  100 5 50 800 20 3 7 15 40 0\ncpu0 1 2 3 4\n", ticks_per_s=100)
    # guest (40) is inside user already: not added again; idle = idle + iowait; steal apart from busy
    assert t == CpuTimes(busy=1.65, idle=8.2, steal=0.15, total=10.0)


def test_parse_cpu_totals_of_an_old_kernel_has_no_steal():
    t = parse_cpu_totals("cpu  100 0 50 850 0 0 0\n", ticks_per_s=100)  # 2.6.10 era: seven fields
    assert t is not None and t.steal is None and t.total == pytest.approx(10.0)


@pytest.mark.parametrize("text", ["", "cpu0 1 2 3 4\n", "cpu  1 2 x 4\n", "cpu  1 2\n"])
def test_parse_cpu_totals_refuses_what_it_cannot_read(text):
    assert parse_cpu_totals(text) is None


def test_parse_pid_times_counts_fields_after_the_last_parenthesis():
    text = (DATA / "intel_laptop/snap0/proc/4242/stat").read_text()
    assert "(python3 (aipcprof) worker)" in text  # a command name with spaces and parentheses
    own, children = parse_pid_times(text, ticks_per_s=100)
    assert (own, children) == (pytest.approx(60.0), pytest.approx(0.48))
    assert parse_pid_times("4242 (x) S 1 2") is None
    assert parse_pid_times("no parenthesis here") is None


def test_laptop_window_shares_other_processes_worker_tree_and_profiler():
    """800 ticks in the window: busy 380, the worker 210 (with a waited-for child's 10), a live child 20,
    the profiler 10; the other 140 ticks are other processes'."""
    a, b = _pair("intel_laptop", 4242, 4200, children=[4250])
    load = load_between(a, b)
    assert load.seconds == 1.0
    assert load.other.value == pytest.approx(140 / 800)
    assert load.worker.value == pytest.approx(230 / 800)
    assert load.profiler.value == pytest.approx(10 / 800)
    assert load.steal.value == 0.0
    assert load.source == "/proc/stat, /proc/<pid>/stat"


def test_a_missed_child_counts_as_another_process():
    a, b = _pair("intel_laptop", 4242, 4200, children=[])
    assert load_between(a, b).other.value == pytest.approx(160 / 800)


def test_laptop_clocks_caps_and_throttle_events():
    a, b = _pair("intel_laptop", 4242, 4200, children=[4250])
    load = load_between(a, b)
    assert load.clock_start == pytest.approx((4.7 + 4.6 + 4.7 + 4.65) / 4 / 4.8)
    assert load.clock_end == pytest.approx((4.3 + 4.2 + 3.5 + 3.55) / 4 / 4.8)
    assert load.clock_cap == pytest.approx(0.75)  # two policies capped at 3.6 of 4.8 GHz in snap1
    # core counters rose 2 + 1; the package counter (repeated under every CPU) rose 3, counted once
    assert load.throttle_events == 6 and load.throttle_reason == ""


def test_vm_window_has_steal_and_no_clock_or_throttle_source():
    a, b = _pair("vm_steal", 777, 700)
    load = load_between(a, b)
    assert load.steal.value == pytest.approx(40 / 200)
    assert load.other.value == pytest.approx(25 / 200)  # busy 120 - worker 90 - profiler 5
    assert load.worker.value == pytest.approx(90 / 200)
    assert load.throttle_events is None and load.throttle_reason == NO_THROTTLE
    assert load.clock_start is None and load.clock_cap is None and "no cpufreq policies" in load.clock_reason


def test_read_clocks_and_throttle_of_an_empty_tree_say_why(tmp_path):
    assert read_clocks(tmp_path) == ((), f"no cpufreq policies under {tmp_path / 'devices/system/cpu/cpufreq'} "
                                         "(VM, container or no cpufreq driver)")
    assert read_throttle_counts(tmp_path) == (None, NO_THROTTLE)


def test_a_window_too_short_for_the_tick_counter_gives_no_share():
    cpu0 = CpuTimes(busy=1.0, idle=1.0, steal=0.0, total=2.0)
    cpu1 = CpuTimes(busy=1.1, idle=1.1, steal=0.0, total=2.0 + (MIN_TICKS - 1) / CLK_TCK)
    a = Snapshot(0, cpu0, tree_s=0.5, profiler_s=0.0)
    b = Snapshot(50_000_000, cpu1, tree_s=0.55, profiler_s=0.0)
    load = load_between(a, b)
    assert load.other.value is None and f"{MIN_TICKS} are needed" in load.other.reason
    assert load.worker.value is None and load.steal.value is None


def test_missing_counters_are_none_with_their_reason():
    cpu = CpuTimes(busy=0.0, idle=0.0, steal=None, total=0.0)
    a = Snapshot(0, cpu, tree_s=None, tree_reason="worker pid 9 unreadable: gone", profiler_s=None,
                 profiler_reason="no profiler process (the worker runs on its own)")
    b = Snapshot(10**9, CpuTimes(busy=5.0, idle=5.0, steal=None, total=10.0), tree_s=None,
                 tree_reason="worker pid 9 unreadable: gone", profiler_s=None,
                 profiler_reason="no profiler process (the worker runs on its own)")
    load = load_between(a, b)
    assert load.other.value is None and "worker pid 9 unreadable" in load.other.reason
    assert load.steal == type(load.steal)(None, NO_STEAL)
    assert load.profiler.value is None and "no profiler process" in load.profiler.reason
    no_cpu = Snapshot(0, None, cpu_reason="/proc/stat unreadable: Permission denied")
    assert load_between(no_cpu, no_cpu).other.reason == "/proc/stat unreadable: Permission denied"


@linux_only
def test_meter_on_this_machine_sees_a_busy_child_in_the_tree():
    """The real /proc: a child process that spins is the worker tree's time, not another process's.

    On a loaded machine the child gets what the scheduler gives it, so its own CPU time (read by psutil
    inside the window) is the yardstick, not a fixed share."""
    import psutil

    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<30: pass"])
    try:
        time.sleep(0.3)  # started and spinning
        meter = ConditionsMeter(os.getpid(), None)
        a = meter.snapshot()
        c0 = sum(psutil.Process(child.pid).cpu_times()[:2])
        time.sleep(1.0)
        c1 = sum(psutil.Process(child.pid).cpu_times()[:2])
        b = meter.snapshot()
    finally:
        child.kill()
        child.wait()
    assert c1 - c0 > 0.02  # the child did run
    assert b.tree_s - a.tree_s >= (c1 - c0) - 2 / CLK_TCK  # its time is in the tree (2 ticks of rounding)
    load = load_between(a, b)
    assert load.worker.value is not None and load.other.value is not None
    assert load.source == "/proc/stat, /proc/<pid>/stat"


def test_the_psutil_path_used_off_linux_reads_this_machine():
    """Windows and macOS read psutil's system-wide and per-process times: run that path here for real."""
    import psutil

    child = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<30: pass"])
    try:
        meter = ConditionsMeter(os.getpid(), os.getppid(), linux=False)
        a = meter.snapshot()
        c0 = sum(psutil.Process(child.pid).cpu_times()[:2])
        time.sleep(1.0)
        c1 = sum(psutil.Process(child.pid).cpu_times()[:2])
        b = meter.snapshot()
    finally:
        child.kill()
        child.wait()
    load = load_between(a, b)
    assert load.source == "psutil.cpu_times" and a.cpu is not None
    if "steal" in psutil.cpu_times()._fields:  # Linux: psutil has the column too
        assert load.steal.value is not None
    else:  # Windows, macOS
        assert load.steal.value is None and load.steal.reason == NO_STEAL
    assert load.worker.value is not None and load.other.value is not None and load.profiler.value is not None
    assert b.tree_s - a.tree_s >= (c1 - c0) - 0.05  # the child is in the tree here too
    assert load.throttle_events is None and load.throttle_reason and load.clock_reason


def test_psutil_cpu_times_of_windows_do_not_count_interrupt_and_dpc_twice():
    # psutil on Windows: user, system (kernel minus idle, interrupt and DPC included), idle, interrupt, dpc
    t = psutil_cpu_times({"user": 30.0, "system": 10.0, "idle": 60.0, "interrupt": 2.0, "dpc": 1.0})
    assert t == CpuTimes(busy=40.0, idle=60.0, steal=None, total=100.0)
    mac = psutil_cpu_times({"user": 5.0, "nice": 1.0, "system": 4.0, "idle": 90.0})
    assert mac == CpuTimes(busy=10.0, idle=90.0, steal=None, total=100.0)
