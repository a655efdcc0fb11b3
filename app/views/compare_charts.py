"""Comparison charts: every run's latency CDF overlaid, and bars for p50 / p99 / throughput / energy.

Shared by the in-app comparison view and the fixed-size PNG export; colours
come from a ChartColors (light or dark) handed in, never from global state,
so an export can be dark while the app is light. A missing value is a dashed
"N/A" box, never a zero-length bar.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.common.fmt import fmt_num
from app.record.schema import RunRecord
from app.report.comparison import ComparisonRow
from app.report.svg import BAR_METRICS, log_ticks
from app.views.plain import esc
from app.views.theme import ChartColors

MAX_CDF_POINTS = 1000
LOG_SPREAD = 20.0  # log x axis when the slowest latency is 20x the fastest


def cdf_points(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    """(latency ms sorted, cumulative share) of a record's samples, at most MAX_CDF_POINTS, ends included."""
    x = np.asarray(record.latency.samples, dtype=np.float64) * 1e3
    x = np.sort(x[np.isfinite(x) & (x > 0)])
    f = np.arange(1, x.size + 1) / max(1, x.size)
    if x.size > MAX_CDF_POINTS:
        pick = np.unique(np.linspace(0, x.size - 1, MAX_CDF_POINTS).round().astype(int))
        x, f = x[pick], f[pick]
    return x, f


def run_color(colors: ChartColors, i: int) -> str:
    return colors.series[i % len(colors.series)]


class CdfPlot(pg.PlotWidget):
    """One curve per run: the further left, the faster; the flatter the top, the spikier the tail."""

    def __init__(self, colors: ChartColors, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=colors.background)
        self.colors = colors
        self.curves: list[pg.PlotDataItem] = []
        item = self.getPlotItem()
        item.setTitle("<b>Latency distribution (CDF) per run</b>", color=colors.foreground, size="10pt")
        item.setLabel("bottom", "latency (ms)", color=colors.foreground)
        item.setLabel("left", "share of inferences ≤ latency", color=colors.foreground)
        item.showGrid(x=True, y=True, alpha=0.35)
        item.getAxis("bottom").setStyle(maxTickLevel=0)  # major grid lines only: readable at a glance
        item.setMenuEnabled(False)
        item.hideButtons()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(colors.muted))
            axis.setTextPen(pg.mkPen(colors.foreground))
        item.getAxis("left").setTicks([[(q, f"{q:.0%}") for q in (0, 0.25, 0.5, 0.75, 1.0)], []])
        item.getAxis("left").enableAutoSIPrefix(False)
        item.getAxis("bottom").enableAutoSIPrefix(False)
        dash = pg.mkPen(colors.muted, width=1, style=Qt.PenStyle.DashLine)
        for q, label, anchor in ((0.5, "p50", (0, 1)), (0.99, "p99", (0, 0))):  # p99's label under its line
            line = pg.InfiniteLine(pos=q, angle=0, pen=dash, label=label,
                                   labelOpts={"position": 0.02, "color": colors.muted, "anchors": [anchor, anchor]})
            item.addItem(line, ignoreBounds=True)
        self.legend = item.addLegend(offset=(-10, -40), labelTextColor=colors.foreground,
                                     brush=pg.mkBrush(colors.background + "e0"), pen=pg.mkPen(colors.grid))
        self.log_x = False

    def set_runs(self, records: list[RunRecord], names: list[str], cdfs: list | None = None) -> None:
        item = self.getPlotItem()
        for curve in self.curves:
            item.removeItem(curve)
        self.curves.clear()
        self.legend.clear()
        cdfs = cdfs or [cdf_points(r) for r in records]
        present = [x for x, _ in cdfs if x.size]
        lo = min((float(x[0]) for x in present), default=1.0)
        hi = max((float(x[-1]) for x in present), default=1.0)
        self.log_x = lo > 0 and hi / lo > LOG_SPREAD
        item.setLogMode(x=self.log_x, y=False)
        item.setLabel("bottom", "latency (ms)" + (", log scale" if self.log_x else ""), color=self.colors.foreground)
        for i, ((x, f), name) in enumerate(zip(cdfs, names, strict=True)):
            label = esc(name)  # legend labels are HTML (pyqtgraph LabelItem); run names come from records
            if not x.size:
                self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(self.colors.muted)), f"{label} (no latency samples)")
                continue
            curve = pg.PlotDataItem(x, f, pen=pg.mkPen(run_color(self.colors, i), width=2.5), name=label,
                                    stepMode=None)
            item.addItem(curve)
            self.curves.append(curve)
        # log scale: 1-2-5 ticks per decade, as the SVG's (pyqtgraph's own crowd 2*10^1 3*10^1 ... together)
        item.getAxis("bottom").setTicks([[(math.log10(t), fmt_num(t)) for t in log_ticks(lo, hi)], []]
                                        if self.log_x else None)
        if present:
            if self.log_x:
                item.setXRange(math.log10(lo) - 0.05, math.log10(hi) + 0.05, padding=0)
            else:
                pad = (hi - lo) * 0.05 or hi * 0.05 or 1.0
                item.setXRange(max(0.0, lo - pad), hi + pad, padding=0)
        item.setYRange(-0.02, 1.03, padding=0)


