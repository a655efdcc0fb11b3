"""The Sweep tab's charts: p50, p99, throughput and energy per inference against the swept value.

The same data as the SVG (app.report.sweep_chart.chart_data): one line per target (and
per value of the other axes), the swept values as evenly spaced categories, a gap
(NaN, drawn as a break) where a point has no value, and the reasons listed under the
charts. Colours come from app.views.theme (app.report.palette), in series order.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.common.fmt import fmt_num
from app.record.sweep import SweepRecord
from app.report.sweep_chart import ChartData, Line, chart_data, metrics, missing_notes
from app.views.chart_plots import style_static_plot
from app.views.plain import WrapLabel, esc, plain, rich
from app.views.theme import ChartColors


def _line_values(line: Line) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in line.values], dtype=np.float64)


class NumberAxis(pg.AxisItem):
    """Tick labels through app.common.fmt ('1,200,000', not '1.2e+06')."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        return [fmt_num(v * scale) for v in values]


class SweepPlot(pg.PlotWidget):
    """One metric: a line per target over the swept values."""

    def __init__(self, title: str, colors: ChartColors, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=colors.background, axisItems={"left": NumberAxis("left")})
        self.colors = colors
        item = self.getPlotItem()
        item.setTitle(f"<b>{esc(title)}</b>", color=colors.foreground, size="9pt")
        style_static_plot(item, colors, grid_x=False)
        self.empty = pg.TextItem("", color=colors.muted, anchor=(0.5, 0.5))
        item.addItem(self.empty, ignoreBounds=True)

    def set_title(self, title: str) -> None:
        self.getPlotItem().setTitle(f"<b>{esc(title)}</b>", color=self.colors.foreground, size="9pt")

    def show_lines(self, data: ChartData, lines: list[Line]) -> None:
        """A curve per line that has a value (NaN gaps break it); none at all: the N/A text, no scale."""
        item = self.getPlotItem()
        for curve in list(item.listDataItems()):
            item.removeItem(curve)
        xs = np.arange(len(data.x_values), dtype=np.float64)
        item.getAxis("bottom").setTicks([[(float(i), str(v)) for i, v in enumerate(data.x_values)], []])
        item.setLabel("bottom", data.x_label, color=self.colors.foreground)
        has_value = False
        for n, line in enumerate(lines):
            color = self.colors.series[n % len(self.colors.series)]
            ys = _line_values(line)
            if not np.isfinite(ys).any():
                continue
            has_value = True
            item.addItem(pg.PlotDataItem(xs, ys, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=7,
                                         symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color), connect="finite"))
        item.setXRange(-0.5, max(len(xs) - 0.5, 0.5), padding=0)
        item.getAxis("left").setTicks(None if has_value else [[], []])
        if has_value:
            self.empty.setText("")
            top = max(float(np.nanmax(_line_values(line))) for line in lines if np.isfinite(_line_values(line)).any())
            item.setYRange(0, top * 1.12 or 1.0, padding=0)
        else:
            self.empty.setText("N/A: no point has a value (see below)")
            item.setYRange(0, 1, padding=0)
            self.empty.setPos((len(xs) - 1) / 2 if len(xs) else 0, 0.5)


class SweepCharts(QWidget):
    """The four charts in a 2 x 2 grid, and the reasons for the missing points under them."""

    def __init__(self, colors: ChartColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.plots = {}
        for k, metric in enumerate(metrics(False)):
            plot = SweepPlot(metric.title, colors)
            plot.setMinimumHeight(120)
            self.plots[metric.key] = plot
            grid.addWidget(plot, k // 2, k % 2)
        self.legend = rich(QLabel(""))  # markup of its own; every line label escaped
        self.notes = plain(WrapLabel(""))
        self.notes.setStyleSheet(f"color: {colors.muted}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.legend)
        lay.addLayout(grid, 1)
        lay.addWidget(self.notes)
        self.data: ChartData | None = None

    def set_record(self, record: SweepRecord | None) -> None:
        if record is None:
            for plot in self.plots.values():
                plot.show_lines(ChartData("", [], [], False), [])
            self.notes.setText("")
            self.legend.setText("")
            return
        self.data = data = chart_data(record)
        for metric, lines in data.panels:
            plot = self.plots[metric.key]
            plot.set_title(metric.title)
            plot.show_lines(data, lines)
        lines = data.panels[0][1] if data.panels else []
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f'<span style="color:{self.colors.series[n % len(self.colors.series)]}">&#9632;&#9632;</span>&nbsp;'
            f"{esc(line.label)}" for n, line in enumerate(lines)))
        self.notes.setText("\n".join(missing_notes(data)))
