"""The History list fills a long history in slices (issue #19): the window is never held for the whole list."""

from __future__ import annotations

from app.record.history import HistoryEntry
from app.views.history_panel import FILL_ROWS, ID_ROLE, HistoryPanel


def _entries(n: int) -> list[HistoryEntry]:
    return [HistoryEntry(id=f"r{i:04d}", file=f"r{i:04d}.json", display_name=f"model_{i}.onnx on ort/cpu",
                         model=f"model_{i}.onnx", target="ort/cpu", created_utc="2026-12-01T10:00:00Z",
                         p50_s=0.001 + i * 1e-6, throughput_per_s=900.0 + i) for i in range(n)]


def _filled(panel: HistoryPanel) -> int:
    return sum(panel.table.item(r, 0) is not None for r in range(panel.table.rowCount()))


def test_a_long_history_fills_in_slices_then_sorts_and_keeps_the_selection(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    n = 4 * FILL_ROWS + 3
    panel.set_entries(_entries(n), select=["r0090", "r0002"])
    assert panel.table.rowCount() == n
    assert _filled(panel) == FILL_ROWS  # the first rows now, the rest on later turns
    assert not panel.table.isSortingEnabled()
    qtbot.waitUntil(lambda: panel.table.isSortingEnabled(), timeout=5_000)
    assert _filled(panel) == n
    assert sorted(panel.selected_ids()) == ["r0002", "r0090"]
    assert panel.buttons["compare"].isEnabled()
    ids = {panel.table.item(r, 0).data(ID_ROLE) for r in range(n)}
    assert ids == {e.id for e in _entries(n)}


def test_reading_the_list_mid_fill_finishes_it_first(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    entries = _entries(3 * FILL_ROWS)
    panel.set_entries(entries)
    assert _filled(panel) == FILL_ROWS
    names = panel.names()  # finishes the fill: every run is there
    assert len(names) == len(entries) and names["r0070"] == "model_70.onnx on ort/cpu"
    assert _filled(panel) == len(entries) and panel.table.isSortingEnabled()
    assert panel.row_of("r0074") >= 0


def test_a_new_listing_mid_fill_replaces_the_old_one(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.set_entries(_entries(3 * FILL_ROWS), select=["r0060"])
    panel.set_entries(_entries(2 * FILL_ROWS + 1))  # the run list changed before the first fill ended
    qtbot.waitUntil(lambda: panel.table.isSortingEnabled(), timeout=5_000)
    assert panel.table.rowCount() == 2 * FILL_ROWS + 1 == _filled(panel)
    assert panel.selected_ids() == []  # r0060 is gone from the list: nothing to select


def test_the_newest_run_is_listed_first_until_the_user_sorts_by_another_column(qtbot):
    from PySide6.QtCore import Qt

    from app.views.history_panel import COLUMNS

    panel = HistoryPanel()
    qtbot.addWidget(panel)
    days = [3, 1, 7, 2]  # not in date order, and names that sort differently from dates
    entries = [HistoryEntry(id=f"r{d}", file=f"r{d}.json", display_name=f"{'zyxw'[i]} run", model="m.onnx",
                            target="ort/cpu", created_utc=f"2026-12-0{d}T10:00:00+00:00", p50_s=0.001 * d,
                            throughput_per_s=100.0) for i, d in enumerate(days)]
    panel.set_entries(entries)
    panel.names()  # the whole list filled and sorted
    order = [panel.table.item(r, 0).data(ID_ROLE) for r in range(len(days))]
    assert order == ["r7", "r3", "r2", "r1"]
    panel.table.sortByColumn(COLUMNS.index("Name"), Qt.SortOrder.AscendingOrder)
    panel.set_entries(list(reversed(entries)))  # the list is refilled after every run: the user's sort holds
    panel.names()
    assert [panel.table.item(r, 0).text() for r in range(len(days))] == ["w run", "x run", "y run", "z run"]
