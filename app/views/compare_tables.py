"""The comparison's tables, filled from app.report.comparison (shared by the view and the PNG export).

Runs: one row per run, the baseline's row marked, speed-up vs the baseline,
placement share, output check and error, precision, energy; N/A for a
missing value, never 0. What differs: every settings / versions / host key
(all of them, or only those that differ), cells that differ from the
baseline's value highlighted.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.common.fmt import NA, PENDING, fmt_value
from app.record.schema import RunRecord, RunStatus
from app.record.typed import to_json
from app.report import facts
from app.report.comparison import (
    DIFF_IGNORED,
    DIFF_SECTIONS,
    CheckState,
    ComparisonRow,
    differing_keys,
    flatten,
    format_cell,
)
from app.views.compare_charts import run_color
from app.views.plain import tip
from app.views.theme import ChartColors

RUN_COLUMNS = (("run", "Run"), ("target", "Target"), ("host", "Host"), ("status", "Status"), ("p50_ms", "p50"),
               ("p99_ms", "p99"), ("throughput_per_s", "Throughput"), ("speedup_vs_baseline", "Speed-up"),
               ("accelerator_share", "On accel"), ("output_check", "Output check"), ("max_abs_error", "Max err"),
               ("precision", "Precision"), ("energy_mj_per_inference", "Energy / inf"))
TIPS = {"speedup_vs_baseline": "baseline p50 / this run's p50 (with a throughput-mode run on either side: this run's "
                               "rate / the baseline's): 2.00× is twice as fast as the baseline",
        "accelerator_share": "share of the graph's nodes placed on the target's device (0 %: CPU fallback)",
        "max_abs_error": "worst absolute output difference from the ONNX Runtime CPU reference",
        "energy_mj_per_inference": "energy per inference, when a power source covers the device"}


def new_table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
    return t


def cell_text(key: str, v) -> str:
    """The same text as the CLI table and the HTML report, with a real times sign."""
    return format_cell(key, v, times="\u00d7")


# Columns whose text depends on the rest of the row (a count beside a small sample's statistics, why a share
# or a precision is missing): ComparisonRow.cell, as in the CLI table and the HTML report.
_ROW_CELLS = ("p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline", "accelerator_share", "precision")


def _swatch(color: str) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(QColor(color))
    return QIcon(pix)


def _value(row: ComparisonRow, key: str):
    v = getattr(row, key)
    return v.value if isinstance(v, enum.Enum) else v


def fill_runs(t: QTableWidget, rows: list[ComparisonRow], baseline: int, colors: ChartColors) -> None:
    t.setRowCount(len(rows))
    base_brush = QBrush(QColor(colors.base))
    check_colors = {CheckState.PASSED: colors.ok, CheckState.FAILED: colors.error}
    for r, row in enumerate(rows):
        for c, (key, _) in enumerate(RUN_COLUMNS):
            text = row.cell(key, times="\u00d7") if key in _ROW_CELLS else cell_text(key, _value(row, key))
            if key == "speedup_vs_baseline" and r == baseline:
                text = "baseline"
            item = QTableWidgetItem(text)
            if key == "run":
                item.setIcon(_swatch(run_color(colors, r)))
                item.setToolTip(tip(f"{row.run}\nmodel: {row.model or '?'}"))
            elif key in TIPS:
                item.setToolTip(TIPS[key])
            if key in ("p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline", "accelerator_share",
                       "max_abs_error", "energy_mj_per_inference"):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if text.startswith(NA) or text in (facts.NOT_MEASURED, facts.ON_CPU):
                item.setForeground(QBrush(QColor(colors.muted)))
            elif key == "output_check":
                item.setForeground(QBrush(QColor(check_colors.get(row.output_check, colors.foreground))))
            elif key == "status" and row.status is not RunStatus.COMPLETED:
                item.setForeground(QBrush(QColor(colors.warn)))
            if r == baseline:
                item.setBackground(base_brush)
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            t.setItem(r, c, item)


def _show(v) -> str:
    return fmt_value(v, na=PENDING)


def diff_rows(records: list[RunRecord], show_all: bool) -> list[tuple[str, list]]:
    """("section.key", one value per run), differing keys only unless show_all."""
    differ = differing_keys(records)
    out = []
    for section in DIFF_SECTIONS:
        flat = [flatten(to_json(getattr(r, section))) for r in records]
        keys = sorted(set().union(*flat) - DIFF_IGNORED.get(section, set()))
        for key in keys:
            if show_all or key in differ[section]:
                out.append((f"{section}.{key}", [f.get(key) for f in flat]))
    return out


def fill_diffs(t: QTableWidget, records: list[RunRecord], names: list[str], baseline: int, colors: ChartColors,
               show_all: bool = False) -> int:
    """Fill the 'what differs' table; returns how many keys differ."""
    t.setColumnCount(1 + len(names))
    t.setHorizontalHeaderLabels(["Setting / version / host", *names])
    rows = diff_rows(records, show_all)
    differ = {f"{s}.{k}" for s, keys in differing_keys(records).items() for k in keys}
    t.setRowCount(len(rows))
    diff_brush = QBrush(QColor(colors.diff))
    bold = QFont(t.font())
    bold.setBold(True)
    for r, (key, values) in enumerate(rows):
        head = QTableWidgetItem(key)
        if key in differ:
            head.setFont(bold)
            head.setToolTip("differs between the runs")
        t.setItem(r, 0, head)
        for c, v in enumerate(values):
            item = QTableWidgetItem(_show(v))
            item.setToolTip(tip(_show(v)))
            if key in differ and v != values[baseline]:
                item.setBackground(diff_brush)
                item.setToolTip(tip(f"{_show(v)}\n(baseline: {_show(values[baseline])})"))
            t.setItem(r, c + 1, item)
    return len(differ)
