"""Workflow: what the window does with a model and its runs (read it, run it, stop, save), as a plain object.

It gets what it needs in its constructor: the app state (app.state.AppState,
whose `inputs` hold the sizes and input data the user set), the job runner for
slow calls, the RunController that owns the worker, and the model panel (its
edits ask for a re-inspection; it shows sizes that do not fit). It changes
the state; the views redraw from the state's events (wired in MainWindow).

Slow work never runs on the GUI thread: discovery and inspection go to the
JobRunner, runs to a worker process via RunController. Every failure ends in
state.report_error (the window's inline banner); the window stays usable.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.common.errors import ErrorKind, UserError
from app.engines.genai_engine import is_genai_target
from app.engines.ov_genai_engine import is_ov_genai_target
from app.run.spec_builder import OptionError
from app.state import AppState
from app.views.jobs import JobRunner
from app.views.model_panel import ModelPanel
from app.views.ov_genai_card import is_ov_card
from app.views.run_controller import RunController

REINSPECT_MS = 250  # one re-inspection per burst of dim edits
GENAI_TARGET = "genai/cpu"  # picked when a generative model opens on a target that cannot run it
OV_GENAI_TARGET = "ov-genai/cpu"  # the same for an OpenVINO IR LLM folder (docs/genai.md)


def _generative_kind(card: dict) -> tuple[str, str] | None:
    """(target prefix, default target) of the generative model a card describes; None for a single model file."""
    if "genai" not in card:
        return None
    return ("ov-genai/", OV_GENAI_TARGET) if is_ov_card(card) else ("genai/", GENAI_TARGET)


def _runs_on(target_id: str, card: dict) -> bool:
    """Whether a target runs this kind of model: genai/ a genai folder, ov-genai/ an IR LLM folder, the rest files."""
    kind = _generative_kind(card)
    if kind is None:
        return not is_genai_target(target_id) and not is_ov_genai_target(target_id)
    return target_id.strip().lower().startswith(kind[0])


def _inspect(path: str, dims: dict[str, int] | None, shapes: dict[str, list[int]] | None = None) -> dict:
    from app.model import ov_genai_folder
    from app.model.genai_folder import card_dict, is_genai_path
    from app.model.model_card import inspect_model
    from app.model.model_file import check_model_file

    if ov_genai_folder.is_ov_genai_path(path):  # an OpenVINO IR LLM folder or an .xml inside one (docs/genai.md)
        return ov_genai_folder.card_dict(path)
    if is_genai_path(path):  # a generative model folder, its genai_config.json or a .onnx inside (docs/genai.md)
        return card_dict(path)
    check_model_file(path)
    return inspect_model(path, dims=dims or None, shapes=shapes or None).to_dict()


def _discover() -> list:
    from app.engines.registry import discover_targets

    return discover_targets()


class Workflow:
    def __init__(self, state: AppState, jobs: JobRunner, runs: RunController, model_panel: ModelPanel,
                 parent: QObject | None = None) -> None:
        self.state = state
        self.jobs = jobs
        self.runs = runs
        self.model_panel = model_panel
        self._reinspect_timer = QTimer(parent)
        self._reinspect_timer.setSingleShot(True)
        self._reinspect_timer.setInterval(REINSPECT_MS)
        self._reinspect_timer.timeout.connect(self._reinspect)
        model_panel.dims_changed.connect(lambda _dims: self._reinspect_timer.start())
        run = state.run
        runs.run_started.connect(lambda spec: run.start(spec, runs.queued()))
        runs.phase_started.connect(run.set_phase)
        runs.run_finished.connect(run.finish)
        runs.batch_finished.connect(run.end_batch)
        runs.record_saved.connect(lambda path: run.set_saved(path, is_last=runs.last_record_path == path))
        runs.error_raised.connect(self._on_run_error)

    # -- targets ---------------------------------------------------------
    def discover(self, preferred: str | None = None) -> None:
        """Find the targets in the background; `preferred` is picked if it can run here."""
        setup = self.state.run_setup

        def failed(e: BaseException) -> None:
            self.state.report_error(f"Could not look for accelerators: {e.__class__.__name__}: {e}",
                                    "ONNX Runtime or OpenVINO may be broken; reinstall the app.")
            setup.set_targets([])

        self.jobs.submit(_discover, lambda targets: setup.set_targets(targets, preferred), failed)

    # -- model -----------------------------------------------------------
    def open_model(self, path: str) -> None:
        path = str(Path(path).expanduser())
        self.state.model.begin(path)
        self.state.show_status(f"Reading {Path(path).name}…")
        self.jobs.submit(lambda: _inspect(path, None), lambda card: self._on_inspect_done(path, card, False),
                         lambda e: self._on_inspect_failed(path, e))

    def _reinspect(self) -> None:
        path = self.state.model.path
        if path is None:
            return
        self._inspect_at_sizes(path)

    def _inspect_at_sizes(self, path: str) -> None:
        """Read the model again at the editor's sizes (app.state.inputs), so MACs and shapes follow them."""
        inputs = self.state.inputs
        dims, shapes = inputs.dims(shown=True), inputs.shapes(shown=True)
        self.jobs.submit(lambda: _inspect(path, dims, shapes), lambda card: self._on_inspect_done(path, card, True),
                         lambda e: self._on_reinspect_failed(path, e))

    def _on_inspect_done(self, path: str, card: dict, reinspected: bool) -> None:
        model = self.state.model
        kind = _generative_kind(card)
        if kind is not None and not reinspected:  # a generative model runs on genai/ (or ov-genai/) targets
            setup = self.state.run_setup
            current = setup.current_target()
            if current is None or not _runs_on(current.id, card):
                setup.select_target(kind[1])
        model.set_card(path, card, reinspected=reinspected)  # the input state and the model panel follow
        if reinspected:
            self.model_panel.show_shape_problem("")
        inputs = self.state.inputs
        if not reinspected and model.loading == path and (inputs.dims(shown=True) or inputs.shapes(shown=True)):
            # Open dims got their sizes (remembered, from the card, or defaults: seq=128, 224 x 224...):
            # count MACs and shapes at those sizes before calling the model loaded.
            self._inspect_at_sizes(path)
            return
        model.finish(path)

    def _on_reinspect_failed(self, path: str, e: BaseException) -> None:
        """Sizes that do not fit the model: said next to the editor; the model stays loaded."""
        model = self.state.model
        if model.loading == path:  # the first read at the editor's sizes: the model still opens
            model.finish(path)
        if isinstance(e, UserError):
            self.model_panel.show_shape_problem(e.message, e.hint)
            self.state.show_status(f"Input shapes: {e.message}", 8000)
        else:
            self._on_inspect_failed(path, e)

    def _on_inspect_failed(self, path: str, e: BaseException) -> None:
        if isinstance(e, UserError):
            message, hint = e.message, e.hint
        else:  # a bug in inspection must not take the window down
            message, hint = f"Could not read {Path(path).name}: {e.__class__.__name__}: {e}", \
                "The file may be corrupted or use an unsupported ONNX feature."
        self.state.report_error(message, hint)
        self.state.show_status("Model not loaded", 5000)
        self.state.model.fail(path, message, hint)

    # -- runs ------------------------------------------------------------
    def spec_for(self, target):
        """The RunSpec of the current model on `target`: the run setup, and the inputs' sizes and data."""
        card = self.state.model.card or {}
        if "genai" in card:
            return self._genai_spec(card, target)
        if not _runs_on(target.id, card):
            raise UserError(f"{target.id} runs generative model folders (genai_config.json, or an OpenVINO IR LLM "
                            f"folder for ov-genai/).", hint="Open such a folder, or pick an ort/ or ov/ target for "
                                                            "this model.")
        inputs = self.state.inputs
        return self.state.run_setup.build(self.state.model.path, target, inputs.dims(), inputs.inputs_data(),
                                          inputs.shapes())

    def _genai_spec(self, card: dict, target):
        """A generative model: prompt lengths, generated tokens, prompt file, warm-up and iterations from Run
        setup's Generation group (app.state.genai_setup, checked as the CLI checks them); threads, timeout,
        seed and provider options from the rest of the run setup."""
        from app.run.genai_spec import GENAI_RUN_OPTIONS, build_genai_spec
        from app.run.spec_builder import DEFAULTS

        prefix, default = _generative_kind(card)
        if not _runs_on(target.id, card):
            raise UserError(f"{target.id} cannot run this generative model folder.",
                            hint=f"Pick a {prefix} target (e.g. {default}) in Run setup.")
        setup = self.state.run_setup
        bad = [p for p in setup.problems if p.option in GENAI_RUN_OPTIONS]  # e.g. a bad EP option text
        if bad:
            raise bad[0]
        o = setup.options
        options = DEFAULTS.copy(threads=o.threads, stall_timeout_s=o.stall_timeout_s, seed=o.seed,
                                ep_options=setup.ep_options_for(target))
        chosen = setup.genai.choice()  # UserError: the CLI's line, shown in the Generation group too
        return build_genai_spec(self.state.model.path, target.id, options, chosen.spec,
                                iterations=chosen.iterations, warmup=chosen.warmup)

    def run_selected(self) -> None:
        self._start_runs([self.state.run_setup.current_target()])

    def run_all(self) -> None:
        card = self.state.model.card or {}  # each kind of model on its own kind of target
        self._start_runs([t for t in self.state.run_setup.all_targets() if _runs_on(t.id, card)])

    def _start_runs(self, targets: list) -> None:
        if self.runs.busy:
            return
        if self.state.model.path is None:
            self.state.report_error("No model to run.", "Drop an .onnx file on the window or use File > Open (Ctrl+O).")
            return
        targets = [t for t in targets if t is not None]
        if not targets:
            self.state.report_error("No target selected that can run here.", "Pick a target in Run setup.")
            return
        missing = self.state.inputs.problems()
        if missing:
            self.state.report_error(*missing[0])
            return
        try:
            jobs = [(self.spec_for(t), t) for t in targets]
        except OptionError as e:
            if any(p is e for p in self.state.run_setup.problems):  # already shown next to the option
                self.state.show_status(f"Run setup: {e.message}", 8000)
            else:
                self.state.report_error(e.message, e.hint)
            return
        except UserError as e:
            problem = self.state.run_setup.genai.problem
            if problem is not None and (problem.message, problem.hint) == (e.message, e.hint):
                self.state.show_status(f"Generation: {e.message}", 8000)  # already shown in the Generation group
            else:
                self.state.report_error(e.message, e.hint)
            return
        self.runs.start(jobs)

    def stop(self) -> None:
        if self.runs.busy:
            self.runs.stop()
            self.state.run.stop()

    def _on_run_error(self, message: str, hint: str, kind: ErrorKind) -> None:
        self.state.report_error(message, hint or ("The inference worker crashed; the window is fine. Try another "
                                                  "target or update the driver." if kind is ErrorKind.WORKER_CRASHED else ""))

    # -- records ---------------------------------------------------------
    def save_run_as(self, path: str) -> bool:
        """Write the last run's record to `path` (a copy; the history keeps its own)."""
        from app.record import io as rec

        record = self.state.run.last_record
        if record is None:
            self.state.report_error("No run to save yet.", "Run the model first (F5).")
            return False
        try:
            rec.save(record, path)
        except (UserError, OSError) as e:
            self.state.report_error(f"Could not save the run record: {e}", "Choose another folder.")
            return False
        self.state.show_status(f"Saved {path}", 5000)
        return True
