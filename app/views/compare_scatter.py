"""The speed-vs-accuracy scatter of a comparison: p50 latency across, the eval's headline metric up.

One dot per run in its series colour (the CDF's and the bars'), labelled with
its name as plain text; the Pareto front ringed in the palette's `ok` colour
and joined by a dashed staircase; under the chart, the front and the runs
not plotted, with the reason, in words. The points come from
app.report.accuracy_scatter, the same as the SVG and the HTML report. A log
latency axis is drawn by placing log10(ms) with ticks at 1-2-5 ms values,
so the labels stay true whatever the axis.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.common.fmt import fmt_num
from app.record.schema import RunRecord
from app.report.accuracy_scatter import Scatter, front_text, label_slots, left_out_text, speed_accuracy
from app.report.scatter_svg import x_range, y_range
from app.report.svg import log_ticks, nice_ticks
from app.views.chart_plots import style_static_plot
from app.views.plain import plain
from app.views.theme import ChartColors

GAP_PX = 10  # between a point and its label


def _x(s: Scatter, ms: float) -> float:
    return math.log10(ms) if s.log_x else ms


class ScatterPlot(QWidget):
    """The chart and its two lines of text; `scatter` is what was drawn (for tests and exports)."""

    def __init__(self, colors: ChartColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        self.scatter = Scatter("")
        self.labels: list[pg.TextItem] = []
        self.plot = pg.PlotWidget(background=colors.background)
        item = self.plot.getPlotItem()
        style_static_plot(item, colors)
        self.front_label = plain(QLabel())
        self.front_label.setWordWrap(True)
        self.left_out_label = plain(QLabel())
        self.left_out_label.setWordWrap(True)
        muted = self.left_out_label.palette()
        muted.setColor(QPalette.ColorRole.WindowText, QColor(colors.muted))
        self.left_out_label.setPalette(muted)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        item.vb.sigResized.connect(self._on_view_resized)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.front_label)
        lay.addWidget(self.left_out_label)

    def set_runs(self, records: list[RunRecord], names: list[str], baseline: int = 0) -> Scatter:
        self.scatter = s = speed_accuracy(records, names, baseline)
        item = self.plot.getPlotItem()
        item.clear()
        self.labels = []
        c = self.colors
        title = "Speed vs accuracy" + (f": p50 latency and {s.metric} per run" if s.metric else "")
        item.setTitle(f"<b>{title}</b>", color=c.foreground, size="10pt")  # the metric is one of ours, not a name
        self.front_label.setText(front_text(s))
        self.left_out_label.setText(left_out_text(s))
        self.left_out_label.setVisible(bool(s.left_out))
        if not s.points:
            return s
        self._axes(s)
        front = s.front
        if len(front) > 1:
            xs, ys = [], []
            for k, p in enumerate(front):  # the staircase: what the front offers at each latency
                xs.append(_x(s, p.p50_ms))
                ys.append(p.value * 100)
                if k + 1 < len(front):
                    xs.append(_x(s, front[k + 1].p50_ms))
                    ys.append(p.value * 100)
            item.addItem(pg.PlotDataItem(xs, ys, pen=pg.mkPen(c.ok, width=2, style=Qt.PenStyle.DashLine)))
        rings = [p for p in s.points if p.pareto]
        item.addItem(pg.ScatterPlotItem([_x(s, p.p50_ms) for p in rings], [p.value * 100 for p in rings], size=22,
                                        pen=pg.mkPen(c.ok, width=2.5), brush=None))
        for p in s.points:
            x, y = _x(s, p.p50_ms), p.value * 100
            color = c.series[p.run % len(c.series)]
            item.addItem(pg.ScatterPlotItem([x], [y], size=12, pen=pg.mkPen(c.background), brush=pg.mkBrush(color)))
            label = pg.TextItem(p.name)  # TextItem(text) shows plain text: the name is never parsed as markup
            label.setColor(c.foreground)
            label.setPos(x, y)
            item.addItem(label)
            self.labels.append(label)
        self._place_labels()
        return s

    def _on_view_resized(self, *_args) -> None:
        self._place_labels()

    def _place_labels(self) -> None:
        """Each label beside its point (ending at it in the right half), in the first slot above or below
        that no other label covers (accuracy_scatter.label_slots), at the view's current size in pixels."""
        vb = self.plot.getPlotItem().vb
        if not self.labels or vb.width() <= 0:
            return
        fm = QFontMetrics(self.labels[0].textItem.font())
        line = self.labels[0].boundingRect().height() or fm.height() + 4  # the anchor's unit: the item's height
        xy, boxes, widths = [], [], []
        for label, p in zip(self.labels, self.scatter.points, strict=True):
            pos = vb.mapFromView(QPointF(_x(self.scatter, p.p50_ms), p.value * 100))
            width = label.boundingRect().width() or fm.horizontalAdvance(p.name) + 8
            end = pos.x() > vb.width() / 2
            xy.append((pos.x(), pos.y()))
            boxes.append((pos.x() - GAP_PX - width, pos.x() - GAP_PX) if end else (pos.x() + GAP_PX,
                                                                                  pos.x() + GAP_PX + width))
            widths.append(width)
        for label, (x, _), (left, _), width, k in zip(self.labels, xy, boxes, widths, label_slots(xy, boxes, line, (0.0, vb.height())),
                                                       strict=True):
            rows = 1.1 + k // 2 if k % 2 == 0 else -0.1 - k // 2  # the anchor's y: in text heights, up from the point
            label.setAnchor(((x - left) / width, rows))  # x: the label's left edge at `left`

    def _axes(self, s: Scatter) -> None:
        item = self.plot.getPlotItem()
        c = self.colors
        xlo, xhi = x_range(s)
        ylo, yhi = y_range(s)
        item.setLabel("bottom", "p50 latency (ms)" + (", log scale" if s.log_x else "") + " ← faster",
                      color=c.foreground)
        item.setLabel("left", f"{s.metric} (%) ↑ better", color=c.foreground)
        ticks = log_ticks(xlo, xhi) if s.log_x else nice_ticks(xlo, xhi)
        item.getAxis("bottom").setTicks([[(_x(s, t), fmt_num(t)) for t in ticks], []])
        item.getAxis("left").setTicks([[(t, f"{fmt_num(t)}%") for t in nice_ticks(ylo * 100, yhi * 100)], []])
        item.setXRange(_x(s, xlo), _x(s, xhi), padding=0)
        item.setYRange(ylo * 100, yhi * 100, padding=0)
