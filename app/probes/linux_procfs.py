"""Cheap Linux /proc and cpufreq reads for the 10 Hz CPU probes (pure parsers + readers).

psutil builds namedtuples for every CPU and process field; at 10 Hz on a small
VM that alone costs ~0.1 % of a core per probe. These read the same files
(/proc/stat, /proc/<pid>/stat, cpufreq policies) once per tick and parse only
what the probes need. Other platforms use psutil (cpu_psutil.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from app.probes.linux_sysfs import Reader, natural_dirs, parse_int, read_text

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def parse_proc_stat(text: str) -> list[tuple[float, float]]:
    """/proc/stat -> (busy, total) jiffies per cpuN line, in CPU order.

    Fields: user nice system idle iowait irq softirq steal guest guest_nice;
    guest time is already inside user/nice, so it leaves the total.
    """
    out = []
    for line in text.splitlines():
        if not line.startswith("cpu"):
            if out:
                break  # the cpuN lines come together at the top; the rest (intr, softirq...) is long
            continue
        if line.startswith("cpu "):
            continue
        parts = line.split()
        try:
            v = [int(x) for x in parts[1:]]
        except ValueError:
            continue
        if len(v) < 4:
            continue
        total = sum(v) - sum(v[8:10])
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        out.append((float(total - idle), float(total)))
    return out


def parse_pid_stat(text: str) -> tuple[float, int, int] | None:
    """/proc/<pid>/stat -> (user+system CPU seconds, RSS bytes, start time in ticks), or None.

    The command name (field 2) may hold spaces and parentheses, so fields are
    counted after the last ')'. The start time tells a reused pid apart.
    """
    _, sep, rest = text.rpartition(")")
    fields = rest.split()
    if not sep or len(fields) < 22:
        return None
    try:
        utime, stime, start, rss_pages = int(fields[11]), int(fields[12]), int(fields[19]), int(fields[21])
    except ValueError:
        return None
    return (utime + stime) / CLK_TCK, rss_pages * PAGE_SIZE, start


def parse_meminfo(text: str) -> tuple[int, int] | None:
    """/proc/meminfo -> (MemTotal, MemAvailable) in bytes, or None if either is missing."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("MemTotal", "MemAvailable"):
            parts = rest.split()
            if parts and parts[0].isdigit():
                found[key] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
            if len(found) == 2:
                return found["MemTotal"], found["MemAvailable"]
    return None


def cpufreq_files(sys_root: Path) -> list[Path]:
    """scaling_cur_freq of every cpufreq policy (one per CPU on most laptops)."""
    base = sys_root / "devices/system/cpu/cpufreq"
    return [p / "scaling_cur_freq" for p in natural_dirs(base, "policy") if (p / "scaling_cur_freq").exists()]


def mean_freq_hz(files: list[Path], reader: Reader = read_text) -> float | None:
    """Mean of the policies' current clocks (kHz in sysfs) in Hz; None if none readable."""
    values = []
    for f in files:
        try:
            v = parse_int(reader(f))
        except OSError:
            continue
        if v:
            values.append(v * 1e3)
    return sum(values) / len(values) if values else None
