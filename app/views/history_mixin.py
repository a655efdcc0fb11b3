"""HistoryMixin: the window's run history, imports and comparisons (mixed into MainWindow).

Every call into the history store (app.record.history.RunHistory) runs in
`history_jobs`, a one-thread job queue: off the GUI thread, and one at a time
so two writers never race on the index. Errors end in the inline banner.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from app.common.errors import UserError


def _target(r: dict) -> str:
    return r.target_id or "?"


class HistoryMixin:
    """Needs: history, history_jobs, history_panel, compare_view, views (tabs), results, banner, signals."""

    _deleted: list[dict] | None = None

    def _connect_history(self) -> None:
        p = self.history_panel
        p.compare_requested.connect(self.compare_runs)
        p.open_requested.connect(self.show_run)
        p.rename_requested.connect(self.rename_run)
        p.delete_requested.connect(self.delete_runs)
        p.undo_requested.connect(self.undo_delete)
        p.import_requested.connect(self.import_dialog)
        p.reveal_requested.connect(self.show_runs_folder)
        self.results.compare_requested.connect(self.compare_session)
        self.compare_view.exported.connect(self._on_compare_view_exported)

    # -- listing -----------------------------------------------------------
    def refresh_history(self, select: list[str] | None = None) -> None:
        history = self.history
        self.history_jobs.submit(lambda: (history.list(), history.unreadable()),
                                 lambda res: self._on_history_listed(res, select), self._on_history_failed)

    def _on_history_listed(self, result: tuple, select: list[str] | None) -> None:
        entries, unreadable = result
        self.history_panel.set_entries(entries, unreadable, select)
        self.history_changed.emit(entries)

    def _on_history_failed(self, e: BaseException) -> None:
        if isinstance(e, UserError):
            self.show_error(e.message, e.hint)
        else:
            self.show_error(f"Run history: {e.__class__.__name__}: {e}",
                            f"The history folder is {self.history.root}; check it is readable and writable.")
        self.history_changed.emit(self.history_panel.entries)

    def _on_history_write_failed(self, e: BaseException) -> None:
        """A rename or delete failed: say why, and show the folder as it really is."""
        self._on_history_failed(e)
        self.refresh_history()

    # -- import ------------------------------------------------------------
    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import run files", str(Path.home()),
                                                "Run records (*.json);;All files (*)")
        if paths:
            self.import_runs(paths)

    def import_runs(self, paths: list[str]) -> None:
        """Validate and add run files; bad ones (corrupt, not a run, newer version) get a clear inline error."""
        history = self.history

        def work() -> tuple[list[dict], list[tuple[str, str, str]]]:
            done, failed = [], []
            for path in paths:
                try:
                    done.append(history.import_file(path))
                except UserError as e:
                    failed.append((str(path), e.message, e.hint))
                except OSError as e:
                    failed.append((str(path), f"{path}: {e.strerror or e}", "Check the file and try again."))
            return done, failed

        self.statusBar().showMessage(f"Importing {len(paths)} run file{'s' if len(paths) > 1 else ''}…")
        self.history_jobs.submit(work, self._on_import_done, self._on_history_failed)

    def _on_import_done(self, result: tuple) -> None:
        done, failed = result
        ids = list(dict.fromkeys(e["id"] for e in done))
        if failed:
            if len(failed) == 1:
                _, message, hint = failed[0]
                self.show_error(f"Could not import a run file: {message}", hint)
            else:
                self.show_error(f"Could not import {len(failed)} of {len(failed) + len(done)} files.",
                                " ".join(message for _, message, _ in failed))
        if ids:
            self.statusBar().showMessage(f"Imported {len(ids)} run{'s' if len(ids) > 1 else ''}", 5000)
            self.views.setCurrentWidget(self.history_panel)
        self.refresh_history(select=ids)
        self.runs_imported.emit(done, [message for _, message, _ in failed])
        if len(ids) >= 2:
            self.compare_runs(ids)

    # -- one run -----------------------------------------------------------
    def show_run(self, run_id: str) -> None:
        history = self.history

        def done(res: tuple) -> None:
            record, path = res
            self.results.show_record(record, path)
            self.views.setCurrentIndex(0)

        self.history_jobs.submit(lambda: (history.get(run_id), str(history.path_of(run_id))), done,
                                 self._on_history_failed)

    def rename_run(self, run_id: str, name: str) -> None:
        history = self.history
        self.history_jobs.submit(lambda: history.rename(run_id, name),
                                 lambda _e: self.refresh_history(), self._on_history_write_failed)

    def delete_runs(self, ids: list[str]) -> None:
        """Delete now (the rows go at once); the records stay in memory for Undo until the next delete."""
        history = self.history
        for run_id in ids:
            row = self.history_panel.row_of(run_id)
            if row >= 0:
                self.history_panel.table.removeRow(row)

        def work() -> list[dict]:
            kept = []
            for run_id in ids:
                try:
                    kept.append(history.get(run_id))
                except UserError:
                    pass  # an unreadable file: deleted, nothing to restore
                history.delete(run_id)
            return kept

        def done(kept: list[dict]) -> None:
            self._deleted = kept
            self.history_panel.show_undo(len(ids))
            self.refresh_history()

        self.history_jobs.submit(work, done, self._on_history_write_failed)

    def undo_delete(self) -> None:
        records, self._deleted = self._deleted or [], None
        history = self.history
        if not records:
            return

        def work() -> list[str]:
            return [history.add(r, imported_from=r.history.imported_from if r.history else None)["id"]
                    for r in records]

        self.history_jobs.submit(work, lambda ids: self.refresh_history(select=ids), self._on_history_failed)

    def show_runs_folder(self) -> None:
        folder = self.history.root
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.show_error(f"Cannot create the history folder {folder}: {e.strerror}", "Set AIPCPROF_DATA_DIR.")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- comparison --------------------------------------------------------
    def compare_runs(self, ids: list[str]) -> None:
        if len(ids) < 2:
            self.show_error("Select two or more runs to compare.", "Ctrl+click or Shift+click rows in History.")
            return
        history, shown = self.history, self.history_panel.names()
        when = {e["id"]: e.get("created_utc") or "" for e in self.history_panel.entries}
        ids = sorted(ids, key=lambda i: (when.get(i, ""), i))  # oldest first: the first run is the baseline

        def work() -> tuple:
            from app.views.compare_charts import cdf_points

            records = [history.get(i) for i in ids]
            return records, [str(history.path_of(i)) for i in ids], [cdf_points(r) for r in records]

        def done(res: tuple) -> None:
            from app.record.history import default_name

            records, files, cdfs = res
            names = [shown.get(i) or default_name(r) for i, r in zip(ids, records, strict=True)]
            self.show_comparison(records, names, files, cdfs)

        self.history_jobs.submit(work, done, self._on_history_failed)

    def compare_session(self) -> None:
        """This session's runs (e.g. after Run on All Targets), first one as the baseline."""
        records = list(self.records)
        names = [f"{_target(r)} · {Path(r.model.name or 'model').stem}" for r in records]
        self.show_comparison(records, names)

    def show_comparison(self, records: list[dict], names: list[str], files: list | None = None,
                        cdfs: list | None = None) -> None:
        self.compare_view.set_runs(records, names, files, cdfs=cdfs)
        self.views.setCurrentWidget(self.compare_view)
        self.comparison_shown.emit(len(records))

    def _on_compare_view_exported(self, kind: str, path: str) -> None:
        self.statusBar().showMessage("Comparison image copied to the clipboard" if kind == "clipboard"
                                     else f"Exported {kind.upper()}: {path}", 8000)
