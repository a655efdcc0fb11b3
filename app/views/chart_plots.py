"""The live charts' plots and curves, built for cheap frames (used by ChartsPanel).

What makes a frame cheap in pyqtgraph with software rendering:
* axes (and the grid they draw) are cached as pixmaps (DeviceCoordinateCache):
  they re-render only when their range changes, not every time a curve moves;
* curves are bare PlotCurveItems fed with at most ~2 points per pixel column
  (app.views.decimate), no PlotDataItem machinery, no antialiasing;
* the latency points are half-pixel line segments with a round cap (one
  QPainter.drawLines call) instead of a ScatterPlotItem's per-spot Python work;
* x tick labels only on each column's bottom plot.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QGraphicsItem

from app.views.theme import ChartColors

# category -> (title, unit label, tooltip)
PLOTS = {
    "latency": ("Latency per inference", "ms",
                "Each point is one measured inference (worker clock); zoomed out, each pixel column shows its "
                "fastest and slowest inference, so spikes stay visible. Green: rolling p50, red: rolling p99 "
                "over the last 2 s."),
    "throughput": ("Throughput", "inf/s", "Completed inferences per second of wall time, per ~50 ms batch."),
    "utilisation": ("Utilisation", "%", "Busy share of each compute device (CPU, GPU engines, NPU), 0-100 %; "
                    "the worker process's CPU is in % of all cores too (100 % = every core busy with it)."),
    "power": ("Power", "W", "Power draw of each device the platform exposes (package, GPU board, NPU)."),
    "temperature": ("Temperature", "°C", "Hottest sensor of each device."),
    "memory": ("Memory", "GiB", "Memory in use (system RAM, GPU/NPU dedicated memory, the worker's RSS)."),
}
# (column, row, height share in its column): latency is the big one, utilisation the tallest on the right.
GRID = {"latency": (0, 0, 3), "throughput": (0, 1, 1), "utilisation": (1, 0, 2), "power": (1, 1, 1),
        "temperature": (1, 2, 1), "memory": (1, 3, 1)}
COLUMN_SHARE = (5, 4)  # the latency column is a little wider
# Throughput mode: the same column with the rates as its main chart and the latencies (per request, under load)
# below it in the small one.
THROUGHPUT_TITLES = {"latency": "Latency per request (under load)", "throughput": "Throughput"}
THROUGHPUT_TIP = ("Completed inferences per second of wall time with several requests in flight, per ~33 ms batch: "
                  "the main figure of a throughput run.")
UTIL_PAD = 10.0  # % below 0 and above the top, so the 0 and 100 labels are inside the axis


class PaintCounter(QObject):
    """Counts real paints of the chart viewport (the benchmark's frame rate)."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def build_columns(view: pg.GraphicsLayoutWidget) -> list[pg.GraphicsLayout]:
    """Two columns, each its own layout so row heights follow GRID's shares."""
    columns = []
    for col, share in enumerate(COLUMN_SHARE):
        column = view.addLayout(row=0, col=col)
        column.setContentsMargins(0, 0, 0, 0)
        view.ci.layout.setColumnStretchFactor(col, share)
        columns.append(column)
    for col, row, share in GRID.values():
        columns[col].layout.setRowStretchFactor(row, share)
    return columns


def build_plot(columns: list[pg.GraphicsLayout], name: str) -> pg.PlotItem:
    col, row, _ = GRID[name]
    title, unit, tip = PLOTS[name]
    plot: pg.PlotItem = columns[col].addPlot(row=row, col=0)
    bottom = is_bottom(name)
    set_collapsed(plot, name, False)
    plot.setTitle(title, size="9pt")
    plot.setLabel("left", units=None, text=unit)
    plot.showGrid(x=True, y=True, alpha=1.0)
    plot.setMenuEnabled(True)
    plot.hideButtons()
    plot.setToolTip(tip)
    plot.enableAutoRange(enable=False)  # x and y follow the run in steps (ChartsPanel)
    left = plot.getAxis("left")
    left.setWidth(48)
    left.enableAutoSIPrefix(False)  # "ms", never "ms (x0.001)"
    for axis in ("left", "bottom"):
        item = plot.getAxis(axis)
        item.setStyle(maxTickLevel=0)  # major grid lines only, opaque: the cheapest grid to paint
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # re-rendered on range changes only
        item.setZValue(-1000)  # the grid under the curves: a line at 100 % must not hide under a grid line
    if bottom:
        plot.setLabel("bottom", "seconds since run start")
    else:  # one time axis for all: its numbers only under the bottom row, more height for the data
        plot.getAxis("bottom").setStyle(showValues=False)
        plot.getAxis("bottom").setHeight(4)
    if name == "utilisation":
        set_util_range(plot, 100.0)
        left.setStyle(textFillLimits=[(0, 0.95), (2, 0.95)])  # always the 0 / 50 / 100 labels
    else:
        left.setStyle(maxTextLevel=0)  # short plots: labels on major ticks only
    return plot


def set_main_chart(columns: list, main: str) -> None:
    """Give `main` ("latency" or "throughput") the big share of the left column, the other the small one."""
    big, small = GRID["latency"][2], GRID["throughput"][2]
    layout = columns[GRID["latency"][0]].layout
    layout.setRowStretchFactor(GRID["latency"][1], big if main == "latency" else small)
    layout.setRowStretchFactor(GRID["throughput"][1], big if main == "throughput" else small)


def is_bottom(name: str) -> bool:
    col, row, _ = GRID[name]
    return row == max(r for c, r, _ in GRID.values() if c == col)


def set_collapsed(plot: pg.PlotItem, name: str, collapsed: bool) -> None:
    """A plot with nothing to draw on this machine shrinks to its title and the 'why' line;
    small preferred heights otherwise, so the rows share the height by GRID's shares."""
    extra = 45 if is_bottom(name) else 0  # the bottom plot carries the time axis and its label
    height = 64 + extra  # collapsed: the title and one line of why
    plot.setMinimumHeight(height)
    plot.setPreferredHeight(height)
    plot.setMaximumHeight(height if collapsed else 1e6)


def min_view_height(plots: dict[str, pg.PlotItem], spacing: float = 6.0) -> int:
    """The height the chart view needs for every plot's minimum: less, and the bottom plots' time axis
    would be drawn under whatever sits below the view (the phase legend)."""
    columns: dict[int, float] = {}
    for name, plot in plots.items():
        col = GRID[name][0]
        columns[col] = columns.get(col, 0.0) + plot.minimumHeight() + spacing
    return int(max(columns.values(), default=0.0)) + 12


def set_util_range(plot: pg.PlotItem, top: float) -> None:
    """0..100 % (or 0..N00 % for a worker using N cores), labels every 50 or 100 %."""
    plot.setYRange(-UTIL_PAD * top / 100, top * (1 + UTIL_PAD / 100), padding=0)
    step = 50 if top <= 100 else 100 * max(1, int(top // 400))
    major = [(float(v), f"{v:g}") for v in range(0, int(top) + 1, step)]
    plot.getAxis("left").setTicks([major, []])


def line_curve(plot: pg.PlotItem, color: str, width: float = 1.5, name: str | None = None,
               gaps: bool = True) -> pg.PlotCurveItem:
    """A line; with `gaps`, NaN values (a metric that could not be read) break it instead of faking a value."""
    curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=width), name=name, connect="finite" if gaps else "all",
                             skipFiniteCheck=not gaps)
    plot.addItem(curve)
    return curve


def dots_curve(plot: pg.PlotItem, color: str, name: str) -> pg.PlotCurveItem:
    """Points drawn as tiny round-capped segments (connect="pairs"): one drawLines call for thousands of dots."""
    pen = pg.mkPen(color, width=3)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    curve = pg.PlotCurveItem(pen=pen, name=name, connect="pairs", skipFiniteCheck=True)
    plot.addItem(curve)
    return curve


def style_static_plot(item: pg.PlotItem, colors: ChartColors, grid_x: bool = True) -> None:
    """A chart that only shows finished figures (comparison scatter, sweep charts): no menu, no mouse, no SI
    prefixes ("ms", never "ms (x0.001)"), axes in the theme's colours."""
    item.showGrid(x=grid_x, y=True, alpha=0.35)
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(colors.muted))
        axis.setTextPen(pg.mkPen(colors.foreground))
        axis.enableAutoSIPrefix(False)


def style_axes(plots: dict[str, pg.PlotItem], colors: ChartColors) -> None:
    for plot in plots.values():
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setPen(pg.mkPen(colors.grid))
            plot.getAxis(axis).setTextPen(pg.mkPen(colors.foreground))


def title_html(title: str, entries: list[tuple[str, str, str]]) -> str:
    """A plot title with its series as coloured keys: a legend that never covers the data."""
    keys = " &nbsp;".join(f"<span style='color:{color}'>{mark}</span>&nbsp;{label}" for mark, color, label in entries)
    return f"<b>{title}</b>" + (f" &nbsp; <span style='font-size:8pt'>{keys}</span>" if keys else "")
