"""HistoryController: the run history, imports and comparisons, as a plain object.

It gets what it needs in its constructor: the app state, the history store
(app.record.history.RunHistory), a one-thread job queue, the History tab, the
Comparison view and the results panel (Compare in Detail). It keeps the History
tab and state.history in step (listing, selection, undo strip) and does the
store's work.

Every call into the store runs in `jobs`, a one-thread queue: off the GUI
thread, and one at a time so two writers never race on the index. Errors end
in state.report_error (the window's inline banner).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from app.common.errors import UserError
from app.record.history import HistoryEntry, RunHistory
from app.record.schema import RunRecord
from app.state import AppState, Event, View
from app.views.history_panel import HistoryPanel
from app.views.jobs import JobRunner
from app.views.results_panel import ResultsPanel

if TYPE_CHECKING:
    from app.views.compare_view import CompareView


def _target(r: RunRecord) -> str:
    return r.target_id or "?"


def session_names(records: list[RunRecord]) -> list[str]:
    """Short names for this session's runs: the target, the model too when they differ (the title names a
    single model); two runs that would share a name get their start time (CompareView adds it)."""
    models = {r.model.display_name for r in records}
    return [_target(r) if len(models) == 1 else f"{_target(r)} · {Path(r.model.display_name).stem}"
            for r in records]


class HistoryController:
    def __init__(self, state: AppState, store: RunHistory, jobs: JobRunner, panel: HistoryPanel,
                 compare_view: Callable[[], CompareView], results: ResultsPanel, dialog_parent: QWidget | None = None) -> None:
        self.state = state
        self.store = store
        self.jobs = jobs
        self.panel = panel
        self._compare_view = compare_view  # built on first use (window start-up stays light)
        self.results = results
        self.dialog_parent = dialog_parent
        self.comparison_shown: Event[[int]] = Event("comparison_shown")  # number of runs compared
        self._syncing = False  # writing the state into the table: its selection signals must not write back

        p = panel
        p.compare_requested.connect(self.compare_runs)
        p.open_requested.connect(self.show_run)
        p.rename_requested.connect(self.rename_run)
        p.delete_requested.connect(self.delete_runs)
        p.undo_requested.connect(self.undo_delete)
        p.import_requested.connect(self.import_dialog)
        p.reveal_requested.connect(self.show_runs_folder)
        p.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        results.compare_requested.connect(self.compare_session)
        h = state.history
        h.entries_changed.connect(self._on_entries_changed)
        h.selection_changed.connect(self._on_selection_changed)
        h.undo_changed.connect(self._on_undo_changed)

    # -- the History tab <-> state.history -------------------------------
    def _on_entries_changed(self, entries: list) -> None:
        h = self.state.history
        self._syncing = True
        try:
            self.panel.set_entries(entries, h.unreadable, h.selection)
        finally:
            self._syncing = False

    def _on_selection_changed(self, ids: list) -> None:
        if self._syncing or ids == self.panel.selected_ids():
            return
        self._syncing = True
        try:
            self.panel.select_ids(ids)
        finally:
            self._syncing = False

    def _on_table_selection_changed(self) -> None:
        if not self._syncing:
            self.state.history.select(self.panel.selected_ids())

    def _on_undo_changed(self, count: int) -> None:
        if count:
            self.panel.show_undo(count)
        else:
            self.panel.undo_banner.setVisible(False)

    # -- listing -----------------------------------------------------------
    def refresh(self, select: list[str] | None = None) -> None:
        store = self.store
        self.jobs.submit(lambda: (store.list(), store.unreadable()),
                         lambda res: self.state.history.set_listing(res[0], res[1], select), self._on_failed)

    def _on_failed(self, e: BaseException) -> None:
        if isinstance(e, UserError):
            self.state.report_error(e.message, e.hint)
        else:
            self.state.report_error(f"Run history: {e.__class__.__name__}: {e}",
                                    f"The history folder is {self.store.root}; check it is readable and writable.")
        self.state.history.listing_failed()

    def _on_write_failed(self, e: BaseException) -> None:
        """A rename or delete failed: say why, and show the folder as it really is."""
        self._on_failed(e)
        self.refresh()

    # -- import ------------------------------------------------------------
    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.dialog_parent, "Import run files", str(Path.home()),
                                                "Run records (*.json);;All files (*)")
        if paths:
            self.import_runs(paths)

    def import_runs(self, paths: list[str]) -> None:
        """Validate and add run files; bad ones (corrupt, not a run, newer version) get a clear inline error."""
        store = self.store

        def work() -> tuple[list[HistoryEntry], list[tuple[str, str, str]]]:
            done, failed = [], []
            for path in paths:
                try:
                    done.append(store.import_file(path))
                except UserError as e:
                    failed.append((str(path), e.message, e.hint))
                except OSError as e:
                    failed.append((str(path), f"{path}: {e.strerror or e}", "Check the file and try again."))
            return done, failed

        self.state.show_status(f"Importing {len(paths)} run file{'s' if len(paths) > 1 else ''}…")
        self.jobs.submit(work, self._on_import_done, self._on_failed)

    def _on_import_done(self, result: tuple) -> None:
        done, failed = result
        ids = list(dict.fromkeys(e.id for e in done))
        if failed:
            if len(failed) == 1:
                _, message, hint = failed[0]
                self.state.report_error(f"Could not import a run file: {message}", hint)
            else:
                self.state.report_error(f"Could not import {len(failed)} of {len(failed) + len(done)} files.",
                                        " ".join(message for _, message, _ in failed))
        if ids:
            self.state.show_status(f"Imported {len(ids)} run{'s' if len(ids) > 1 else ''}", 5000)
            self.state.show_view(View.HISTORY)
        self.refresh(select=ids)
        self.state.history.note_imported(done, [message for _, message, _ in failed])
        if len(ids) >= 2:
            self.compare_runs(ids)

    # -- one run -----------------------------------------------------------
    def show_run(self, run_id: str) -> None:
        store = self.store

        def done(res: tuple) -> None:
            record, path = res
            self.results.show_record(record, path)
            self.state.show_view(View.LIVE)

        self.jobs.submit(lambda: (store.get(run_id), str(store.path_of(run_id))), done, self._on_failed)

    def rename_run(self, run_id: str, name: str) -> None:
        store = self.store
        self.jobs.submit(lambda: store.rename(run_id, name), lambda _e: self.refresh(), self._on_write_failed)

    def delete_runs(self, ids: list[str]) -> None:
        """Delete now (the rows go at once); the records stay in the undo list until the next delete."""
        store = self.store
        self.state.history.remove(ids)

        def work() -> list[RunRecord]:
            kept = []
            for run_id in ids:
                try:
                    kept.append(store.get(run_id))
                except UserError:
                    pass  # an unreadable file: deleted, nothing to restore
                store.delete(run_id)
            return kept

        def done(kept: list[RunRecord]) -> None:
            self.state.history.set_deleted(kept, len(ids))
            self.refresh()

        self.jobs.submit(work, done, self._on_write_failed)

    def undo_delete(self) -> None:
        records = self.state.history.take_undo()
        store = self.store
        if not records:
            return

        def work() -> list[str]:
            return [store.add(r, imported_from=r.history.imported_from if r.history else None).id
                    for r in records]

        self.jobs.submit(work, lambda ids: self.refresh(select=ids), self._on_failed)

    def show_runs_folder(self) -> None:
        folder = self.store.root
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.state.report_error(f"Cannot create the history folder {folder}: {e.strerror}",
                                    "Set AIPCPROF_DATA_DIR.")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- comparison --------------------------------------------------------
    def compare_runs(self, ids: list[str]) -> None:
        if len(ids) < 2:
            self.state.report_error("Select two or more runs to compare.", "Ctrl+click or Shift+click rows in History.")
            return
        history, store = self.state.history, self.store
        shown = history.names()
        ids = sorted(ids, key=lambda i: (history.created(i), i))  # oldest first: the first run is the baseline

        def work() -> tuple:
            from app.views.compare_charts import cdf_points

            records = [store.get(i) for i in ids]
            return records, [str(store.path_of(i)) for i in ids], [cdf_points(r) for r in records]

        def done(res: tuple) -> None:
            from app.record.history import default_name

            records, files, cdfs = res
            names = [shown.get(i) or default_name(r) for i, r in zip(ids, records, strict=True)]
            self.show_comparison(records, names, files, cdfs)

        self.jobs.submit(work, done, self._on_failed)

    def compare_session(self) -> None:
        """This session's runs (e.g. after Run on All Targets), first one as the baseline."""
        records = list(self.state.run.records)
        self.show_comparison(records, session_names(records))

    def show_comparison(self, records: list[RunRecord], names: list[str], files: list | None = None,
                        cdfs: list | None = None) -> None:
        self._compare_view().set_runs(records, names, files, cdfs=cdfs)
        self.state.show_view(View.COMPARISON)
        self.comparison_shown.emit(len(records))
