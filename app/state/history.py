"""HistoryState: the run history as the window shows it: the listing, the selection, the undo list.

The store itself (app.record.history.RunHistory, files on disk) is driven by
app.views.history_controller off the GUI thread; it tells this object what
it found. Entries are the store's `HistoryEntry` objects, unreadable files its
`UnreadableRun` objects (app.record.history).

Deleting is immediate (the rows go at once, the files right after); the deleted
records stay here, in the undo list, until the next delete or an undo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.state.events import Event

if TYPE_CHECKING:
    from app.record.history import HistoryEntry, UnreadableRun
    from app.record.schema import RunRecord


class HistoryState:
    def __init__(self) -> None:
        self.entries: list[HistoryEntry] = []  # newest first, as the store lists them
        self.unreadable: list[UnreadableRun] = []  # files in the folder that are not readable runs
        self.selection: list[str] = []  # selected run ids
        self.deleted: list[RunRecord] = []  # records of the last delete, for Undo
        self.deleted_count = 0  # runs that delete removed (unreadable ones have no record to restore)
        self.entries_changed: Event[[list]] = Event("history.entries_changed")
        self.listed: Event[[list]] = Event("history.listed")  # a listing of the store ended (even a failed one)
        self.selection_changed: Event[[list]] = Event("history.selection_changed")
        self.undo_changed: Event[[int]] = Event("history.undo_changed")  # runs Undo would bring back; 0: none
        self.imported: Event[[list, list]] = Event("history.imported")  # entries added, error messages

    # -- the listing -----------------------------------------------------
    def set_listing(self, entries: list[HistoryEntry], unreadable: list[UnreadableRun] | None = None,
                    select: list[str] | None = None) -> None:
        """What the store holds now; `select` sets the selection (default: keep what still exists)."""
        self.entries, self.unreadable = list(entries), list(unreadable or [])
        self.entries_changed.emit(self.entries)
        self._set_selection(self.selection if select is None else select)
        self.listed.emit(self.entries)

    def listing_failed(self) -> None:
        """A listing could not be read: what is shown stays, listeners learn the attempt ended."""
        self.listed.emit(self.entries)

    def remove(self, ids: list[str]) -> None:
        """Runs being deleted leave the listing at once (the store follows)."""
        gone = set(ids)
        self.entries = [e for e in self.entries if e.id not in gone]
        self.entries_changed.emit(self.entries)
        self._set_selection(self.selection)

    def ids(self) -> list[str]:
        return [e.id for e in self.entries]

    def names(self) -> dict[str, str]:
        """run id -> the name shown (its display name, else its id)."""
        return {e.id: e.display_name or e.id for e in self.entries}

    def created(self, run_id: str) -> str:
        return next((e.created_utc for e in self.entries if e.id == run_id), "")

    # -- selection -------------------------------------------------------
    def select(self, ids: list[str]) -> None:
        self._set_selection(ids)

    def _set_selection(self, ids: list[str]) -> None:
        known = set(self.ids())
        ids = [i for i in dict.fromkeys(ids) if i in known]
        if ids != self.selection:
            self.selection = ids
            self.selection_changed.emit(ids)

    # -- delete and undo -------------------------------------------------
    def set_deleted(self, records: list[RunRecord], count: int | None = None) -> None:
        """A delete finished: `records` can be restored by Undo (replacing the previous delete's)."""
        self.deleted = list(records)
        self.deleted_count = len(records) if count is None else count
        self.undo_changed.emit(self.deleted_count)

    @property
    def can_undo(self) -> bool:
        return bool(self.deleted)

    def take_undo(self) -> list[RunRecord]:
        """The records to restore (the undo list empties: Undo works once)."""
        records, self.deleted, self.deleted_count = self.deleted, [], 0
        self.undo_changed.emit(0)
        return records

    def note_imported(self, entries: list[HistoryEntry], errors: list[str]) -> None:
        self.imported.emit(entries, errors)
