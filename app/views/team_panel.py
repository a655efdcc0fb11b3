"""TeamPanel: the History tab's "Team server" source: the runs on an MLflow tracking server (docs/team.md).

It lists what app.team.pull.list_runs found (the current model's runs, or every
model's when none is open), and asks to pull selected runs into the local
history, or to pull and compare them. It only shows and asks: the window's
TeamController does the network calls off the GUI thread. Errors (no server,
unreachable, auth refused, MLflow not installed) show inline, in one line.
Everything from the server is untrusted text (app.views.plain).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common import fmt
from app.views.plain import plain

if TYPE_CHECKING:
    from app.team.pull import ServerRun

COLUMNS = ("Name", "Host", "Target", "Date", "p50", "Throughput", "Status")
ID_ROLE = Qt.ItemDataRole.UserRole


def _date(ms: int) -> str:
    if ms <= 0:
        return "—"
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S")


class TeamPanel(QWidget):
    list_requested = Signal(str)  # server URI
    pull_requested = Signal(str, list, bool)  # server URI, MLflow run ids, compare after pulling

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[ServerRun] = []
        self.uri = QLineEdit()
        self.uri.setPlaceholderText("http://tracking-server:5000  (or set MLFLOW_TRACKING_URI)")
        self.uri.setToolTip("The team's MLflow tracking server; saved for the desktop app and the command line "
                            "(`aipcprof history server`).")
        self.uri.returnPressed.connect(self._on_list_clicked)
        self.list_button = QPushButton("List Runs")
        self.list_button.clicked.connect(self._on_list_clicked)
        self.scope = plain(QLabel())  # the model's file name: untrusted text
        self.status = plain(QLabel())
        self.status.setWordWrap(True)
        self.table = self._new_table()
        self.pull_button = QPushButton("Pull into History")
        self.pull_button.setToolTip("Copy the selected runs into this PC's history (validated like an import; "
                                    "a run already there is not copied twice)")
        self.compare_button = QPushButton("Pull and Compare")
        self.compare_button.setDefault(True)
        self.pull_button.clicked.connect(lambda: self._request_pull(False))
        self.compare_button.clicked.connect(lambda: self._request_pull(True))
        top = QHBoxLayout()
        top.addWidget(QLabel("Tracking server:"))
        top.addWidget(self.uri, 1)
        top.addWidget(self.list_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.scope, 1)
        bottom.addWidget(self.pull_button)
        bottom.addWidget(self.compare_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self.set_message("List the runs your team published to its MLflow tracking server.")
        self._update_buttons()

    def _new_table(self) -> QTableWidget:
        t = QTableWidget(0, len(COLUMNS))
        t.setHorizontalHeaderLabels(COLUMNS)
        t.verticalHeader().setVisible(False)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setAlternatingRowColors(True)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        t.itemSelectionChanged.connect(self._update_buttons)
        return t

    # -- what the controller tells it -----------------------------------------
    def set_message(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: palette(highlight); font-weight: bold;" if error else "")

    def set_busy(self, text: str) -> None:
        self.set_message(text)
        for b in (self.list_button, self.pull_button, self.compare_button):
            b.setEnabled(False)

    def set_runs(self, runs: list[ServerRun], scope: str, uri: str) -> None:
        self.runs = runs
        self.scope.setText(scope)
        t = self.table
        t.setRowCount(len(runs))
        for r, run in enumerate(runs):
            values = (run.name, run.host or "—", run.target or "—", _date(run.created_ms),
                      fmt.fmt_ms(run.p50_s, compact=True), fmt.fmt_rate(run.throughput_per_s), run.status or "—")
            for c, text in enumerate(values):
                item = QTableWidgetItem(str(text))
                item.setData(ID_ROLE, run.server_run_id)
                if c in (4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(r, c, item)
        hosts = len({run.host for run in runs})
        self.set_message(f"{len(runs)} run{'s' if len(runs) != 1 else ''} from {hosts} machine"
                         f"{'s' if hosts != 1 else ''} on {uri}." if runs else f"No runs on {uri} for this scope.")
        self._update_buttons()

    def set_idle(self) -> None:
        self.list_button.setEnabled(True)
        self._update_buttons()

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(ID_ROLE) for r in rows if self.table.item(r, 0) is not None]

    def select_all(self) -> None:
        self.table.selectAll()

    # -- actions --------------------------------------------------------------
    def _on_list_clicked(self) -> None:
        self.list_requested.emit(self.uri.text().strip())

    def _request_pull(self, compare: bool) -> None:
        ids = self.selected_ids()
        if ids:
            self.pull_requested.emit(self.uri.text().strip(), ids, compare)

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.list_button.setEnabled(True)
        self.pull_button.setEnabled(n >= 1)
        self.compare_button.setEnabled(n >= 2)
        self.compare_button.setText(f"Pull and Compare ({n})" if n >= 2 else "Pull and Compare")
