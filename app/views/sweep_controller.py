"""SweepController: runs the Sweep tab's grid through app.run.sweep.SweepRun, polled from a Qt timer.

The same SweepRun as `aipcprof sweep`: each point a whole run in the worker process,
never on the GUI thread. A ~20 Hz timer pulls its events and reports them to the
SweepState (app.state.sweep), which the Sweep tab follows; the telemetry sampler is the
RunController's (one sampler per app). A normal run and a sweep never run together: the
window disables each while the other is busy.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.common.errors import UserError
from app.record.schema import Phase
from app.run.spec_builder import OptionError
from app.state import AppState
from app.state.sweep import symbolic_dims
from app.views.run_controller import _PHASE_NAMES

if TYPE_CHECKING:
    from app.run.sweep import SweepRun

TICK_MS = 50


class SweepController(QObject):
    ticked = Signal()
    busy_changed = Signal(bool)
    saved = Signal(str)  # the finished sweep's record was kept here (sweeps/ beside the run history)

    def __init__(self, state: AppState, runs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.runs = runs  # the RunController: its sampler, and whether a normal run is busy
        self.sweep: SweepRun | None = None
        self.phase = Phase.START
        self.phase_t0 = 0.0
        self.tick_count = 0
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)

    @property
    def busy(self) -> bool:
        return self.sweep is not None

    def run(self) -> bool:
        """Check the Sweep tab's form over the run setup and start the sweep; a problem is one message."""
        st = self.state
        if self.busy or self.runs.busy:
            return False
        if not st.model.ready or st.model.path is None:
            st.report_error("No model to sweep.", "Drop an .onnx file on the window or use File > Open (Ctrl+O).")
            return False
        rs, inputs = st.run_setup, st.inputs
        ready = {t.id: t for t in rs.ready_targets()}
        try:
            if rs.problems:
                raise rs.problems[0]
            options = rs.options.copy(dims=inputs.dims(), inputs=inputs.inputs_data(), shapes=inputs.shapes())
            ep = {tid: rs.ep_options_for(t) for tid, t in ready.items()}
            plan = st.sweep.plan(st.model.path, options, ep, symbolic_dims(st.model.card))
        except (OptionError, UserError) as e:
            st.report_error(e.message, e.hint)
            return False
        self.start(plan, ready)
        return True

    def start(self, plan, targets: dict) -> None:
        from app.run.sweep import SweepRun  # the runtimes' side loads on the first sweep, not at start-up

        self.sweep = SweepRun(plan, sampler=self.runs.sampler, targets=targets)
        self.phase, self.phase_t0 = Phase.START, time.monotonic()
        self.state.sweep.begin(self.sweep.record)
        self.timer.start()
        self.busy_changed.emit(True)

    def stop(self) -> None:
        """The point in flight stops (kept as cancelled), the rest are not run; finished points stay."""
        if self.sweep is not None:
            self.sweep.cancel()

    def shutdown(self) -> None:
        """Window closing: no worker outlives it."""
        self.timer.stop()
        if self.sweep is not None:
            self.sweep.close()
            self.sweep = None

    def _keep(self, record) -> None:
        """Every sweep is kept, as `aipcprof sweep` keeps it, written off the GUI thread."""
        from app.record.sweep import save_default

        jobs = self.runs.jobs
        if jobs is None:
            return
        jobs.submit(lambda: save_default(record), lambda path: self.saved.emit(str(path)),
                    lambda e: self.state.report_error(f"could not keep the sweep: {e}",
                                                      "Export it with Sweep record… instead."))

    def progress(self) -> str:
        """'Point 3 of 8 · ort/cpu, batch=4 · Measuring… 1.2 s'."""
        sweep, point = self.sweep, self.state.sweep.current
        if sweep is None or point is None:
            return ""
        where = f"{point.target_id}, {point.setting(sweep.record.axes)}"
        return (f"Point {point.index + 1} of {len(sweep.record.points)} · {where} · "
                f"{_PHASE_NAMES[self.phase]}… {time.monotonic() - self.phase_t0:.1f} s")

    def _on_timer_timeout(self) -> None:
        from app.run.runner import RunPhaseStarted
        from app.run.sweep import PointEnded, PointProgress, PointStarted, SweepEnded

        sweep = self.sweep
        if sweep is None:
            self.timer.stop()
            return
        self.tick_count += 1
        for ev in sweep.poll(0):
            match ev:
                case PointStarted():
                    self.phase, self.phase_t0 = Phase.START, time.monotonic()
                    self.state.sweep.start_point(ev.point)
                case PointProgress(event=RunPhaseStarted() as started):
                    self.phase, self.phase_t0 = started.phase, time.monotonic()
                case PointEnded():
                    self.state.sweep.finish_point(ev.point)
                case SweepEnded():
                    self.sweep = None
                    self.timer.stop()
                    self.state.sweep.finish(ev.record)
                    self.busy_changed.emit(False)
                    self._keep(ev.record)
        self.ticked.emit()
