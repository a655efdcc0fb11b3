"""CPU, memory and worker-process readings (psutil everywhere; /proc directly on Linux).

Utilisation is computed from cumulative CPU-time deltas against this probe's
own timestamps, not psutil.cpu_percent(), whose hidden module-level state
would be shared with any other caller. /proc/stat ticks at USER_HZ (10 ms),
so per-core values are coarse at 10 Hz; that is the floor the research notes
recommend. On Linux the 10 Hz reads parse /proc themselves (linux_procfs.py):
same files as psutil, a fraction of the cost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from app.probes.counters import CounterDelta
from app.probes.linux_procfs import (
    cpufreq_files,
    mean_freq_hz,
    parse_meminfo,
    parse_pid_stat,
    parse_proc_stat,
)
from app.probes.linux_sysfs import CachedReader
from app.probes.model import (
    BYTES,
    CPU,
    DENIED,
    HERTZ,
    MEMORY,
    NOT_READY,
    PERCENT,
    STALE,
    UNSUPPORTED,
    Clock,
    Probe,
    Sample,
    missing,
    reading,
)

CPU_KEY = "cpu"
WORKER_KEY = "worker"
LINUX = sys.platform.startswith("linux")
CORE_METRICS = tuple(f"util_core{i}" for i in range(256))  # made once, not per read
MEMINFO = Path("/proc/meminfo")
CPUINFO_REFRESH_NS = 5_000_000_000  # /proc/cpuinfo is costly to parse; VMs report a static clock anyway


def busy_and_total(times: Any) -> tuple[float, float]:
    """(busy seconds, total seconds) from one psutil cpu_times tuple.

    Linux counts guest time inside user/nice already, so it is taken out of
    the total, as psutil itself does; idle and iowait are both "not busy".
    """
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total - times.idle - getattr(times, "iowait", 0.0), total


def util_percent(prev: tuple[float, float], cur: tuple[float, float]) -> float | None:
    """Busy share between two (busy, total) pairs, in %, or None when no time passed."""
    d_total = cur[1] - prev[1]
    if d_total <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * (cur[0] - prev[0]) / d_total))


class PsutilCpuProbe(Probe):
    """Total and per-core CPU utilisation (%), from one read of the per-core times."""

    name = "psutil-cpu"
    period_s = 0.1

    def __init__(self, *, clock: Clock = time.perf_counter_ns, cpu_times: Callable | None = None,
                 proc_root: str | Path = "/proc") -> None:
        self._clock = clock
        self._prev: list[tuple[float, float]] | None = None
        self._files = CachedReader()
        stat = Path(proc_root) / "stat"
        if cpu_times is None and LINUX and stat.exists():
            self._cores: Callable[[], list[tuple[float, float]]] = lambda: parse_proc_stat(self._files(stat))
            self._src = "/proc/stat"
        else:
            times = cpu_times or psutil.cpu_times
            self._cores = lambda: [busy_and_total(c) for c in times(percpu=True)]
            self._src = "psutil.cpu_times"

    def close(self) -> None:
        self._files.close()

    def read(self) -> list[Sample]:
        cores = self._cores()
        t = self._clock()
        src = self._src
        prev, self._prev = self._prev, cores
        if prev is None:
            return [missing(CPU_KEY, "util", PERCENT, NOT_READY, "first reading", src, t_ns=t, kind=CPU)]
        out = []
        busy0 = total0 = busy1 = total1 = 0.0  # one pass, 10 times a second: no generator per sum
        for b, x in prev:
            busy0 += b
            total0 += x
        for b, x in cores:
            busy1 += b
            total1 += x
        total = util_percent((busy0, total0), (busy1, total1))
        if total is not None:
            out.append(reading(CPU_KEY, "util", total, PERCENT, src, t_ns=t, kind=CPU))
        for i, (p, c) in enumerate(zip(prev, cores, strict=False)):  # CPU hotplug can change the count
            core = util_percent(p, c)
            if core is not None:
                out.append(reading(CPU_KEY, CORE_METRICS[i] if i < len(CORE_METRICS) else f"util_core{i}", core,
                                   PERCENT, src, t_ns=t, kind=CPU))
        return out


class PsutilSystemProbe(Probe):
    """CPU frequency and system memory: slower-moving, 2 Hz is plenty."""

    name = "psutil-system"
    period_s = 0.5

    def __init__(self, *, clock: Clock = time.perf_counter_ns, sys_root: str | Path = "/sys") -> None:
        self._clock = clock
        self._files = CachedReader()
        self._freq_files = cpufreq_files(Path(sys_root)) if LINUX else []
        self._cached: tuple[int, float | None] | None = None  # (t_ns, Hz) of the last psutil.cpu_freq()
        if self._freq_files:
            self._freq_src = "cpufreq scaling_cur_freq (mean over policies)"
        elif sys.platform == "win32":
            self._freq_src = "psutil.cpu_freq (nominal clock on Windows)"
        elif LINUX:
            self._freq_src = "/proc/cpuinfo cpu MHz (no cpufreq driver; refreshed every 5 s)"
        else:
            self._freq_src = "psutil.cpu_freq"

    def _psutil_freq(self, now: int) -> float | None:
        if self._cached is None or now - self._cached[0] >= CPUINFO_REFRESH_NS:
            try:
                freq = psutil.cpu_freq()
            except (OSError, NotImplementedError, AttributeError):
                freq = None
            self._cached = (now, freq.current * 1e6 if freq is not None and freq.current > 0 else None)
        return self._cached[1]

    def read(self) -> list[Sample]:
        out: list[Sample] = []
        hz = mean_freq_hz(self._freq_files, self._files) if self._freq_files else self._psutil_freq(self._clock())
        t = self._clock()
        if hz is not None:
            out.append(reading(CPU_KEY, "freq", hz, HERTZ, self._freq_src, t_ns=t, kind=CPU))
        else:
            out.append(missing(CPU_KEY, "freq", HERTZ, UNSUPPORTED, "no CPU frequency source",
                               self._freq_src, t_ns=t, kind=CPU))
        total, available, src = self._memory()
        t = self._clock()
        used = total - available  # what Task Manager / free call "in use"
        out.append(reading("memory", "mem_used", used, BYTES, src, t_ns=t, kind=MEMORY))
        out.append(reading("memory", "mem_total", total, BYTES, src, t_ns=t, kind=MEMORY))
        return out

    def _memory(self) -> tuple[int, int, str]:
        if LINUX:
            try:
                parsed = parse_meminfo(self._files(MEMINFO))
            except OSError:
                parsed = None
            if parsed is not None:
                return parsed[0], parsed[1], "/proc/meminfo"
        mem = psutil.virtual_memory()
        return mem.total, mem.available, "psutil.virtual_memory"

    def close(self) -> None:
        self._files.close()


class _ProcessGone(Exception):
    pass


class PsutilProcessProbe(Probe):
    """The inference worker's CPU use (% of one core, like top) and resident memory."""

    name = "psutil-process"
    period_s = 0.1

    def __init__(self, pid: int | None = None, *, clock: Clock = time.perf_counter_ns,
                 proc_root: str | Path = "/proc") -> None:
        self._clock = clock
        self._proc_root = Path(proc_root)
        self._fast = LINUX and self._proc_root.is_dir()
        self._files = CachedReader()
        self._pid: int | None = None
        self._proc: psutil.Process | None = None
        self._start: int | None = None  # /proc start time of the pid we follow
        self._stat: Path | None = None  # /proc/<pid>/stat, made once per pid (a new Path per read costs more)
        self._cpu = CounterDelta()
        self.set_worker_pid(pid)

    def set_worker_pid(self, pid: int | None) -> None:
        if pid == self._pid:
            return
        self._files.close()
        self._pid, self._cpu, self._proc, self._start = pid, CounterDelta(), None, None
        self._stat = None if pid is None else self._proc_root / str(pid) / "stat"
        if pid is not None and not self._fast:
            try:
                self._proc = psutil.Process(pid)
            except psutil.Error:
                self._proc = None  # reported at the next read

    def _sample(self, pid: int) -> tuple[float, int]:
        """(CPU seconds, RSS bytes); raises _ProcessGone or PermissionError."""
        if self._fast:
            try:
                parsed = parse_pid_stat(self._files(self._stat or self._proc_root / str(pid) / "stat"))
            except (FileNotFoundError, ProcessLookupError):
                raise _ProcessGone from None
            if parsed is None or (self._start is not None and parsed[2] != self._start):
                raise _ProcessGone  # unreadable, or the pid now belongs to another process
            self._start = parsed[2]
            return parsed[0], parsed[1]
        try:
            if self._proc is None:
                raise _ProcessGone
            with self._proc.oneshot():
                times, rss = self._proc.cpu_times(), self._proc.memory_info().rss
            return times.user + times.system, rss
        except psutil.NoSuchProcess:
            raise _ProcessGone from None
        except psutil.AccessDenied as e:
            raise PermissionError(str(e)) from None

    def close(self) -> None:
        self._files.close()

    def read(self) -> list[Sample]:
        pid = self._pid
        if pid is None:
            return []
        src = f"/proc/{pid}/stat" if self._fast else f"psutil.Process({pid})"
        try:
            cpu_s, rss = self._sample(pid)
            t = self._clock()
        except (_ProcessGone, PermissionError) as e:
            t = self._clock()
            status, why = ((STALE, f"worker pid {pid} has exited") if isinstance(e, _ProcessGone)
                           else (DENIED, f"access denied to pid {pid}"))
            return [missing(WORKER_KEY, m, u, status, why, src, t_ns=t, kind=CPU)
                    for m, u in (("cpu_util", PERCENT), ("rss", BYTES))]
        out = [reading(WORKER_KEY, "rss", rss, BYTES, src, t_ns=t, kind=CPU)]
        delta = self._cpu.update(cpu_s, t)
        if delta is None:
            out.append(missing(WORKER_KEY, "cpu_util", PERCENT, NOT_READY, "first reading", src, t_ns=t, kind=CPU))
        else:
            out.append(reading(WORKER_KEY, "cpu_util", 100.0 * delta.rate_per_s(), PERCENT, src, t_ns=t, kind=CPU))
        return out
