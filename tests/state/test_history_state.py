"""HistoryState without Qt: listing, selection, delete + undo."""

from __future__ import annotations

from app.record.history import HistoryEntry, UnreadableRun


def _entries(*ids: str) -> list[HistoryEntry]:
    return [HistoryEntry(id=i, file=f"{i}.json", display_name="" if i == "c" else f"run {i}",
                         created_utc=f"2026-01-0{n + 1}") for n, i in enumerate(ids)]


def test_listing_and_selection(state, rec):
    h = state.history
    rec.watch("entries", h.entries_changed)
    rec.watch("listed", h.listed)
    rec.watch("selection", h.selection_changed)
    h.set_listing(_entries("a", "b", "c"), [UnreadableRun(id="x", file="x.json", reason="not JSON")],
                  select=["b", "zz", "b"])
    assert h.ids() == ["a", "b", "c"] and h.unreadable[0].file == "x.json"
    assert h.selection == ["b"]  # unknown ids dropped, duplicates once
    h.select(["a", "c"])
    h.select(["a", "c"])  # no change, no event
    assert rec.of("selection") == [(["b"],), (["a", "c"],)]
    h.set_listing(_entries("a", "b"))  # c is gone: so is its selection
    assert h.selection == ["a"]
    assert rec.names().count("listed") == 2
    assert h.names() == {"a": "run a", "b": "run b"} and h.created("b") == "2026-01-02" and h.created("q") == ""
    h.listing_failed()
    assert rec.names()[-1] == "listed" and h.ids() == ["a", "b"]


def test_delete_then_undo(state, rec):
    h = state.history
    h.set_listing(_entries("a", "b", "c"), select=["a", "b"])
    rec.watch("entries", h.entries_changed)
    rec.watch("undo", h.undo_changed)
    rec.watch("listed", h.listed)
    h.remove(["a", "b"])  # the rows go at once
    assert h.ids() == ["c"] and h.selection == []
    assert rec.of("listed") == []  # not a listing of the store: that comes after the files are gone
    assert not h.can_undo
    records = [{"history": {"id": "a"}}, {"history": {"id": "b"}}]
    h.set_deleted(records, count=2)
    assert h.can_undo and h.deleted_count == 2 and rec.of("undo") == [(2,)]
    assert h.take_undo() == records
    assert not h.can_undo and h.take_undo() == []  # Undo works once
    assert rec.of("undo") == [(2,), (0,), (0,)]


def test_a_new_delete_replaces_the_undo_list(state):
    h = state.history
    h.set_deleted([{"n": 1}])
    h.set_deleted([{"n": 2}, {"n": 3}], count=3)  # one of the three was unreadable: nothing to restore
    assert h.deleted_count == 3 and h.take_undo() == [{"n": 2}, {"n": 3}]


def test_imported_is_announced(state, rec):
    rec.watch("imported", state.history.imported)
    entries = _entries("a")
    state.history.note_imported(entries, ["bad.json: not JSON"])
    assert rec.of("imported") == [(entries, ["bad.json: not JSON"])]
    assert rec.of("imported")[0][0][0].id == "a"
