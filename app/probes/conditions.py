"""Measurement conditions: who else used the CPU, steal time, clocks, throttle counters.

Not a sampled probe: the inference worker takes one `ConditionsMeter.snapshot()`
at each end of the measured loop (and a few while `--quiet-check` waits), and
`load_between(a, b)` turns two snapshots into shares of the window. Cumulative
counters read twice are exact over the window and cost nothing in between, so
the sampler thread is not touched.

Every reading is a cumulative counter: system CPU time (Linux `/proc/stat`,
elsewhere `psutil.cpu_times()`), the CPU time of the worker's process tree and
of the profiler's own process, cpufreq clocks and caps, and Intel's
`thermal_throttle` event counters. A value that cannot be read is None with a
reason; roots are injectable so tests feed recorded trees (tests/data/conditions/).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.probes.linux_procfs import CLK_TCK
from app.probes.linux_sysfs import natural_dirs, parse_int, read_text

LINUX = sys.platform.startswith("linux")
# Fewer CPU ticks than this in a window and a share is too coarse to state (/proc/stat counts 10 ms ticks:
# 50 ticks give 2 % steps; a 2-core machine reaches it after 0.25 s).
MIN_TICKS = 50
NO_STEAL = "steal time is a /proc/stat column; this OS does not report it"
NO_THROTTLE = ("no thermal_throttle counters (Intel CPUs on bare metal only; AMD CPUs and VMs do not "
               "expose them)")


@dataclass(frozen=True)
class CpuTimes:
    """System-wide cumulative CPU time, seconds summed over all logical CPUs."""

    busy: float  # user + nice + system + irq + softirq (what processes and the kernel used)
    idle: float  # idle + iowait
    steal: float | None  # taken by the hypervisor for other guests; None where the OS has no such counter
    total: float  # all of the above (guest time is inside user/nice already)


@dataclass(frozen=True)
class ClockPolicy:
    """One cpufreq policy, kHz as sysfs gives them (None: that file is missing)."""

    name: str
    cur_khz: int | None
    max_khz: int | None  # cpuinfo_max_freq: the hardware's highest clock (with boost)
    cap_khz: int | None  # scaling_max_freq: the highest the kernel allows now


@dataclass(frozen=True)
class Snapshot:
    t_ns: int
    cpu: CpuTimes | None
    cpu_reason: str = ""
    tree_s: float | None = None  # the worker process and its children
    tree_reason: str = ""
    profiler_s: float | None = None  # the profiler's own process (CLI or GUI, with the sampler thread)
    profiler_reason: str = ""
    clocks: tuple[ClockPolicy, ...] = ()
    clocks_reason: str = ""
    throttle: dict[str, int] | None = None  # counter file -> events so far
    throttle_reason: str = ""
    on_battery: bool | None = None
    source: str = ""


@dataclass(frozen=True)
class Share:
    """A share of all logical CPUs' time (0-1), or None and why."""

    value: float | None
    reason: str = ""


@dataclass
class WindowLoad:
    """What two snapshots say about the time between them."""

    seconds: float
    other: Share  # CPU time of every process outside the worker tree and the profiler
    worker: Share
    profiler: Share
    steal: Share
    throttle_events: int | None = None
    throttle_reason: str = ""
    clock_start: float | None = None  # mean scaling_cur_freq / cpuinfo_max_freq over the policies
    clock_end: float | None = None
    clock_cap: float | None = None  # the lowest scaling_max_freq / cpuinfo_max_freq seen at either end
    clock_reason: str = ""
    on_battery_end: bool | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)


# -- pure parsers (recorded fixtures in tests) -------------------------------------------------------------

