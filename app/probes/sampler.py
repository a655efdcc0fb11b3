"""The sampler: one daemon thread that reads every probe on its own period.

Deadlines are absolute on the perf_counter clock (`next += period`), so the
schedule never drifts; a probe that falls behind skips the missed slots
instead of bursting. Each series is a set of preallocated rings at a few
resolutions (app.probes.series); `drain()` hands the live GUI/CLI everything
new since its last call, up to PENDING_MAX_AGE_S old: `aipcprof run` never
drains, and a queue nobody empties must not grow for the whole run. So after
its first minute a sampler's memory stays flat whatever the probes' rates. The thread measures
its own CPU time and, above `cpu_budget` of one core over 5 s, halves the fast
probes' rates (down to 1 Hz) and logs it.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass

import numpy as np

from app.probes.model import ERROR, PERCENT, Probe, Sample, missing, reading
from app.probes.recording import CONTEXT_NS, energy_section, telemetry_section
from app.probes.series import RingSeries, Series

log = logging.getLogger(__name__)

MAX_FAILURES = 5  # consecutive exceptions before a probe is switched off
BUDGET_WINDOW_NS = 5_000_000_000
SELF_REPORT_NS = 1_000_000_000
MAX_SLEEP_S = 0.1  # stop() waits at most this long for the thread
JITTER_POINTS = 4096  # tick lateness kept for the overhead percentiles (a fixed ring)
PENDING_MAX_AGE_S = 30.0  # samples not drained within this long are dropped from the drain queue
PENDING_MAX_AGE_NS = int(PENDING_MAX_AGE_S * 1e9)


@dataclass
class _Slot:
    probe: Probe
    period_ns: int  # 0: static, read once
    next_ns: int = 0
    failures: int = 0
    enabled: bool = True
    keys: tuple[str, ...] = ()  # series this probe produced, for error reports


class Sampler:
    def __init__(self, probes: list[Probe] | None = None, *, max_points_per_series: int = 4096,
                 cpu_budget: float | None = 0.01, max_pending: int = 50_000) -> None:
        if probes is None:
            from app.probes.registry import default_probes

            probes = default_probes()
        if max_points_per_series < 2:
            raise ValueError("max_points_per_series must be at least 2")
        self._slots = [_Slot(p, int(p.period_s * 1e9)) for p in probes]
        self._capacity = max_points_per_series
        self._cpu_budget = cpu_budget
        self._lock = threading.Lock()
        self._series: dict[str, RingSeries] = {}
        self._pending: deque[Sample] = deque(maxlen=max_pending)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._pid_dirty = False
        self._jitter_ns = array("q", bytes(8 * JITTER_POINTS))  # a ring: _stats["ticks"] says how full
        self._stats = {"ticks": 0, "late_ticks": 0, "skipped_slots": 0, "backoffs": 0,
                       "cpu_ns": 0, "wall_ns": 0}

    # -- public API ---------------------------------------------------------------
    def set_worker_pid(self, pid: int | None) -> None:
        with self._lock:
            self._pid, self._pid_dirty = pid, True
        if self._thread is None or not self._thread.is_alive():
            self._apply_pid()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="aipcprof-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join()
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def drain(self) -> list[Sample]:
        """Every sample since the last call (at most PENDING_MAX_AGE_S old)."""
        with self._lock:
            out = list(self._pending)
            self._pending.clear()
        return out

    def series(self, since_ns: int | None = None) -> dict[str, Series]:
        """Each metric's newest points at full rate; with `since_ns`, reaching back to it at coarser
        resolution where the full-rate ring no longer holds it (see app.probes.series)."""
        with self._lock:
            return {k: r.snapshot(k, since_ns) for k, r in self._series.items()}

    def nbytes(self) -> int:
        """Bytes held by the series rings (fixed once each series exists)."""
        with self._lock:
            return sum(r.nbytes() for r in self._series.values())

    def metric_status(self) -> dict[str, tuple[str, str]]:
        with self._lock:
            return {k: (r.status, r.reason) for k, r in self._series.items()}

    def overhead(self) -> dict:
        """The thread's own cost: CPU share of one core, tick lateness (jitter)."""
        with self._lock:
            stats = dict(self._stats)
            jitter = np.frombuffer(self._jitter_ns, np.int64)[:min(stats["ticks"], JITTER_POINTS)].astype(np.float64)
        wall = stats.pop("wall_ns")
        cpu = stats.pop("cpu_ns")
        out = {**stats, "cpu_s": cpu * 1e-9, "wall_s": wall * 1e-9,
               "cpu_share_of_core": cpu / wall if wall > 0 else float("nan")}
        if jitter.size:
            p50, p99 = np.percentile(jitter, [50, 99])
            out["jitter_ms"] = {"p50": float(p50) * 1e-6, "p99": float(p99) * 1e-6, "max": float(jitter.max()) * 1e-6}
        out["periods_s"] = {s.probe.name: s.period_ns * 1e-9 for s in self._slots}
        return out

    def record_section(self, t0_ns: int, t1_ns: int, inferences: int, device_type: str, *,
                       device_key: str | None = None, max_points: int = 2000) -> tuple[dict, dict]:
        """(telemetry, energy) sections of the run record for the measured loop [t0, t1]."""
        series = self.series(since_ns=t0_ns - CONTEXT_NS)
        overhead = {k: v for k, v in self.overhead().items() if k != "periods_s"}
        telemetry = telemetry_section(series, t0_ns, t1_ns, max_points=max_points, sampler=overhead)
        return telemetry, energy_section(series, t0_ns, t1_ns, inferences, device_type, device_key)

    # -- the thread ---------------------------------------------------------------
    def _apply_pid(self) -> None:
        with self._lock:
            pid, self._pid_dirty = self._pid, False
        for slot in self._slots:
            try:
                slot.probe.set_worker_pid(pid)
            except Exception:  # noqa: BLE001 - one bad probe must not stop the others
                log.exception("probe %s: set_worker_pid failed", slot.probe.name)

    def _run(self) -> None:
        cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
        budget_cpu, budget_wall = cpu0, wall0
        report_cpu, report_wall = cpu0, wall0
        self._apply_pid()
        for slot in self._slots:
            self._store_batch([self._guarded(slot, slot.probe.open, store=False)])
            if slot.enabled and self._absent(slot):  # its 'unsupported' readings once, then never re-read
                self._store_batch([self._guarded(slot, slot.probe.read)])
                slot.enabled = False
        now = time.perf_counter_ns()
        for slot in self._slots:
            slot.next_ns = now
        due_at = self._next_due()
        try:
            while not self._stop.is_set():
                if due_at is None:
                    self._stop.wait()
                    break
                if self._sleep_until(due_at):
                    break
                now = time.perf_counter_ns()
                due_at = self._tick(now, due_at)
                wall = time.perf_counter_ns()
                if wall - report_wall < SELF_REPORT_NS:
                    continue
                # Self-accounting once a second: the thread CPU clock is a real syscall on some VMs.
                cpu = self._account(cpu0, wall0)
                share = 100.0 * (cpu - report_cpu) / (wall - report_wall)
                self._store([reading("sampler", "cpu_util", share, PERCENT, "thread_time_ns", t_ns=wall)])
                report_cpu, report_wall = cpu, wall
                if wall - budget_wall >= BUDGET_WINDOW_NS:
                    self._check_budget((cpu - budget_cpu) / (wall - budget_wall))
                    budget_cpu, budget_wall = cpu, wall
        finally:
            for slot in self._slots:
                self._store_batch([self._guarded(slot, slot.probe.close, store=False)])
            self._account(cpu0, wall0)

    @staticmethod
    def _absent(slot: _Slot) -> bool:
        try:
            return slot.probe.absent()
        except Exception:  # noqa: BLE001 - unsure: keep reading it
            log.exception("probe %s: absent() failed", slot.probe.name)
            return False

    def _account(self, cpu0: int, wall0: int) -> int:
        cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
        with self._lock:
            self._stats["cpu_ns"], self._stats["wall_ns"] = cpu - cpu0, wall - wall0
        return cpu

    def _sleep_until(self, deadline_ns: int) -> bool:
        """Sleep to an absolute deadline; True if stop() was asked meanwhile.

        time.sleep costs about half an Event.wait per wake-up (measured on Linux), so
        the stop flag is polled at least every MAX_SLEEP_S instead of waking us.
        """
        while not self._stop.is_set():
            remaining = (deadline_ns - time.perf_counter_ns()) * 1e-9
            if remaining <= 0:
                return False
            time.sleep(min(remaining, MAX_SLEEP_S))
        return True

    def _next_due(self) -> int | None:
        return min((s.next_ns for s in self._slots if s.enabled), default=None)

    def _tick(self, now: int, due_at: int) -> int | None:
        """Read every probe that is due; returns when the next one is (None: none left)."""
        if self._pid_dirty:  # read without the lock: a change seen one tick late is harmless
            self._apply_pid()
        batch: list[tuple[_Slot | None, list[Sample]]] = []  # the tick's samples, stored under one lock
        late = skipped = 0
        next_due = None
        for slot in self._slots:
            if not slot.enabled:
                continue
            if slot.next_ns <= now:
                batch.append(self._guarded(slot, slot.probe.read))
                if slot.period_ns <= 0:
                    slot.enabled = False  # static: once is enough
                    continue
                slot.next_ns += slot.period_ns
                if slot.next_ns <= now:  # fell behind: skip missed slots, keep the phase
                    missed = (now - slot.next_ns) // slot.period_ns + 1
                    slot.next_ns += missed * slot.period_ns
                    late, skipped = late + 1, skipped + missed
            if next_due is None or slot.next_ns < next_due:
                next_due = slot.next_ns
        self._store_batch(batch, late, skipped, lateness=now - due_at)
        return next_due

    def _guarded(self, slot: _Slot, fn, *, store: bool = True) -> tuple[_Slot | None, list[Sample]]:
        """Call one probe method: (the slot, its samples to store), or (None, an error sample for each series
        the probe feeds) when it raised. A series it creates is added to the slot's keys when stored."""
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - a probe failure becomes a status, not a crash
            slot.failures += 1
            why = f"probe {slot.probe.name} failed: {e.__class__.__name__}: {e}"
            if slot.failures >= MAX_FAILURES:
                slot.enabled = False
                why += f" (switched off after {MAX_FAILURES} failures)"
                log.warning(why)
            return None, self._error_samples(slot.keys or (f"{slot.probe.name}/probe",), why, slot.probe.name)
        slot.failures = 0
        return slot, (result or []) if store else []

    def _error_samples(self, keys: tuple[str, ...], why: str, source: str) -> list[Sample]:
        """NaN/error for each series a failed probe feeds, keeping each series' unit and kind."""
        out = []
        with self._lock:
            for key in keys:
                device, _, metric = key.rpartition("/")
                ring = self._series.get(key)
                unit, kind = (ring.unit, ring.kind) if ring else ("", "")
                out.append(missing(device, metric, unit, ERROR, why, source, kind=kind))
        return out

    def _store(self, samples: list[Sample]) -> None:
        self._store_batch([(None, samples)])

    def _store_batch(self, batch: list[tuple[_Slot | None, list[Sample]]], late_ticks: int = 0,
                     skipped_slots: int = 0, lateness: int | None = None) -> None:
        """Append each sample to its series (a new series is made, and named in the slot's keys, for error
        reports); queue them for drain(); count the tick (`lateness`: ns after its deadline); one lock."""
        with self._lock:
            stats = self._stats
            if lateness is not None:
                self._jitter_ns[stats["ticks"] % JITTER_POINTS] = lateness
                stats["ticks"] += 1
            series, pending = self._series, self._pending
            for slot, samples in batch:
                for s in samples:
                    key = s.key
                    ring = series.get(key)
                    if ring is None:
                        ring = series[key] = RingSeries(s, self._capacity)
                    if slot is not None and key not in slot.keys:  # a tuple of a few keys: cheap
                        slot.keys += (key,)
                    ring.append(s)
                pending.extend(samples)
            if late_ticks:
                stats["late_ticks"] += late_ticks
                stats["skipped_slots"] += skipped_slots
            oldest = time.perf_counter_ns() - PENDING_MAX_AGE_NS
            while pending and pending[0].t_ns < oldest:
                pending.popleft()

    def _check_budget(self, share: float) -> None:
        if self._cpu_budget is None or share <= self._cpu_budget:
            return
        slowed = [s for s in self._slots if 0 < s.period_ns < 1_000_000_000]
        if not slowed:
            return
        for s in slowed:
            s.period_ns = min(2 * s.period_ns, 1_000_000_000)
        with self._lock:
            self._stats["backoffs"] += 1
        log.warning("telemetry sampler used %.1f%% of a core (budget %.1f%%): halved the rate of %s",
                    100 * share, 100 * self._cpu_budget, ", ".join(s.probe.name for s in slowed))