class BarsWidget(QWidget):
    """p50, p99, throughput and energy per inference in a 2 x 2 grid of bar panels, one bar per run."""

    def __init__(self, colors: ChartColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        self.rows: list[ComparisonRow] = []
        self.na_cells: list[tuple[str, str]] = []  # (metric, run) drawn as N/A: for tests and tooltips
        self.drawn_names: list[str] = []  # the run names as the last paint drew them (elided or whole)
        self.setMinimumSize(420, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_rows(self, rows: list[ComparisonRow]) -> None:
        self.rows = rows
        self.na_cells = [(key, row.run) for key, _, _ in BAR_METRICS for row in rows
                         if not _value_ok(getattr(row, key))]
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.colors.background))
        # One column of four panels while the bars fit (wide labels), else a 2 x 2 grid.
        line_h = self.fontMetrics().height()
        one_column = 4 * (2 * line_h + 12 + max(1, len(self.rows)) * 22) <= self.height()
        cols = 1 if one_column else 2
        w, h = self.width() / cols, self.height() / (4 // cols)
        self.drawn_names = []
        for k, (key, title, fmt) in enumerate(BAR_METRICS):
            self._panel(p, QRectF((k % cols) * w, (k // cols) * h, w, h).adjusted(8, 4, -8, -6), key, title, fmt)
        p.end()

    def _panel(self, p: QPainter, box: QRectF, key: str, title: str, fmt) -> None:
        c = self.colors
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(c.foreground))
        wrap = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        head = p.fontMetrics().boundingRect(QRectF(box.left(), box.top(), box.width(), 1e4).toRect(), wrap, title)
        p.drawText(QRectF(box.left(), box.top(), box.width(), head.height()), wrap, title)  # wraps, never cut
        p.setFont(self.font())
        fm = p.fontMetrics()
        n = max(1, len(self.rows))
        top = box.top() + head.height() + 6
        value_w = 96.0
        names_w = max((fm.horizontalAdvance(row.run) for row in self.rows), default=0) + 8
        # Names beside the bars while they fit in a third of the panel; else each name on its own line above
        # its bar, as wide as the panel: a run name is never cut in the middle.
        room = (box.bottom() - top) / n
        stacked = names_w > box.width() * 0.34 and room >= fm.height() + 12  # else: no room for a line each
        label_w = 0.0 if stacked else min(names_w, box.width() * 0.34)
        name_h = fm.height() if stacked else 0.0
        slot = min(34.0 + name_h, room)
        bar_h = max(6.0, slot - 8 - name_h)
        x0, x1 = box.left() + label_w + (0 if stacked else 8), box.right() - value_w
        values = [getattr(row, key) for row in self.rows]
        finite = [v for v in values if _value_ok(v)]
        vmax = max(finite) if finite and max(finite) > 0 else 1.0
        p.setPen(QPen(QColor(c.grid)))
        p.drawLine(int(x0), int(top - 2), int(x0), int(top + n * slot))
        for i, (row, v) in enumerate(zip(self.rows, values, strict=True)):
            y = top + i * slot
            p.setPen(QColor(c.foreground))
            if stacked:
                name = fm.elidedText(row.run, Qt.TextElideMode.ElideRight, int(box.right() - x0 - 4))
                p.drawText(QRectF(x0 + 4, y, box.right() - x0 - 4, name_h),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
                y += name_h
            else:  # cut at the end if at all: the start of a run name (the target) is what tells runs apart
                name = fm.elidedText(row.run, Qt.TextElideMode.ElideRight, int(label_w))
                p.drawText(QRectF(box.left(), y, label_w, bar_h), Qt.AlignmentFlag.AlignRight |
                           Qt.AlignmentFlag.AlignVCenter, name)
            self.drawn_names.append(name)
            if _value_ok(v):
                bw = max(1.5, v / vmax * (x1 - x0))
                p.fillRect(QRectF(x0, y, bw, bar_h), QColor(run_color(c, i)))
                p.setPen(QColor(c.foreground))
                p.drawText(QRectF(x0 + bw + 6, y, value_w + (x1 - x0 - bw), bar_h),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, fmt(v))
            else:  # a labelled gap: N/A must not read as zero
                pen = QPen(QColor(c.muted))
                pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                gap = QRectF(x0 + 2, y, 64, bar_h)
                p.drawRect(gap)
                p.drawText(gap, Qt.AlignmentFlag.AlignCenter, "N/A")


def _value_ok(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
