"""LiveRunState: the run in flight (status, phase, what is queued) and this session's finished runs.

Told by the window's run plumbing (app.views.workflow, from RunController's
signals); read by the views (actions, phase label, results, the session's
comparison table). Records stay plain dicts here.
"""

from __future__ import annotations

from enum import Enum

from app.state.events import Event


class RunStatus(str, Enum):
    IDLE = "idle"  # nothing running
    RUNNING = "running"
    STOPPING = "stopping"  # Stop was asked; the worker finishes its batch or is killed


class LiveRunState:
    def __init__(self) -> None:
        self.status = RunStatus.IDLE
        self.phase = ""  # the worker's current phase ("compile", "measure", ...), "" when idle
        self.spec = None  # the RunSpec in flight
        self.queued = 0  # runs waiting after this one (Run on All Targets)
        self.records: list[dict] = []  # this session's finished runs, oldest first
        self.last_record: dict | None = None
        self.last_record_path: str | None = None  # where the history kept last_record
        self.changed: Event[[]] = Event("run.changed")  # status, phase or last record changed
        self.batch_started: Event[[]] = Event("run.batch_started")  # a Run / Run on All Targets began
        self.started: Event[[object]] = Event("run.started")  # RunSpec
        self.phase_changed: Event[[str]] = Event("run.phase_changed")
        self.finished: Event[[dict]] = Event("run.finished")  # one run's record (any status)
        self.batch_finished: Event[[list]] = Event("run.batch_finished")  # every record of one Run / Run all
        self.saved: Event[[str]] = Event("run.saved")  # path of a run kept in the history

    @property
    def busy(self) -> bool:
        return self.status is not RunStatus.IDLE

    def start(self, spec, queued: int = 0) -> None:
        first = self.status is RunStatus.IDLE  # the first run of a batch (the others start while busy)
        self.status, self.spec, self.queued, self.phase = RunStatus.RUNNING, spec, queued, "start"
        if first:
            self.batch_started.emit()
        self.started.emit(spec)
        self.phase_changed.emit(self.phase)
        self.changed.emit()

    def set_phase(self, phase: str) -> None:
        if phase != self.phase and self.status is not RunStatus.IDLE:
            self.phase = phase
            self.phase_changed.emit(phase)
            self.changed.emit()

    def stop(self) -> None:
        """Stop was asked (the run ends later, with finish)."""
        if self.status is RunStatus.RUNNING:
            self.status = RunStatus.STOPPING
            self.changed.emit()

    def finish(self, record: dict) -> None:
        """One run ended (the next queued one may start right after)."""
        self.records.append(record)
        self.last_record, self.last_record_path = record, None
        self.finished.emit(record)
        self.changed.emit()

    def end_batch(self, records: list) -> None:
        """The last run of a Run / Run on All Targets ended (records may be empty: none could start)."""
        self.status, self.phase, self.spec, self.queued = RunStatus.IDLE, "", None, 0
        self.batch_finished.emit(records)
        self.changed.emit()

    def set_saved(self, path: str, *, is_last: bool = True) -> None:
        """The history kept a run at `path`; is_last: that run is last_record (not an earlier one of the batch)."""
        if is_last:
            self.last_record_path = path
        self.saved.emit(path)
