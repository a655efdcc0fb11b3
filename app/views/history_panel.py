"""HistoryPanel: every stored run (app.record.history), newest first.

Rename in place (double-click the name, or F2), delete with an Undo strip
(no dialog: nothing blocks the event loop or a test), show the folder, import
run files, select two or more and Compare. The panel only shows and asks; the
window (HistoryMixin) talks to the history store off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common import fmt
from app.views.banner import Banner
from app.views.plain import plain, tip

if TYPE_CHECKING:
    from app.record.history import HistoryEntry, UnreadableRun

COLUMNS = ("Name", "Model", "Target", "Date", "p50", "Throughput", "Status", "Host")
DATE_COLUMN = COLUMNS.index("Date")
ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FILL_ROWS = 25  # history rows filled per event-loop turn (~0.3-0.6 ms a row here)


class _Item(QTableWidgetItem):
    """Sorts by a key (numbers as numbers, N/A last), shows text."""

    def __lt__(self, other) -> bool:  # noqa: D105
        a, b = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if a is None or b is None:
            return super().__lt__(other)
        return a < b


def _local_date(utc: str | None) -> str:
    try:
        return dt.datetime.fromisoformat(str(utc)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(utc or "—")


def _num(v: float | None) -> float:
    """A sort key: the number, or +inf when it is missing (N/A sorts last)."""
    n = fmt.number(v)
    return math.inf if n is None else n


class HistoryPanel(QWidget):
    compare_requested = Signal(list)  # run ids (2+)
    open_requested = Signal(str)  # run id: show its results
    rename_requested = Signal(str, str)  # run id, new name ("" = default)
    delete_requested = Signal(list)  # run ids
    undo_requested = Signal()
    import_requested = Signal()
    reveal_requested = Signal()
    publish_requested = Signal(list)  # run ids: to the team's tracking server (TeamController)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[HistoryEntry] = []
        self._filling = False
        self._pending: tuple[int, list[str]] | None = None  # (next row to fill, run ids to select after)
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(lambda: self._fill_rows(FILL_ROWS))
        self.table = QTableWidget(0, len(COLUMNS))
        t = self.table
        t.setHorizontalHeaderLabels(COLUMNS)
        t.verticalHeader().setVisible(False)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        t.setAlternatingRowColors(True)
        # Newest first until the user clicks another header; that choice then holds through every refill.
        t.horizontalHeader().setSortIndicator(DATE_COLUMN, Qt.SortOrder.DescendingOrder)
        t.setSortingEnabled(True)
        self._resize_to_contents()
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
        t.itemChanged.connect(self._on_table_item_changed)
        t.itemSelectionChanged.connect(self._update_buttons)
        t.cellActivated.connect(lambda row, col: col != 0 and self._open_row(row))
        self.undo_banner = Banner()
        self.unreadable = plain(QLabel())  # file names and reasons: untrusted text
        self.unreadable.setWordWrap(True)
        self.unreadable.setVisible(False)
        self.buttons = {}
        bar = QHBoxLayout()
        for key, text, hint in (("compare", "Compare", "Compare the selected runs (select two or more)"),
                                ("open", "Show Results", "Show the selected run in the results panel"),
                                ("rename", "Rename", "Give the selected run a name (F2; empty = default)"),
                                ("delete", "Delete", "Delete the selected runs (Del; undo right after)"),
                                ("import", "Import…", "Add run files from another machine or a share bundle"),
                                ("publish", "Publish", "Publish the selected runs to the team's MLflow tracking "
                                                       "server (History > Team server; docs/team.md)"),
                                ("reveal", "Show Folder", "Open the folder where the runs are kept")):
            b = QPushButton(text)
            b.setToolTip(hint)
            bar.addWidget(b)
            self.buttons[key] = b
            if key == "open":
                bar.addStretch(1)
        self.buttons["compare"].setDefault(True)
        self.buttons["compare"].clicked.connect(lambda: self.compare_requested.emit(self.selected_ids()))
        self.buttons["open"].clicked.connect(lambda: self._open_row(self.table.currentRow()))
        self.buttons["rename"].clicked.connect(self._on_rename_clicked)
        self.buttons["delete"].clicked.connect(self._on_delete_clicked)
        self.buttons["import"].clicked.connect(self.import_requested)
        self.buttons["reveal"].clicked.connect(self.reveal_requested)
        self.buttons["publish"].clicked.connect(lambda: self.publish_requested.emit(self.selected_ids()))
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), t)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self._on_delete_clicked)
        self.empty = QLabel("No runs yet. Every run you make is kept here; File > Import Runs… (or dropping "
                            ".json run files on the window) adds runs from elsewhere.")
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.undo_banner)
        lay.addWidget(self.empty)
        lay.addWidget(t, 1)
        lay.addWidget(self.unreadable)
        self._update_buttons()

    # -- filling ---------------------------------------------------------
    def set_entries(self, entries: list[HistoryEntry], unreadable: list[UnreadableRun] | None = None,
                    select: list[str] | None = None) -> None:
        """Show the history (newest first); `select` keeps (or sets) the selection by run id.

        The first FILL_ROWS rows are filled now, the rest FILL_ROWS per event-loop turn: the list is
        refilled after every run, and 500 runs took ~0.3 s of the GUI thread in one go (issue #19).
        Reading the table through this panel (names, selection, a row) finishes the fill first."""
        keep = select if select is not None else (self._pending[1] if self._pending else self.selected_ids())
        self.entries = entries
        t = self.table
        self._filling = True
        t.setSortingEnabled(False)
        # Column widths follow the contents once, at the end: re-measured per item that was O(rows) per item
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        t.setRowCount(len(entries))
        self._pending = (0, keep)
        self._fill_rows(FILL_ROWS)
        bad = unreadable or []
        self.unreadable.setText("Not readable (kept on disk, not listed): " + "; ".join(
            f"{b.file}: {b.reason}" for b in bad[:5]) + (f" … +{len(bad) - 5}" if len(bad) > 5 else ""))
        self.unreadable.setVisible(bool(bad))
        self.empty.setVisible(not entries)

    def _fill_rows(self, count: int | None) -> None:
        """Fill the next `count` rows (None: all the rest); after the last, sort and restore the selection."""
        if self._pending is None:
            return
        start, keep = self._pending
        end = len(self.entries) if count is None else min(len(self.entries), start + count)
        for r in range(start, end):
            self._fill_row(r, self.entries[r])
        if end < len(self.entries):
            self._pending = (end, keep)
            self._fill_timer.start()
            return
        self._pending = None
        self._fill_timer.stop()
        self._resize_to_contents()
        self.table.setSortingEnabled(True)
        self._filling = False
        self.select_ids(keep)

    def _resize_to_contents(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _finish_fill(self) -> None:
        self._fill_rows(None)

    def _fill_row(self, r: int, e: HistoryEntry) -> None:
        rate = fmt.number(e.throughput_per_s)
        values = (
            (e.display_name or e.id, e.display_name),
            (e.model or "—", e.model),
            (e.target or "—", e.target),
            (_local_date(e.created_utc), e.created_utc),
            (fmt.fmt_ms(e.p50_s, compact=True, na=fmt.PENDING), _num(e.p50_s)),
            (fmt.fmt_rate(rate, na=fmt.PENDING), math.inf if rate is None else -rate),
            (e.status.value, e.status.value),
            (e.host or "—", e.host),
        )
        t = self.table
        for c, (text, key) in enumerate(values):
            item = _Item(str(text))
            item.setData(SORT_ROLE, key)
            item.setData(ID_ROLE, e.id)
            if c:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c in (4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            else:
                item.setToolTip(tip(f"{e.id}\nDouble-click to rename." + (
                    f"\nImported from {e.imported_from}" if e.imported_from else "")))
            t.setItem(r, c, item)

    def row_of(self, run_id: str) -> int:
        self._finish_fill()
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(ID_ROLE) == run_id:
                return r
        return -1

    def names(self) -> dict[str, str]:
        """run id -> the name shown."""
        self._finish_fill()
        return {self.table.item(r, 0).data(ID_ROLE): self.table.item(r, 0).text()
                for r in range(self.table.rowCount()) if self.table.item(r, 0) is not None}

    def selected_ids(self) -> list[str]:
        self._finish_fill()
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(ID_ROLE) for r in rows if self.table.item(r, 0) is not None]

    def select_ids(self, ids: list[str]) -> None:
        self._finish_fill()
        t = self.table
        t.clearSelection()
        mode = t.selectionMode()
        t.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for run_id in ids:
            r = self.row_of(run_id)
            if r >= 0:
                t.selectRow(r)
        t.setSelectionMode(mode)
        self._update_buttons()

    # -- actions ---------------------------------------------------------
    def _update_buttons(self) -> None:
        n = len({i.row() for i in self.table.selectedIndexes()})  # rows, filled or not: no _finish_fill
        self.buttons["compare"].setEnabled(n >= 2)
        self.buttons["compare"].setText(f"Compare ({n})" if n >= 2 else "Compare")
        for key in ("open", "rename"):
            self.buttons[key].setEnabled(n == 1)
        self.buttons["delete"].setEnabled(n >= 1)
        self.buttons["publish"].setEnabled(n >= 1)

    def _open_row(self, row: int) -> None:
        item = self.table.item(row, 0) if row >= 0 else None
        if item is not None:
            self.open_requested.emit(item.data(ID_ROLE))

    def _on_rename_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.table.editItem(self.table.item(self.row_of(ids[0]), 0))

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        self.rename_requested.emit(item.data(ID_ROLE), item.text().strip())

    def _on_delete_clicked(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.delete_requested.emit(ids)

    def show_undo(self, count: int) -> None:
        self.undo_banner.show_message("info", f"Deleted {count} run{'s' if count != 1 else ''}.",
                                      "The files are gone from the history folder; Undo puts them back.",
                                      ("Undo", self.undo_requested.emit))
