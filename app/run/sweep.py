"""Running a sweep: the plan's points one after another, each a whole run in the worker (ProfileRun).

`SweepRun` never blocks unless asked, like ProfileRun: the desktop app calls `poll()`
from a timer, the CLI calls `wait()`. Each point gets its own worker and session, so a
static-shape EP (QNN, VitisAI, the NPU compilers) compiles a session per shape through
the same free-dimension override `--dim` uses. A point that fails (a runtime error, a
shape the model cannot take, a crashed worker) is kept with its error and the sweep
goes on; `cancel()` stops the point in flight (kept as cancelled, partial) and leaves
the rest as not run. Events, one frozen dataclass per kind:

    PointStarted(point, spec)        a point's worker was started
    PointProgress(point, event)      a RunEvent of the point in flight (phases, latencies)
    PointEnded(point)                the point is settled: completed, failed or cancelled (point.run set)
    SweepEnded(record)               the sweep record; always the last event
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app import __version__
from app.common.errors import ErrorKind, UserError
from app.record.schema import ModelInfo, RunError, RunRecord, RunSettings, RunStatus, ToolInfo
from app.record.sweep import AxisKind, PointStatus, SweepPoint, SweepRecord
from app.run.runner import ProfileRun, RunEnded, RunEvent
from app.run.runspec import RunSpec
from app.run.sweep_plan import SweepPlan

_POINT_STATUS = {RunStatus.COMPLETED: PointStatus.COMPLETED, RunStatus.FAILED: PointStatus.FAILED,
                 RunStatus.CANCELLED: PointStatus.CANCELLED, RunStatus.RUNNING: PointStatus.FAILED}


@dataclass(frozen=True)
class SweepEvent:
    """Base of the events `SweepRun.poll()` returns."""


@dataclass(frozen=True)
class PointStarted(SweepEvent):
    point: SweepPoint
    spec: RunSpec


@dataclass(frozen=True)
class PointProgress(SweepEvent):
    point: SweepPoint
    event: RunEvent


@dataclass(frozen=True)
class PointEnded(SweepEvent):
    point: SweepPoint


@dataclass(frozen=True)
class SweepEnded(SweepEvent):
    record: SweepRecord


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_record(plan: SweepPlan) -> SweepRecord:
    """The sweep record before any point ran: the grid, every point not run yet."""
    # A copy: the first point's spec must keep its own dims.
    settings = RunSettings.from_json(plan.specs[0].settings_only().to_json()) if plan.specs else None
    record = SweepRecord(tool=ToolInfo("aipcprof", __version__), created_utc=_now(),
                         model=ModelInfo(path=plan.model_path, name=Path(plan.model_path).name),
                         targets=list(plan.targets), axes=list(plan.axes), points=list(plan.points))
    if settings is not None:  # the first point's settings, less what the axes vary
        settings.target_id = ""
        for axis in plan.axes:  # what the axes vary is in each point's run, not here
            if axis.kind is AxisKind.DIM:
                settings.dims.pop(axis.name, None)
            elif axis.kind is AxisKind.REQUESTS:
                settings.requests = None
            else:
                settings.threads = None
        record.settings = settings
    return record


class SweepRun:
    def __init__(self, plan: SweepPlan, *, sampler=None, targets: Mapping[str, object] | None = None) -> None:
        """targets: the discovered Target of each target id (ProfileRun's `target`), when the caller has them."""
        self.plan = plan
        self.sampler = sampler
        self.targets = dict(targets or {})
        self.record = new_record(plan)
        self.run: ProfileRun | None = None  # the point in flight
        self.current: SweepPoint | None = None
        self._next = 0
        self._cancelled = False
        self._ended = False

    @property
    def finished(self) -> bool:
        return self._ended

    @property
    def done_count(self) -> int:
        """Points settled so far (completed, failed or cancelled)."""
        return sum(p.status is not PointStatus.NOT_RUN for p in self.record.points)

    def cancel(self) -> None:
        """Stop: the point in flight stops as a cancelled run (kept), the points after it are not run."""
        self._cancelled = True
        if self.run is not None:
            self.run.cancel()

    def close(self) -> None:
        """No worker outlives the sweep's owner (window closed mid-sweep)."""
        self._cancelled = True
        if self.run is not None:
            run = self.run
            run.close()
            self._settle(run.record)
        if not self._ended:
            self._start_next()  # cancelled: marks the sweep as stopped

    def poll(self, timeout: float = 0.0) -> list[SweepEvent]:
        if self._ended:
            return []
        if self.run is None:
            return self._start_next()
        out: list[SweepEvent] = []
        for ev in self.run.poll(timeout):
            out.append(PointProgress(self.current, ev))  # type: ignore[arg-type]
            if isinstance(ev, RunEnded):
                out.append(PointEnded(self._settle(ev.record)))
                out += self._start_next()
        return out

    def wait(self, on_event=None, tick: float = 0.1) -> SweepRecord:
        """Block until every point has run (CLI). `on_event` sees every event."""
        while not self._ended:
            for ev in self.poll(tick):
                if on_event:
                    on_event(ev)
        return self.record

    # -- points ------------------------------------------------------------
    def _start_next(self) -> list[SweepEvent]:
        out: list[SweepEvent] = []
        while not self._cancelled and self._next < len(self.plan.points):
            point, spec = self.plan.points[self._next], self.plan.specs[self._next]
            self._next += 1
            try:
                run = ProfileRun(spec, sampler=self.sampler, target=self.targets.get(point.target_id))
                run.start()
            except (UserError, OSError) as e:  # an --input file refused, or no worker could be spawned
                point.status = PointStatus.FAILED
                point.error = RunError(getattr(e, "message", None) or str(e), ErrorKind.of(e),
                                       getattr(e, "hint", ""))
                out.append(PointEnded(point))
                continue
            self.run, self.current = run, point
            out.append(PointStarted(point, spec))
            return out
        self._ended = True
        self.record.status = RunStatus.CANCELLED if self._cancelled else RunStatus.COMPLETED
        self.record.finished_utc = _now()
        out.append(SweepEnded(self.record))
        return out

    def _settle(self, record: RunRecord | None) -> SweepPoint:
        point = self.current
        assert point is not None
        self.run, self.current = None, None
        point.run = record
        if record is None:
            point.status = PointStatus.FAILED
            point.error = RunError("the run ended without a record.", ErrorKind.INTERNAL)
            return point
        point.status = _POINT_STATUS[record.status]
        point.error = record.error
        if record.model.sha256 and not self.record.model.sha256:
            self.record.model = ModelInfo.from_json(record.model.to_json())
        return point