def parse_cpu_totals(text: str, ticks_per_s: float = CLK_TCK) -> CpuTimes | None:
    """The aggregate `cpu ` line of /proc/stat as seconds; None when it is missing or malformed.

    Fields: user nice system idle iowait irq softirq steal guest guest_nice (older kernels stop early).
    """
    for line in text.splitlines():
        if not line.startswith("cpu "):
            continue
        try:
            v = [int(x) for x in line.split()[1:]]
        except ValueError:
            return None
        if len(v) < 4:
            return None
        v += [0] * (10 - len(v))
        idle = v[3] + v[4]
        steal = v[7]
        total = sum(v[:8])  # guest and guest_nice are already counted in user and nice
        return CpuTimes(busy=(total - idle - steal) / ticks_per_s, idle=idle / ticks_per_s,
                        steal=steal / ticks_per_s if len(line.split()) > 8 else None, total=total / ticks_per_s)
    return None


def psutil_cpu_times(fields: dict[str, float]) -> CpuTimes:
    """psutil.cpu_times() as CpuTimes. Windows' interrupt and DPC time are inside its system (kernel) time
    and Linux's guest time inside user/nice, so they are not added again; a steal column is kept apart."""
    f = {k: v for k, v in fields.items() if k not in ("interrupt", "dpc", "guest", "guest_nice")}
    steal = f.pop("steal", None)
    idle = f.get("idle", 0.0) + f.get("iowait", 0.0)
    total = sum(f.values())
    return CpuTimes(busy=total - idle, idle=idle, steal=steal, total=total + (steal or 0.0))


def parse_pid_times(text: str, ticks_per_s: float = CLK_TCK) -> tuple[float, float] | None:
    """/proc/<pid>/stat -> (own user+system s, waited-for children's user+system s), or None.

    Fields are counted after the last ')' because the command name may hold spaces and parentheses.
    """
    _, sep, rest = text.rpartition(")")
    f = rest.split()
    if not sep or len(f) < 15:
        return None
    try:
        utime, stime, cutime, cstime = (int(x) for x in f[11:15])
    except ValueError:
        return None
    return (utime + stime) / ticks_per_s, (cutime + cstime) / ticks_per_s


def read_clocks(sys_root: Path, reader=read_text) -> tuple[tuple[ClockPolicy, ...], str]:
    """Every cpufreq policy's current clock, hardware maximum and current cap; () and why when none."""
    base = sys_root / "devices/system/cpu/cpufreq"
    out = []
    for p in natural_dirs(base, "policy"):
        values = []
        for name in ("scaling_cur_freq", "cpuinfo_max_freq", "scaling_max_freq"):
            try:
                values.append(parse_int(reader(p / name)))
            except OSError:
                values.append(None)
        out.append(ClockPolicy(p.name, *values))
    if not out:
        return (), f"no cpufreq policies under {base} (VM, container or no cpufreq driver)"
    return tuple(out), ""


def throttle_files(sys_root: Path) -> list[Path]:
    """Every cpuN/thermal_throttle/{core,package}_throttle_count (Intel's therm_throt driver)."""
    out = []
    for cpu in natural_dirs(sys_root / "devices/system/cpu", "cpu"):
        if cpu.name[3:].isdigit():
            out += [cpu / "thermal_throttle" / n for n in ("core_throttle_count", "package_throttle_count")
                    if (cpu / "thermal_throttle" / n).exists()]
    return out


def read_throttle_counts(sys_root: Path, reader=read_text, files: list[Path] | None = None
                         ) -> tuple[dict[str, int] | None, str]:
    """'cpuN/<counter>' -> events so far, from `files` (default: throttle_files(sys_root)); None and why."""
    found: dict[str, int] = {}
    for f in throttle_files(sys_root) if files is None else files:
        try:
            value = parse_int(reader(f))
        except OSError:
            continue
        if value is not None:
            found[f"{f.parent.parent.name}/{f.name}"] = value
    return (found, "") if found else (None, NO_THROTTLE)


# -- the meter -----------------------------------------------------------------------------------------------

