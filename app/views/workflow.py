"""WorkflowMixin: what the window does (open a model, run, stop, save), apart from its layout.

Slow work never runs on the GUI thread: discovery and inspection go to the
JobRunner, runs to a worker process via RunController. Every failure ends in
the inline banner; the window stays usable.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from app.common.errors import ErrorKind, UserError


def _inspect(path: str, dims: dict[str, int] | None) -> dict:
    from app.model.model_card import inspect_model
    from app.model.model_file import check_model_file

    check_model_file(path)
    return inspect_model(path, dims=dims or None).to_dict()


def _discover() -> list:
    from app.engines.registry import discover_targets

    return discover_targets()


def _inventory() -> list | None:
    try:
        from app.probes.inventory import build_inventory
    except ImportError:
        return None
    return build_inventory()


class WorkflowMixin:
    """Mixed into MainWindow (which provides the panels, controller, jobs and signals)."""

    _model_path: str | None = None
    _card: dict | None = None
    _inspecting = False
    targets_ready_at: float | None = None

    # -- start-up --------------------------------------------------------
    def start_background(self) -> None:
        """After the first paint: find targets and devices, start telemetry, greet first-timers."""
        self.statusBar().showMessage("Looking for accelerators…")
        self.jobs.submit(_discover, self._on_discovery_done, self._on_discovery_failed)
        self.jobs.submit(_inventory, self.devices_panel.set_inventory,
                         lambda e: self.devices_panel.set_inventory(None, f"{e.__class__.__name__}: {e}"))
        self.controller.start_sampler()
        self.refresh_history()
        if self.controller.sampler_error:
            self.devices_panel.set_metric_status({}, self.controller.sampler_error)
        if not self.settings.value("first_launch_done") and self._model_path is None:
            self.settings.setValue("first_launch_done", True)
            if self.sample_model is not None and self.sample_model.is_file():
                self.banner.show_message("info", "Welcome to AI PC Profiler.",
                                         "Drop an .onnx model on the window, or start with the bundled sample.",
                                         ("Open sample model", self.open_sample))
            else:
                self.banner.show_message("info", "Welcome to AI PC Profiler.",
                                         "Drop an .onnx model on the window or use File > Open (Ctrl+O).")

    def _on_discovery_done(self, targets: list) -> None:
        preferred = self.settings.value("run/target")
        self.setup_panel.set_targets(targets, preferred=str(preferred) if preferred else None)
        self.devices_panel.set_targets(targets)
        ready = sum(t.ready for t in targets)
        self.status_targets.setText(f"{ready} of {len(targets)} targets ready")
        self.status_targets.setToolTip("\n".join(f"{t.id}: {'ready' if t.ready else t.reason}" for t in targets))
        self.statusBar().showMessage("Ready", 3000)
        self.targets_ready_at = time.monotonic()
        self._update_actions()
        self.targets_loaded.emit(targets)

    def _on_discovery_failed(self, e: BaseException) -> None:
        self.show_error(f"Could not look for accelerators: {e.__class__.__name__}: {e}",
                        "ONNX Runtime or OpenVINO may be broken; reinstall the app.")
        self.targets_loaded.emit([])

    # -- model -----------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(Path(self.recent_files()[0]).parent) if self.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open ONNX model", start, "ONNX models (*.onnx);;All files (*)")
        if path:
            self.open_model(path)

    def open_sample(self) -> None:
        if self.sample_model is None or not self.sample_model.is_file():
            self.show_error("The sample model is missing from this installation.",
                            "Reinstall the app, or open your own .onnx file (Ctrl+O).")
            return
        self.open_model(str(self.sample_model))

    def open_model(self, path: str) -> None:
        path = str(Path(path).expanduser())
        self.banner.setVisible(False)
        self.statusBar().showMessage(f"Reading {Path(path).name}…")
        self._inspecting = True
        self._update_actions()
        self.jobs.submit(lambda: _inspect(path, None), lambda card: self._on_inspect_done(path, card, False),
                         lambda e: self._on_inspect_failed(path, e))

    def _on_model_panel_dims_changed(self, _dims: dict) -> None:
        self._reinspect_timer.start()

    def _reinspect(self) -> None:
        path, dims = self._model_path, self.model_panel.dims()
        if path is None:
            return
        self.jobs.submit(lambda: _inspect(path, dims), lambda card: self._on_inspect_done(path, card, True),
                         lambda e: self._on_inspect_failed(path, e))

    def _on_inspect_done(self, path: str, card: dict, keep_dims: bool) -> None:
        self._model_path, self._card = path, card
        self.model_panel.show_card(card, keep_dims=keep_dims)
        if not keep_dims and self.model_panel.dims():
            # Symbolic dims got editor defaults (seq=128...): count MACs and shapes at those values
            # before calling the model loaded.
            dims = self.model_panel.dims()
            self.jobs.submit(lambda: _inspect(path, dims), lambda c: self._on_inspect_done(path, c, True),
                             lambda e: self._on_inspect_failed(path, e))
            self._add_recent(path)
            self._first_card = True
            return
        self._inspecting = False
        self.tabs.setCurrentIndex(0)
        self.setWindowTitle(f"{Path(path).name} — AI PC Profiler")
        self.statusBar().showMessage(f"Loaded {path}", 5000)
        if not keep_dims:
            self._add_recent(path)
        if not keep_dims or getattr(self, "_first_card", False):
            self._first_card = False
            self.model_loaded.emit(path)
        self._update_actions()

    def _on_inspect_failed(self, path: str, e: BaseException) -> None:
        self._inspecting = False
        if isinstance(e, UserError):
            message, hint = e.message, e.hint
        else:  # a bug in inspection must not take the window down
            message, hint = f"Could not read {Path(path).name}: {e.__class__.__name__}: {e}", \
                "The file may be corrupted or use an unsupported ONNX feature."
        self.show_error(message, hint)
        self.statusBar().showMessage("Model not loaded", 5000)
        self._update_actions()
        self.model_failed.emit(message)

    # -- runs ------------------------------------------------------------
    def _spec(self, target):
        return self.setup_panel.build_spec(self._model_path, target, self.model_panel.dims(),
                                           self.model_panel.inputs())

    def run_selected(self) -> None:
        self._start_runs([self.setup_panel.current_target()])

    def run_all(self) -> None:
        self._start_runs(self.setup_panel.ready_targets())

    def _start_runs(self, targets: list) -> None:
        if self.controller.busy:
            return
        if self._model_path is None:
            self.show_error("No model to run.", "Drop an .onnx file on the window or use File > Open (Ctrl+O).")
            return
        targets = [t for t in targets if t is not None]
        if not targets:
            self.show_error("No target selected that can run here.", "Pick a target in Run setup.")
            return
        try:
            jobs = [(self._spec(t), t) for t in targets]
        except UserError as e:
            self.show_error(e.message, e.hint)
            return
        self.banner.setVisible(False)
        self.controller.start(jobs)
        self._update_actions()

    def stop(self) -> None:
        if self.controller.busy:
            self.controller.stop()
            self._update_actions()

    # -- controller events -----------------------------------------------
    def _on_controller_run_started(self, spec) -> None:
        self.views.setCurrentIndex(0)  # the live charts
        self.charts.reset()
        self.progress.setVisible(True)
        queued = self.controller.queued()
        self.statusBar().showMessage(f"Running on {spec.target_id}" + (f" ({queued} more queued)" if queued else ""))
        self._update_actions()

    def _on_controller_ticked(self) -> None:
        self.charts.refresh()
        if self.controller.busy and self.controller.tick_count % 8 == 0:  # ~4 Hz: text and bar relayout cost
            text, pct = self.controller.progress()
            if self.phase_label.text() != text:
                self.phase_label.setText(text)
            if pct < 0:
                self.progress.setRange(0, 0)  # busy: compile / warm-up have no count
            else:
                self.progress.setRange(0, 100)
                self.progress.setValue(pct)
        if self.controller.tick_count % 15 == 0:  # statuses change slowly: twice a second is plenty
            statuses = self.controller.metric_status()
            if statuses:
                self.devices_panel.set_metric_status(statuses)
                live = sum(1 for s, _ in statuses.values() if s == "ok")
                self.status_metrics.setText(f"telemetry: {live} of {len(statuses)} metrics live")

    def _on_controller_run_finished(self, record: dict) -> None:
        self.records.append(record)
        self.charts.refresh(force=True)  # the run's last telemetry and numbers, now
        self.results.show_record(record, self.controller.last_record_path)
        self.results.show_comparison(self.records)
        self.phase_label.setText(f"{record.status.value.capitalize()} · {record.latency.count:,} inferences")
        if not self.controller.busy:
            self.progress.setVisible(False)
        self._update_actions()
        self.run_finished.emit(record)

    def _on_controller_record_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"Run saved: {path}", 8000)
        if self.results.record is self.controller.last_record:
            self.results.set_saved_path(path)

    def _on_controller_batch_finished(self, records: list) -> None:
        self.progress.setVisible(False)
        self._update_actions()
        self.all_runs_finished.emit(records)

    def _on_controller_error_raised(self, message: str, hint: str, kind: ErrorKind) -> None:
        self.show_error(message, hint or ("The inference worker crashed; the window is fine. Try another "
                                          "target or update the driver." if kind is ErrorKind.WORKER_CRASHED else ""))

    def show_error(self, message: str, hint: str = "") -> None:
        self.banner.show_message("error", message, hint)

    # -- records ---------------------------------------------------------
    def save_run_dialog(self) -> None:
        record = self.controller.last_record
        if record is None:
            self.show_error("No run to save yet.", "Run the model first (F5).")
            return
        default = Path(self.controller.last_record_path or "run.json").name
        path, _ = QFileDialog.getSaveFileName(self, "Save run record", default, "Run records (*.json)")
        if path:
            self.save_run_as(path)

    def save_run_as(self, path: str) -> bool:
        from app.record import io as rec

        try:
            rec.save(self.controller.last_record, path)
        except (UserError, OSError) as e:
            self.show_error(f"Could not save the run record: {e}", "Choose another folder.")
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _update_actions(self) -> None:
        busy = self.controller.busy
        has_model = self._model_path is not None and not self._inspecting
        has_target = self.setup_panel.current_target() is not None
        self.run_action.setEnabled(has_model and has_target and not busy)
        self.run_all_action.setEnabled(has_model and bool(self.setup_panel.ready_targets()) and not busy)
        self.stop_action.setEnabled(busy)
        self.save_action.setEnabled(self.controller.last_record is not None)
        self.setup_panel.setEnabled(not busy)  # settings of the running job cannot change under it
        self.model_panel.open_button.setEnabled(not busy)
