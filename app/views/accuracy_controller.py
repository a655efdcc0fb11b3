"""AccuracyController: Evaluate (the Accuracy panel) and Quantise… (the model card), as plain window plumbing.

Evaluate builds each target's RunSpec from the run setup (the window's
RunSetupState, as Run does), then, in a job thread, turns it into the eval of
the panel's data set with app.run.eval_setup.eval_run_spec: the CLI's own
checks (folder, labels, every sample's header, the first sample read for its
shape). Bad input comes back as the CLI's one line, shown under the form.
The specs then go to the window's RunController: the same worker as
`aipcprof eval` reads, decodes, runs and scores the data set, with the same
crash / hang / Stop handling, one target after another. Nothing here reads an
image on the GUI thread.

Quantise… opens app.views.quantise_dialog.QuantiseDialog; its Compare Both
runs the float model and its quantised copy on the run setup's target (an
eval of the panel's data set when a data folder is set) and shows the
comparison of the two runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.common.errors import UserError
from app.state import AppState
from app.views.accuracy_panel import AccuracyPanel
from app.views.jobs import JobRunner
from app.views.model_panel import ModelPanel
from app.views.run_controller import RunController

SETTINGS_GROUP = "accuracy"
PROGRESS_EVERY = 8  # RunController ticks (40 Hz) between progress texts: ~5 Hz


def _eval_specs(pairs: list[tuple], ev) -> list[tuple]:
    """Job thread: every (RunSpec, Target) made the eval of `ev` (reads the data set's headers, one sample)."""
    from app.run.eval_setup import eval_run_spec

    return [(eval_run_spec(spec, ev), target) for spec, target in pairs]


def one_line(e: BaseException) -> str:
    """A failure as the CLI prints it: a UserError's message and hint; anything else its type and first line."""
    if isinstance(e, UserError):
        return str(e)
    return f"{e.__class__.__name__}: {(str(e).strip().splitlines() or [''])[0]}"


@dataclass
class _Batch:
    scored: bool  # runs evals (their records go to the panel's table)
    compare: bool  # Compare Both: show the comparison at the end
    total: int
    started: int = 0
    target: str = ""


class AccuracyController(QObject):
    busy_changed = Signal(bool)  # checking a data set, or running an eval / Compare Both

    def __init__(self, state: AppState, runs: RunController, jobs: JobRunner, panel: AccuracyPanel,
                 model_panel: ModelPanel, show_comparison, open_model, parent: QWidget | None = None) -> None:
        """show_comparison(records, names): the window's comparison view; open_model(path): opens a model.
        The model panel's Quantise… opens the dialog over `parent` (the window)."""
        super().__init__(parent)
        self.state, self.runs, self.jobs, self.panel = state, runs, jobs, panel
        self._show_comparison, self._open_model = show_comparison, open_model
        self.preparing = False  # the data set is being checked in a job thread
        self._cancelled = False  # Stop while preparing: the checked specs are dropped
        self._batch: _Batch | None = None
        self.quantise_dialog = None  # the open QuantiseDialog, if any
        panel.evaluate_requested.connect(self.evaluate)
        panel.stop_requested.connect(self.stop)
        model_panel.quantise_requested.connect(lambda: self.open_quantise_dialog(parent))
        state.run_setup.targets_changed.connect(
            lambda targets: panel.options.set_targets([t.id for t in targets if t.ready]))
        runs.run_started.connect(self._on_run_started)
        runs.run_finished.connect(self._on_run_finished)
        runs.batch_finished.connect(self._on_batch_finished)
        runs.error_raised.connect(self._on_run_error)
        runs.ticked.connect(self._on_ticked)

    @property
    def busy(self) -> bool:
        return self.preparing or self._batch is not None

    def update_actions(self, ready: bool, busy: bool) -> None:
        """The window's action update: Evaluate needs a model and a target, and nothing running."""
        setup = self.state.run_setup
        self.panel.set_can_run(ready and setup.current_target() is not None, busy or self.busy,
                               ready and bool(setup.all_targets()))

    def shutdown(self) -> None:
        """The window closes: a quantisation in flight is stopped (its child killed), nothing outlives the window."""
        if self.quantise_dialog is not None:
            self.quantise_dialog.cancel()
            self.quantise_dialog.close()

    # -- settings: the Accuracy tab's form, in the window's QSettings ----------
    def restore_settings(self, settings) -> None:
        settings.beginGroup(SETTINGS_GROUP)
        values = {k: settings.value(k) for k in settings.childKeys()}
        settings.endGroup()
        self.state.accuracy.restore_settings(values)

    def save_settings(self, settings) -> None:
        for k, v in self.state.accuracy.to_settings().items():
            settings.setValue(f"{SETTINGS_GROUP}/{k}", v)

    # -- Evaluate --------------------------------------------------------
    def evaluate(self, all_targets: bool = False) -> None:
        setup, acc = self.state.run_setup, self.state.accuracy
        jobs = [(self.state.model.path, t) for t in
                (setup.all_targets() if all_targets else [setup.current_target()])]
        try:
            problem = self._cannot_start(jobs)  # no model, no target: said before the data's problems
            if problem:
                raise UserError(problem)
            ev = acc.eval_spec()
        except UserError as e:
            acc.report(str(e))
            return
        self._start(jobs, ev, compare=False)

    def compare_models(self, models: list[str]) -> None:
        """Compare Both: each model on the run setup's target (an eval when the panel has a data folder)."""
        acc = self.state.accuracy
        ev = acc.eval_spec() if acc.data else None
        target = self.state.run_setup.current_target()
        self._start([(m, target) for m in models], ev, compare=True)

    def _report(self, problem: str, compare: bool) -> None:
        """Under the Accuracy tab's form; for Compare Both (its dialog has closed) in the window's banner too."""
        self.state.accuracy.report(problem)
        if compare and problem:
            self.state.report_error(f"Compare Both: {problem}")

    def _start(self, jobs: list[tuple], ev, compare: bool) -> None:
        acc = self.state.accuracy
        problem = self._cannot_start(jobs)
        if problem:
            self._report(problem, compare)
            return
        inputs = self.state.inputs
        try:
            pairs = [(self.state.run_setup.build(path, t, inputs.dims(), inputs.inputs_data(), inputs.shapes()), t)
                     for path, t in jobs]
        except UserError as e:  # a run-setup option (OptionError) or an input problem
            self._report(str(e), compare)
            return
        self.preparing, self._cancelled = True, False
        acc.report("")
        acc.set_progress("Checking the data set…" if ev else "Starting…")
        self.panel.set_percent(-1)
        self.busy_changed.emit(True)
        work = (lambda: _eval_specs(pairs, ev)) if ev is not None else (lambda: pairs)
        self.jobs.submit(work, lambda ready: self._on_ready(ready, ev is not None, compare),
                         lambda e: self._on_check_failed(e, compare))

    def _cannot_start(self, jobs: list[tuple]) -> str:
        if self.busy or self.runs.busy or self.state.run.busy:
            return "A run is in progress: wait for it to end or stop it."
        if self.state.model.path is None:
            return "No model to evaluate: open an .onnx model first (File > Open, or drop it on the window)."
        if not jobs or any(t is None for _p, t in jobs):
            return "No target selected that can run here: pick a target in Run setup."
        missing = self.state.inputs.problems()
        return " ".join(missing[0]) if missing else ""

    def _on_ready(self, ready: list[tuple], scored: bool, compare: bool) -> None:
        self.preparing = False
        if self._cancelled or self.runs.busy:
            self.state.accuracy.set_progress("")
            self.state.accuracy.report("" if self._cancelled else "A run started meanwhile: evaluate again after it.")
            self.busy_changed.emit(False)
            return
        self._batch = _Batch(scored, compare, len(ready))
        if scored:
            self.state.accuracy.clear_results()
        self.runs.start(ready)

    def _on_check_failed(self, e: BaseException, compare: bool = False) -> None:
        self.preparing = False
        self.state.accuracy.set_progress("")
        self._report("" if self._cancelled else one_line(e), compare)
        self.busy_changed.emit(False)

    def stop(self) -> None:
        if self.preparing:
            self._cancelled = True
            self.state.accuracy.set_progress("Stopping…")
        elif self.runs.busy:
            self.runs.stop()
            self.state.run.stop()

    # -- the runs, followed ----------------------------------------------
    def _on_run_started(self, spec) -> None:
        b = self._batch
        if b is not None:
            b.started += 1
            b.target = spec.target_id
            self._on_ticked(now=True)

    def _on_ticked(self, now: bool = False) -> None:
        b = self._batch
        if b is None or not self.runs.busy or not (now or self.runs.tick_count % PROGRESS_EVERY == 0):
            return
        text, pct = self.runs.progress()
        what = "Evaluating" if b.scored else "Profiling"
        self.state.accuracy.set_progress(f"{what} on {b.target} ({b.started} of {b.total}): {text}")
        self.panel.set_percent(pct)

    def _on_run_finished(self, record) -> None:
        if self._batch is not None and self._batch.scored:
            self.state.accuracy.add_result(record)

    def _on_run_error(self, message: str, hint: str, _kind) -> None:
        if self._batch is not None:  # also in the window's banner; here beside the form that caused it
            self.state.accuracy.report(f"{message} {hint}".strip())

    def _on_batch_finished(self, records: list) -> None:
        b, self._batch = self._batch, None
        if b is None:
            return
        self.state.accuracy.set_progress("")
        self.busy_changed.emit(False)
        if b.compare and len(records) >= 2:
            from app.views.history_controller import session_names

            self._show_comparison(records, session_names(records))

    # -- Quantise… -------------------------------------------------------
    def open_quantise_dialog(self, parent: QWidget | None = None) -> None:
        from app.views.quantise_dialog import QuantiseDialog

        path = self.state.model.path
        if path is None:
            self.state.report_error("No model to quantise.", "Open a float .onnx model first.")
            return
        if self.quantise_dialog is not None:
            self.quantise_dialog.close()
        dialog = QuantiseDialog(path, self.jobs, parent)
        dialog.compare_requested.connect(lambda fp32, quantised: self.compare_models([fp32, quantised]))
        dialog.open_requested.connect(self._open_model)
        self.quantise_dialog = dialog
        dialog.show()