class ConditionsMeter:
    """Reads the cumulative counters; `pid` is the worker (default: this process), `profiler_pid` its parent."""

    def __init__(self, pid: int | None = None, profiler_pid: int | None = None, *,
                 proc_root: str | Path = "/proc", sys_root: str | Path = "/sys", linux: bool = LINUX,
                 battery=None, children=None, clock=time.perf_counter_ns) -> None:
        self.pid = os.getpid() if pid is None else pid
        self.profiler_pid = profiler_pid
        self._proc, self._sys = Path(proc_root), Path(sys_root)
        self._linux = linux and (self._proc / "stat").exists()
        self._battery = battery  # psutil.sensors_battery stand-in
        self._children = children or _descendants  # pid -> live descendant pids
        self._clock = clock
        # Found once, at the first snapshot: walking every process for the worker's children costs
        # milliseconds (psutil reads each /proc/<pid>/stat), the counters themselves microseconds.
        self._known_children: list[int] | None = None
        self._throttle: list[Path] | None = None

    def snapshot(self) -> Snapshot:
        cpu, cpu_reason = self._cpu()
        tree, tree_reason = self._tree()
        profiler, profiler_reason = self._profiler()
        clocks, clocks_reason = read_clocks(self._sys) if self._linux else ((), _no_clock_reason())
        if self._linux and self._throttle is None:
            self._throttle = throttle_files(self._sys)
        throttle, throttle_reason = (read_throttle_counts(self._sys, files=self._throttle) if self._linux
                                     else (None, _no_throttle_reason()))
        return Snapshot(self._clock(), cpu, cpu_reason, tree, tree_reason, profiler, profiler_reason,
                        clocks, clocks_reason, throttle, throttle_reason, self._on_battery(),
                        "/proc/stat, /proc/<pid>/stat" if self._linux else "psutil.cpu_times")

    def _cpu(self) -> tuple[CpuTimes | None, str]:
        if self._linux:
            try:
                parsed = parse_cpu_totals(read_text(self._proc / "stat"))
            except OSError as e:
                return None, f"/proc/stat unreadable: {e.strerror}"
            return (parsed, "") if parsed else (None, "/proc/stat has no aggregate cpu line")
        try:
            import psutil

            t = psutil.cpu_times()
        except Exception as e:  # noqa: BLE001 - psutil raises platform-specific errors
            return None, f"psutil.cpu_times failed: {e.__class__.__name__}: {e}"
        return psutil_cpu_times(t._asdict()), ""

    def _pid_seconds(self, pid: int, *, children: bool) -> float:
        """CPU seconds of `pid` (plus its waited-for children when asked); raises OSError/LookupError."""
        if self._linux:
            parsed = parse_pid_times(read_text(self._proc / str(pid) / "stat"))
            if parsed is None:
                raise LookupError(f"/proc/{pid}/stat is malformed")
            return parsed[0] + (parsed[1] if children else 0.0)
        import psutil

        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error as e:
            raise LookupError(f"psutil.Process({pid}): {e.__class__.__name__}") from None
        own = t.user + t.system
        return own + (t.children_user + t.children_system if children else 0.0)

    def _tree(self) -> tuple[float | None, str]:
        """The worker and its descendants found at the first snapshot (exited ones are in their parent's
        children times; one started later is counted as another process until it exits)."""
        try:
            total = self._pid_seconds(self.pid, children=True)
        except (OSError, LookupError) as e:
            return None, f"worker pid {self.pid} unreadable: {e}"
        if self._known_children is None:
            self._known_children = self._children(self.pid)
        for child in self._known_children:
            try:
                total += self._pid_seconds(child, children=True)
            except (OSError, LookupError):
                continue  # exited between the listing and the read: its time went to its parent
        return total, ""

    def _profiler(self) -> tuple[float | None, str]:
        if self.profiler_pid is None:
            return None, "no profiler process (the worker runs on its own)"
        try:
            return self._pid_seconds(self.profiler_pid, children=False), ""
        except (OSError, LookupError) as e:
            return None, f"profiler pid {self.profiler_pid} unreadable: {e}"

    def _on_battery(self) -> bool | None:
        try:
            import psutil

            bat = (self._battery or psutil.sensors_battery)()
        except Exception:  # noqa: BLE001 - psutil raises platform-specific errors here
            return None
        if bat is None or bat.power_plugged is None:
            return None
        return not bat.power_plugged


def _descendants(pid: int) -> list[int]:
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - gone, or denied: the worker's own counters still count
        return []


