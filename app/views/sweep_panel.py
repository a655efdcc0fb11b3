"""The Sweep tab: the grid to run, its charts filled live as points finish, the table, the best points, exports.

It edits the SweepState's form (app.state.sweep) and follows its events; Run sweep and
Stop are signals the window hands to the SweepController. Every other setting of a
point (warm-up, iterations, mode, EP options, the inputs' sizes and data) is the Run
setup's, as for a normal run. Exports: CSV (app.report.sweep.to_csv), PNG (the charts as
shown) and the sweep record (JSON), each written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common.errors import UserError
from app.record.sweep import PointStatus, SweepPoint, SweepRecord
from app.report.sweep import best_points, table, to_csv
from app.state.sweep import SweepState
from app.views import theme
from app.views.plain import plain, tip
from app.views.sweep_charts import SweepCharts

NO_DIM = "(none)"


class SweepPanel(QWidget):
    run_requested = Signal()
    stop_requested = Signal()
    exported = Signal(str, str)  # kind (csv / png / json), path

    def __init__(self, state: SweepState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._build()
        state.started.connect(lambda record: self._show(record))
        state.point_started.connect(lambda _point: self._fill_table(state.record))
        state.point_finished.connect(lambda _point: self._show(state.record))
        state.finished.connect(self._on_state_finished)

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.dim = QComboBox()
        self.dim.setToolTip("The symbolic dim of the model to sweep (batch, sequence length, ...).")
        self.dim_values = QLineEdit(self.state.form.dim_values)
        self.dim_values.setPlaceholderText("1,2,4,8")
        self.requests = QLineEdit()
        self.requests.setPlaceholderText("e.g. 1,2,4 (throughput mode)")
        self.requests.setToolTip("Requests in flight, one point each; needs Mode: throughput in Run setup.")
        self.threads = QLineEdit()
        self.threads.setPlaceholderText("e.g. 1,2,4 (blank: the runtime's choice)")
        self.targets = QListWidget()
        self.targets.setMaximumHeight(66)
        self.targets.setToolTip("One line per ticked target in every chart.")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        dim_row = QHBoxLayout()
        dim_row.addWidget(self.dim)
        dim_row.addWidget(QLabel("values"))
        dim_row.addWidget(self.dim_values, 1)
        form.addRow("Dimension", dim_row)
        axis_row = QHBoxLayout()
        axis_row.addWidget(self.requests, 1)
        axis_row.addWidget(QLabel("Threads"))
        axis_row.addWidget(self.threads, 1)
        form.addRow("Requests", axis_row)
        form.addRow("Targets", self.targets)
        self.run_button = QPushButton("Run sweep")
        self.run_button.setToolTip("Run every point: each a whole run with the Run setup's settings.")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the point in flight; the finished points are kept.")
        self.stop_button.setEnabled(False)
        self.status = plain(QLabel("No sweep yet."))
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for w in (self.run_button, self.stop_button):
            buttons.addWidget(w)
        buttons.addWidget(self.status, 1)
        self.export_buttons = {}
        for kind, text in (("csv", "CSV…"), ("png", "PNG…"), ("json", "Sweep record…")):
            b = QPushButton(text)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, k=kind: self._export_dialog(k))
            self.export_buttons[kind] = b
            buttons.addWidget(b)
        self.best = plain(QLabel(""))
        self.best.setWordWrap(True)
        self.best.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.charts = SweepCharts(theme.colors())
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.charts)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.best)
        lay.addWidget(split, 1)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.set_dims([])

    # -- inputs from the window ----------------------------------------------------------------------
    def set_dims(self, dims: list[str]) -> None:
        """The model's symbolic dims; 'batch' (or the first) is picked."""
        current = self.dim.currentText()
        self.dim.clear()
        self.dim.addItems(dims or [NO_DIM])
        self.dim.setEnabled(bool(dims))
        self.dim_values.setEnabled(bool(dims))
        pick = current if current in dims else ("batch" if "batch" in dims else (dims[0] if dims else NO_DIM))
        self.dim.setCurrentText(pick)

    def set_targets(self, ready: list[str], current: str | None) -> None:
        ticked = set(self.checked_targets()) or ({current} if current else set())
        self.targets.clear()
        for tid in ready:
            item = QListWidgetItem(tid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if tid in ticked else Qt.CheckState.Unchecked)
            self.targets.addItem(item)

    def checked_targets(self) -> list[str]:
        return [self.targets.item(i).text() for i in range(self.targets.count())
                if self.targets.item(i).checkState() == Qt.CheckState.Checked]

    def set_can_run(self, can_run: bool, sweeping: bool) -> None:
        self.run_button.setEnabled(can_run and not sweeping)
        self.stop_button.setEnabled(sweeping)
        for w in (self.dim, self.dim_values, self.requests, self.threads, self.targets):
            w.setEnabled(not sweeping and (w not in (self.dim, self.dim_values) or self.dim.currentText() != NO_DIM))

    def set_progress(self, text: str) -> None:
        if text and self.status.text() != text:
            self.status.setText(text)

    # -- the form into the state ---------------------------------------------------------------------
    def _on_run_button_clicked(self) -> None:
        f = self.state.form
        f.dim = "" if self.dim.currentText() == NO_DIM else self.dim.currentText()
        f.dim_values, f.requests, f.threads = self.dim_values.text(), self.requests.text(), self.threads.text()
        f.targets = self.checked_targets()
        self.run_requested.emit()

    # -- the record, shown ---------------------------------------------------------------------------
    def _show(self, record: SweepRecord | None) -> None:
        self.charts.set_record(record)
        self._fill_table(record)
        if record is None:
            return
        done = len([p for p in record.points if p.status is not PointStatus.NOT_RUN])
        self.best.setText("\n".join(b.text(record) for b in best_points(record)) if done else "")
        for b in self.export_buttons.values():
            b.setEnabled(done > 0)

    def _fill_table(self, record: SweepRecord | None) -> None:
        if record is None:
            self.table.setRowCount(0)
            return
        headers, rows = table(record)
        current = self.state.current
        if current is not None:  # the point in flight, not 'pending'
            rows[current.index][len(record.axes) + 1] = "running…"
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, (row, point) in enumerate(zip(rows, record.points, strict=True)):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)  # table items are plain text
                item.setToolTip(tip(_point_tip(point, text)))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _on_state_finished(self, record: SweepRecord) -> None:
        self._show(record)
        failed = len(record.of_status(PointStatus.FAILED))
        stopped = len(record.of_status(PointStatus.NOT_RUN, PointStatus.CANCELLED))
        text = f"Sweep {record.status.value}: {len(record.points)} points"
        if failed:
            text += f", {failed} failed (see the table)"
        if stopped:
            text += f", {stopped} not (fully) run"
        self.status.setText(text + ".")

    # -- exports -------------------------------------------------------------------------------------
    def _export_dialog(self, kind: str) -> None:
        record = self.state.record
        if record is None:
            return
        filters = {"csv": "CSV (*.csv)", "png": "PNG image (*.png)", "json": "Sweep records (*.json)"}
        name = f"sweep-{Path(record.model.display_name).stem}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, "Export sweep", name, filters[kind])
        if path:
            try:
                self.export(kind, path)
            except UserError as e:
                self.status.setText(f"Export failed: {e}")

    def export(self, kind: str, path: str | os.PathLike) -> Path:
        """Write the sweep as csv / png / json (atomically); a UserError names the path."""
        from app.record import io as rec
        from app.record import sweep as sweep_io

        record = self.state.record
        if record is None:
            raise UserError("No sweep to export yet.", hint="Run a sweep first.")
        if kind == "csv":
            out = rec.write_atomic(path, to_csv(record), "CSV")
        elif kind == "json":
            out = sweep_io.save(record, path, "Sweep record")
        else:
            out = rec.write_atomic(path, self.png_bytes(), "PNG")
        self.exported.emit(kind, str(out))
        return out

    def png_bytes(self) -> bytes:
        """The charts (and the missing points' reasons) as shown, as PNG."""
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.charts.grab().toImage().save(buffer, "PNG")
        buffer.close()
        return bytes(data.data())


def _point_tip(point: SweepPoint, text: str) -> str:
    if point.status is PointStatus.FAILED and point.error is not None:
        return f"{point.error.message}\n{point.error.hint}".strip()
    return text
