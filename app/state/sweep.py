"""SweepState: the desktop app's sweep, apart from its widgets (the Sweep tab).

It holds what the Sweep tab's form asks for (the dim to sweep, the values of each
axis, the targets) and the sweep record as it fills: `begin` with every point not run
yet, `point_started` / `point_finished` as the worker runs them, `finish` with the
record's final status. The Sweep tab redraws its charts and table on these events; the
controller (app.views.sweep_controller) runs the points through app.run.sweep.SweepRun,
the same code as `aipcprof sweep`.

`plan` turns the form into a checked SweepPlan (app.run.sweep_plan.make_plan), naming
the field a bad value is in the way the tab labels it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.common.errors import UserError
from app.record.schema import RunMode
from app.record.sweep import AxisKind, SweepAxis, SweepPoint, SweepRecord
from app.run.spec_builder import GUI_LABELS, RunOptions
from app.run.sweep_plan import SweepPlan, make_plan, parse_values
from app.state.events import Event


@dataclass
class SweepForm:
    """The Sweep tab's fields, as typed."""

    dim: str = ""  # a symbolic dim of the model ("" when it has none: sweep requests or threads)
    dim_values: str = "1,2,4,8"
    requests: str = ""  # throughput mode only
    threads: str = ""
    targets: list[str] = field(default_factory=list)


def symbolic_dims(card: Mapping | None) -> list[str]:
    """The symbolic dims of a model card's inputs, in order (ModelCard.inputs: symbolic dims as their names)."""
    if not card:
        return []
    names = [d for inp in card["inputs"] for d in inp["shape"] or [] if isinstance(d, str)]  # ModelCard.to_dict()
    return list(dict.fromkeys(names))


class SweepState:
    def __init__(self) -> None:
        self.form = SweepForm()
        self.record: SweepRecord | None = None
        self.running = False
        self.current: SweepPoint | None = None
        self.started: Event[[SweepRecord]] = Event("sweep.started")
        self.point_started: Event[[SweepPoint]] = Event("sweep.point_started")
        self.point_finished: Event[[SweepPoint]] = Event("sweep.point_finished")
        self.finished: Event[[SweepRecord]] = Event("sweep.finished")

    def plan(self, model_path: str, options: RunOptions, ep_options: Mapping[str, Mapping[str, str]] | None = None,
             model_dims: list[str] | None = None) -> SweepPlan:
        """The form as a checked plan over `options` (the run setup's, with the inputs' sizes and data);
        `model_dims` (the card's symbolic dims) spares reading the model again on the GUI thread."""
        f = self.form
        axes = []
        if f.dim:
            axes.append(SweepAxis(AxisKind.DIM, f.dim, parse_values(f"{f.dim} values ", f.dim_values, "1,2,4,8")))
        if f.requests.strip():
            if RunMode(options.mode) is not RunMode.THROUGHPUT:
                raise UserError("Requests values only apply in throughput mode.",
                                hint="Set Mode to throughput in Run setup, or clear Requests.")
            axes.append(SweepAxis(AxisKind.REQUESTS, "requests", parse_values("Requests ", f.requests, "1,2,4")))
        if f.threads.strip():
            axes.append(SweepAxis(AxisKind.THREADS, "threads", parse_values("Threads ", f.threads, "1,2,4")))
        if not f.targets:
            raise UserError("No target ticked for the sweep.", hint="Tick one or more targets.")
        if not axes:
            raise UserError("Nothing to sweep.", hint="Give values for a dimension, Requests or Threads.")
        return make_plan(model_path, f.targets, axes, options, labels=GUI_LABELS, ep_options=ep_options,
                         model_dims=model_dims)

    # -- the controller reports -------------------------------------------------------------------
    def begin(self, record: SweepRecord) -> None:
        self.record, self.running, self.current = record, True, None
        self.started.emit(record)

    def start_point(self, point: SweepPoint) -> None:
        self.current = point
        self.point_started.emit(point)

    def finish_point(self, point: SweepPoint) -> None:
        if self.current is point:
            self.current = None
        self.point_finished.emit(point)

    def finish(self, record: SweepRecord) -> None:
        self.record, self.running, self.current = record, False, None
        self.finished.emit(record)