def _no_clock_reason() -> str:
    if sys.platform == "win32":
        return "Windows reports only the nominal clock (psutil.cpu_freq); no current clock or cap is read"
    return f"no cpufreq source on {sys.platform}"


def _no_throttle_reason() -> str:
    if sys.platform == "win32":
        return "no throttle counter is read on Windows (thermal zones give temperatures only)"
    return NO_THROTTLE


# -- two snapshots -> the window ---------------------------------------------------------------------------

def _share(part: float | None, total: float, why_missing: str) -> Share:
    if part is None:
        return Share(None, why_missing)
    return Share(min(1.0, max(0.0, part / total)))


def load_between(a: Snapshot, b: Snapshot) -> WindowLoad:
    """Shares of all CPUs' time between two snapshots, throttle events, clocks at both ends."""
    seconds = (b.t_ns - a.t_ns) / 1e9
    load = WindowLoad(seconds, *_cpu_shares(a, b), source=b.source, on_battery_end=b.on_battery)
    if a.throttle is not None and b.throttle is not None:
        rises = {k: b.throttle[k] - a.throttle[k] for k in a.throttle.keys() & b.throttle.keys()}
        # A package counter repeats under every CPU of the package: count each package's events once.
        core = sum(v for k, v in rises.items() if k.endswith("core_throttle_count") and v > 0)
        package = max((v for k, v in rises.items() if k.endswith("package_throttle_count")), default=0)
        load.throttle_events = core + max(0, package)
    else:
        load.throttle_reason = b.throttle_reason or a.throttle_reason
    load.clock_start, load.clock_end, load.clock_cap, load.clock_reason = _clocks(a, b)
    return load


def _cpu_shares(a: Snapshot, b: Snapshot) -> tuple[Share, Share, Share, Share]:
    if a.cpu is None or b.cpu is None:
        why = b.cpu_reason or a.cpu_reason
        return Share(None, why), Share(None, why), Share(None, why), Share(None, why)
    total = b.cpu.total - a.cpu.total
    if total * CLK_TCK < MIN_TICKS:
        why = (f"the window ({(b.t_ns - a.t_ns) / 1e9:.2f} s) holds {total * CLK_TCK:.0f} CPU ticks; "
               f"{MIN_TICKS} are needed for a share (measure longer)")
        return Share(None, why), Share(None, why), Share(None, why), Share(None, why)
    busy = b.cpu.busy - a.cpu.busy
    tree = None if a.tree_s is None or b.tree_s is None else b.tree_s - a.tree_s
    prof = None if a.profiler_s is None or b.profiler_s is None else b.profiler_s - a.profiler_s
    steal = None if a.cpu.steal is None or b.cpu.steal is None else b.cpu.steal - a.cpu.steal
    if tree is None:
        other = Share(None, f"the worker's CPU time is unknown ({b.tree_reason or a.tree_reason})")
    else:
        other = _share(busy - tree - (prof or 0.0), total, "")
    return (other, _share(tree, total, b.tree_reason or a.tree_reason),
            _share(prof, total, b.profiler_reason or a.profiler_reason), _share(steal, total, NO_STEAL))


def _mean_ratio(policies: tuple[ClockPolicy, ...], attr: str) -> float | None:
    ratios = [getattr(p, attr) / p.max_khz for p in policies if getattr(p, attr) and p.max_khz]
    return sum(ratios) / len(ratios) if ratios else None


def _clocks(a: Snapshot, b: Snapshot) -> tuple[float | None, float | None, float | None, str]:
    if not a.clocks and not b.clocks:
        return None, None, None, b.clocks_reason or a.clocks_reason
    caps = [p.cap_khz / p.max_khz for s in (a, b) for p in s.clocks if p.cap_khz and p.max_khz]
    start, end = _mean_ratio(a.clocks, "cur_khz"), _mean_ratio(b.clocks, "cur_khz")
    why = "" if start is not None or caps else "cpufreq policies have no readable scaling_cur_freq/cpuinfo_max_freq"
    return start, end, (min(caps) if caps else None), why
