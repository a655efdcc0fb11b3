"""The sweep record: one file holding a grid of runs (`aipcprof sweep`, the desktop app's Sweep tab).

A sweep runs one model over a grid: every target given, times every value of every
axis (a symbolic dim such as `batch`, requests in flight, intra-op threads). Each
grid point is a whole run in the worker, kept here as its `RunRecord`; a point that
failed keeps its error, and a point the sweep never reached (cancelled) is listed as
not run, so the grid is always whole. The figures shown (p50, p99, throughput,
energy) are read from the points' run records by app.report.sweep: one place per fact.

Saved atomically with app.record.io's writer; read back through the same checks as a
run record (regular file, size and nesting limits, typed conversion naming the key).
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record import io
from app.record.schema import ModelInfo, RunError, RunRecord, RunSettings, RunStatus, ToolInfo
from app.record.typed import RecordFormatError, Section

SWEEP_SCHEMA = "aipcprof.sweep"
SWEEP_SCHEMA_VERSION = 1


class AxisKind(str, enum.Enum):
    """What an axis of the grid sets in each point's run settings."""

    DIM = "dim"  # a symbolic dim of the model (RunSettings.dims[name])
    REQUESTS = "requests"  # requests in flight (throughput mode)
    THREADS = "threads"  # intra-op threads


class PointStatus(str, enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"  # see `error`; the sweep went on
    CANCELLED = "cancelled"  # stopped by the user while it ran: a partial run, never a best point
    NOT_RUN = "not_run"  # the sweep was stopped before it


@dataclass
class SweepAxis(Section):
    kind: AxisKind
    name: str  # the dim's symbol; "requests" / "threads" for the others
    values: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """'batch', 'requests in flight', 'threads'."""
        return {AxisKind.DIM: self.name, AxisKind.REQUESTS: "requests in flight",
                AxisKind.THREADS: "threads"}[self.kind]

    @property
    def option(self) -> str:
        """How the CLI names it: '--dim batch', '--requests', '--threads'."""
        return f"--dim {self.name}" if self.kind is AxisKind.DIM else f"--{self.kind.value}"


@dataclass
class SweepPoint(Section):
    index: int
    target_id: str
    values: list[int] = field(default_factory=list)  # one per axis, in the order of SweepRecord.axes
    status: PointStatus = PointStatus.NOT_RUN
    error: RunError | None = None  # failed: why (also in run.error when the run got that far)
    run: RunRecord | None = None  # the point's whole run record (None: not run, or refused before starting)

    ALWAYS = ("error", "run")

    def setting(self, axes: list[SweepAxis]) -> str:
        """'batch=4, threads=2'."""
        return ", ".join(f"{a.name}={v}" for a, v in zip(axes, self.values, strict=True))


@dataclass
class SweepRecord(Section):
    schema: str = SWEEP_SCHEMA
    schema_version: int = SWEEP_SCHEMA_VERSION
    tool: ToolInfo = field(default_factory=ToolInfo)
    created_utc: str = ""
    finished_utc: str = ""
    status: RunStatus = RunStatus.RUNNING  # completed (every point tried), cancelled
    model: ModelInfo = field(default_factory=ModelInfo)
    targets: list[str] = field(default_factory=list)
    axes: list[SweepAxis] = field(default_factory=list)
    settings: RunSettings = field(default_factory=RunSettings)  # the settings every point shares (mode included)
    points: list[SweepPoint] = field(default_factory=list)  # targets x axes' values, the last axis fastest

    def of_status(self, *statuses: PointStatus) -> list[SweepPoint]:
        return [p for p in self.points if p.status in statuses]


def default_path(model_name: str) -> Path:
    """Where a sweep is kept unless told otherwise: `sweeps/` beside the run history (app.record.history)."""
    import time

    from app.record.history import data_dir

    return data_dir() / "sweeps" / f"sweep-{time.strftime('%Y%m%d-%H%M%S')}-{Path(model_name).stem or 'model'}.json"


def save_default(record: SweepRecord) -> Path:
    """Save to `default_path` (the folder created); a UserError if it cannot be written."""
    path = default_path(record.model.display_name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{path.parent}: cannot create the sweeps folder ({e.strerror}).",
                        hint="Set AIPCPROF_DATA_DIR to a folder you can write to.") from None
    return save(record, path, "sweep record")


def dumps(record: SweepRecord) -> str:
    return json.dumps(record.to_json(), indent=1, allow_nan=False)


def save(record: SweepRecord, path: str | os.PathLike, option: str = "--out") -> Path:
    """Atomic write (temp file + rename): a crash never leaves half a sweep."""
    return io.write_atomic(path, dumps(record) + "\n", option)


def parse(data: Any, source: str) -> SweepRecord:
    if not isinstance(data, dict) or data.get("schema") != SWEEP_SCHEMA:
        raise UserError(f"{source}: not an AI PC Profiler sweep record.",
                        hint="Pass a file written by `aipcprof sweep --out`.")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SWEEP_SCHEMA_VERSION:
        raise UserError(f"{source}: sweep record version {version!r} is not one this tool reads "
                        f"(1 to {SWEEP_SCHEMA_VERSION}).", hint="Update AI PC Profiler, or rerun the sweep.")
    try:
        return SweepRecord.from_json(data)
    except RecordFormatError as e:
        raise UserError(f"{source}: invalid sweep record ({e}).", hint="The file is corrupted or was edited.") from None


def load(path: str | os.PathLike) -> SweepRecord:
    """Read a sweep record with the run reader's limits (regular file, size, nesting); problems name the file."""
    p = Path(path)
    text = io._read_text(p)  # noqa: SLF001 - the one guarded reader of the record layer
    if io._nesting_depth(text, io.MAX_JSON_DEPTH) > io.MAX_JSON_DEPTH:  # noqa: SLF001
        raise UserError(f"{p}: JSON nested more than {io.MAX_JSON_DEPTH} levels deep; not a sweep record.",
                        hint="The file is corrupted; do not use it.")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise UserError(f"{p}: not valid JSON ({e}).", hint="The file is corrupted.") from None
    return parse(data, str(p))
