"""ChartsPanel: live latency, throughput and telemetry on one shared time axis.

Redraws only on the controller's tick, only curves that are visible and got
new points, with clipToView + peak downsampling so an hour of 1 kHz latency
points draws as fast as a minute and spikes stay visible.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.views import theme
from app.views.kpi import KpiStrip
from app.views.live_data import LiveData, Series, peak_decimate

# category -> (title, unit label, tooltip)
PLOTS = {
    "latency": ("Latency per inference", "ms",
                "Each point is one measured inference (worker clock). Green: rolling p50, red: rolling p99 "
                "over the last 2 s. Peak downsampling keeps spikes visible when zoomed out."),
    "throughput": ("Throughput", "inf/s", "Completed inferences per second of wall time, per ~50 ms batch."),
    "utilisation": ("Utilisation", "%", "Busy share of each compute device (CPU, GPU engines, NPU)."),
    "power": ("Power", "W", "Power draw of each device the platform exposes (package, GPU board, NPU)."),
    "temperature": ("Temperature", "°C", "Hottest sensor of each device."),
    "memory": ("Memory", "GiB", "Memory in use (system RAM, GPU/NPU dedicated memory)."),
}
# (row, col, rowspan) in the chart grid: latency is the big one.
GRID = {"latency": (0, 0, 3), "throughput": (3, 0, 1), "utilisation": (0, 1, 1), "power": (1, 1, 1),
        "temperature": (2, 1, 1), "memory": (3, 1, 1)}
KPI_EVERY_N_FRAMES = 6  # numbers change ~5 times a second: readable, and label relayouts stay cheap
REGION_HALF_HEIGHT = 1e7  # phase shading spans any plausible y range (ms, W, degC, GiB...)
SCATTER_MAX_POINTS = 4000  # latency points handed to the scatter per frame (min/max per bin)
SHADED_PHASES = ("compile", "first_inference", "warmup", "measure")
PHASE_NAMES = {"compile": "compile", "first_inference": "first inference", "warmup": "warm-up",
               "measure": "measure", "load": "load", "output_check": "output check"}


class _PaintCounter(QObject):
    """Counts real paints of the chart viewport (the benchmark's frame rate)."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


class ChartsPanel(QWidget):
    follow_changed = Signal(bool)  # the x range follows the run (True) or the user's zoom (False)

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.setObjectName("ChartsPanel")
        self.colors = theme.colors()
        pg.setConfigOptions(antialias=False, background=self.colors.background,
                            foreground=self.colors.foreground)
        self.kpis = KpiStrip(self)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumHeight(320)
        self.phase_legend = QLabel()
        self.phase_legend.setToolTip("Shaded regions on every chart: the phases of the run.")
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing_label.setToolTip("Metrics this machine cannot report, and why (never drawn as zeros).")
        footer = QHBoxLayout()
        footer.addWidget(self.phase_legend)
        footer.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.kpis)
        lay.addWidget(self.view, 1)
        lay.addLayout(footer)
        lay.addWidget(self.missing_label)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}  # series key (or "latency", "p50", ...) -> curve
        self._drawn_total: dict[str, int] = {}
        self._overlays: dict[str, pg.TextItem] = {}
        self._series_colors: dict[str, str] = {}
        self._regions: list[tuple[str, int, QGraphicsRectItem]] = []
        self._version = -1
        self._redrawing = False
        self.following = True  # x range tracks the run until the user zooms or pans
        self._x_hi = 0.0
        self._y_top: dict[str, float] = {}
        self.set_data_calls = 0  # benchmark: setData calls
        self.frames = 0  # benchmark: refreshes that changed something
        self.paint_counter = _PaintCounter()
        self.view.viewport().installEventFilter(self.paint_counter)
        self._build_plots()
        self._style_axes()
        self._update_phase_legend()

    # -- construction ----------------------------------------------------
    def _build_plots(self) -> None:
        c = self.colors
        first = None
        for name, (row, col, span) in GRID.items():
            title, unit, tip = PLOTS[name]
            plot: pg.PlotItem = self.view.addPlot(row=row, col=col, rowspan=span)
            plot.setTitle(title, size="9pt")
            plot.setLabel("left", units=None, text=unit)
            plot.showGrid(x=True, y=True, alpha=1.0)
            plot.setMenuEnabled(True)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.hideButtons()
            plot.setToolTip(tip)
            plot.getAxis("left").setWidth(48)
            plot.getAxis("left").enableAutoSIPrefix(False)  # "ms", never "ms (x0.001)"
            for axis in ("left", "bottom"):  # major grid lines only, opaque: the cheapest grid to paint
                plot.getAxis(axis).setStyle(maxTickLevel=0)
            plot.enableAutoRange(enable=False)  # x and y follow the run in steps, see _follow_x/_follow_y
            plot.getViewBox().sigRangeChangedManually.connect(self._on_view_range_changed_manually)
            if row + span == 4:
                plot.setLabel("bottom", "seconds since run start")
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if name == "utilisation":
                plot.setYRange(-4, 104, padding=0)  # room for the 0 and 100 labels
                plot.enableAutoRange(axis="y", enable=False)
                plot.getAxis("left").setTicks([[(0, "0"), (50, "50"), (100, "100")], [(25, ""), (75, "")]])
            else:
                plot.getAxis("left").setStyle(maxTextLevel=0)  # short plots: labels on major ticks only
            overlay = pg.TextItem("", color=c.muted, anchor=(0, 0))
            overlay.setParentItem(plot.getViewBox())  # pixel coords of the box: stays put when panning
            overlay.setPos(6, 4)
            self._overlays[name] = overlay
            self.plots[name] = plot
        lat = self.plots["latency"]
        self.curves["latency"] = lat.plot(pen=None, symbol="o", symbolSize=3, symbolPen=None,
                                          symbolBrush=pg.mkBrush(c.latency), name="inference")
        self.curves["p50"] = lat.plot(pen=pg.mkPen(c.p50, width=2), name="p50 (rolling)")
        self.curves["p99"] = lat.plot(pen=pg.mkPen(c.p99, width=2), name="p99 (rolling)")
        self.curves["throughput"] = self.plots["throughput"].plot(
            pen=pg.mkPen(c.throughput, width=1.5), fillLevel=0, brush=pg.mkBrush(c.throughput + "30"))
        for key, curve in self.curves.items():
            if key == "latency":  # the scatter is clipped and decimated by us, see _update_latency
                curve.setClipToView(False)
                curve.setDownsampling(ds=1, auto=False)
            else:
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
        # Zoom/pan: re-decimate the latency points for the new window.
        lat.getViewBox().sigXRangeChanged.connect(self._on_latency_range_changed)
        self._set_overlay("latency", "Drop an .onnx model on the window,\npick a target and press Run (F5).")
        self._titles: dict[str, str] = {}
        self._set_title("latency", [("●", c.latency, "inference"), ("━", c.p50, "p50"), ("━", c.p99, "p99")])

    def _series_curve(self, s: Series) -> pg.PlotDataItem:
        curve = self.curves.get("s:" + s.key)
        if curve is None:
            plot = self.plots[s.category]
            index = sum(1 for k in self.curves if k.startswith("s:") and k[2:] in self.live.series
                        and self.live.series[k[2:]].category == s.category)
            color = self.colors.series[index % len(self.colors.series)]
            curve = plot.plot(pen=pg.mkPen(color, width=1.5), name=s.label, connect="finite")
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            curve.setToolTip(f"{s.label} ({s.unit}) from {s.source or 'the sampler'}")
            self.curves["s:" + s.key] = curve
            self._series_colors[s.key] = color
            names = [(("━", self._series_colors[k[2:]], self.live.series[k[2:]].label))
                     for k in self.curves if k.startswith("s:") and self.live.series[k[2:]].category == s.category]
            self._set_title(s.category, names)
        return curve

    # -- drawing ---------------------------------------------------------
    def reset(self) -> None:
        """New run: drop phase regions and redraw everything from the (cleared) buffers."""
        for plot_name, _, item in self._regions:
            self.plots[plot_name].removeItem(item)
        self._regions.clear()
        self._drawn_total.clear()
        self._version = -1
        self.follow()

    def follow(self) -> None:
        """Back to following the run (after the user zoomed or panned)."""
        self.following = True
        self._x_hi = 0.0
        self._y_top = {}
        self._drawn_total.pop("latency", None)
        self._version = -1

    def _on_view_range_changed_manually(self, *_args) -> None:
        self.following = False
        self.follow_changed.emit(False)

    def _follow_x(self) -> None:
        """Grow the x range in 25% steps, not every frame: axes (and their grids) re-render only then."""
        if not self.following:
            return
        ends = [self.live.latency.view(1)[0], self.live.throughput.view(1)[0]]
        ends += [s.buffer.view(1)[0] for s in self.live.series.values()]
        t_end = max([float(e[0]) for e in ends if e.size and np.isfinite(e[0])] +
                    [p.t1 or p.t0 for p in self.live.phases] + [0.0])
        if t_end > self._x_hi * 0.98 or self._x_hi == 0.0:
            self._x_hi = max(10.0, t_end * 1.25)
            self.plots["latency"].setXRange(0, self._x_hi, padding=0)

    def refresh(self) -> None:
        """Called once per controller tick."""
        live = self.live
        if live.version == self._version:
            return
        self._version = live.version
        self.frames += 1
        self._follow_x()
        self._follow_y()
        self._update_latency()
        self._update(("p50", live.p50), ("p99", live.p99), ("throughput", live.throughput))
        for s in live.series.values():
            if s.ever_ok:
                curve = self._series_curve(s)
                self._update(("s:" + s.key, s.buffer), curve=curve)
        self._update_regions()
        self._update_overlays()
        if self.frames % KPI_EVERY_N_FRAMES == 1 or not self.following:
            self.update_kpis()

    def update_kpis(self) -> None:
        live = self.live
        p50, p99 = live.rolling()
        self.kpis.show_live(live.latest_latency_ms(), p50, p99, live.throughput_now(), live.count)

    def _update(self, *pairs, curve: pg.PlotDataItem | None = None) -> None:
        for key, buffer in pairs:
            item = curve if curve is not None else self.curves[key]
            if self._drawn_total.get(key) == buffer.total and buffer.total:
                continue  # nothing new
            if not (item.isVisible() and item.getViewBox() is not None and item.getViewBox().isVisible()):
                continue  # hidden curve: skip the work, draw when shown again
            x, y = buffer.view()
            item.setData(x, y)
            self.set_data_calls += 1
            self._drawn_total[key] = buffer.total

    def _update_latency(self) -> None:
        buffer, item = self.live.latency, self.curves["latency"]
        if self._drawn_total.get("latency") == buffer.total and buffer.total:
            return
        if not item.isVisible():
            return
        x, y = buffer.view()
        vb = item.getViewBox()
        if vb is not None and not self.following and x.size:
            lo, hi = vb.viewRange()[0]
            i, j = np.searchsorted(x, [lo, hi])  # x is sorted: inference start times
            x, y = x[max(0, i - 1):j + 1], y[max(0, i - 1):j + 1]
        width = max(200, int(vb.width())) if vb is not None else 1000
        x, y = peak_decimate(x, y, min(SCATTER_MAX_POINTS, width))  # a min and a max every 2 px
        item.setData(x, y)
        self.set_data_calls += 1
        self._drawn_total["latency"] = buffer.total

    def _on_latency_range_changed(self, *_args) -> None:
        if self.following:
            return  # following the run: the next tick draws everything anyway
        if self._drawn_total.pop("latency", None) is not None and not self._redrawing:
            self._redrawing = True
            try:
                self._update_latency()
            finally:
                self._redrawing = False

    def _update_regions(self) -> None:
        """Phase shading. Plain QGraphicsRectItems (painted in C++): LinearRegionItem's Python paint
        cost ~10 ms a frame for 24 regions. Tall enough for any y range, ignored by autorange."""
        phases = [p for p in self.live.phases if p.name in SHADED_PHASES]
        now = self.live.latency.view(1)[0]
        end_default = float(now[0]) if now.size else None
        for i, span in enumerate(phases):
            t1 = span.t1 if span.t1 is not None else max(span.t0, end_default or span.t0)
            existing = [item for _, idx, item in self._regions if idx == i]
            if not existing:
                brush = QBrush(pg.mkColor(self.colors.phases.get(span.name, "#80808020")))  # #RRGGBBAA (QColor reads #AARRGGBB)
                for name, plot in self.plots.items():
                    region = QGraphicsRectItem(span.t0, -REGION_HALF_HEIGHT, t1 - span.t0, 2 * REGION_HALF_HEIGHT)
                    region.setBrush(brush)
                    region.setPen(QPen(Qt.PenStyle.NoPen))
                    region.setZValue(-100)
                    region.setToolTip(f"phase: {PHASE_NAMES.get(span.name, span.name)}")
                    plot.addItem(region, ignoreBounds=True)
                    self._regions.append((name, i, region))
            else:
                for item in existing:
                    rect = item.rect()
                    if rect.left() != span.t0 or rect.width() != t1 - span.t0:
                        item.setRect(span.t0, -REGION_HALF_HEIGHT, t1 - span.t0, 2 * REGION_HALF_HEIGHT)

    def _follow_y(self) -> None:
        """Y ranges from 0 to a rounded-up maximum, changed only when data outgrows them (or shrinks a lot):
        a range change re-renders the axis and its grid, the costliest part of a frame."""
        for name, plot in self.plots.items():
            if name == "utilisation" or not self.following:
                continue
            top = self._data_max(name)
            if not np.isfinite(top) or top <= 0:
                continue
            current = self._y_top.get(name, 0.0)
            if top > current or top < 0.4 * current:
                self._y_top[name] = top * 1.25
                plot.setYRange(0, self._y_top[name], padding=0)

    def _data_max(self, name: str) -> float:
        live = self.live
        if name == "latency":
            buffers = [live.latency, live.p99]
        elif name == "throughput":
            buffers = [live.throughput]
        else:
            buffers = [s.buffer for s in live.series.values() if s.category == name and s.ever_ok]
        tops = [float(np.nanmax(b.view()[1])) for b in buffers if len(b) and not np.isnan(b.view()[1]).all()]
        return max(tops) if tops else float("nan")

    def _update_overlays(self) -> None:
        missing: dict[str, list[Series]] = {}
        for s in self.live.missing():
            missing.setdefault(s.category, []).append(s)
        lines = []
        for name in ("utilisation", "power", "temperature", "memory"):
            live_here = [s for s in self.live.series.values() if s.category == name and s.status == "ok"]
            gone = missing.get(name, [])
            if not live_here and gone:  # short here; the full reason is in the list under the charts
                self._set_overlay(name, "\n".join(f"{s.label}: {s.status} (why: below)" for s in gone[:3]))
            elif not live_here and not self.live.series:
                self._set_overlay(name, "no telemetry yet")
            elif not live_here:
                self._set_overlay(name, "no reading on this machine")
            else:
                self._set_overlay(name, "")
            self.plots[name].getAxis("left").setStyle(showValues=bool(live_here))
            lines += [f"<b>{s.label}</b>: {s.status} — {s.reason or 'no reason given'}" for s in gone]
        self._set_overlay("latency", "" if self.live.count or self.live.phases else self._overlays[
            "latency"].textItem.toPlainText())
        self.missing_label.setText("<br>".join(lines))
        self.missing_label.setVisible(bool(lines))

    def _set_title(self, name: str, entries: list[tuple[str, str, str]]) -> None:
        """Plot title with its series as coloured keys: a legend that never covers the data."""
        title = PLOTS[name][0]
        keys = " &nbsp;".join(f"<span style='color:{color}'>{mark}</span>&nbsp;{label}"
                              for mark, color, label in entries)
        html = f"<b>{title}</b>" + (f" &nbsp; <span style='font-size:8pt'>{keys}</span>" if keys else "")
        if self._titles.get(name) != html:
            self._titles[name] = html
            self.plots[name].setTitle(html, size="9pt", color=self.colors.foreground)

    def _set_overlay(self, name: str, text: str) -> None:
        item = self._overlays[name]
        if item.textItem.toPlainText() != text:
            item.setText(text)

    def _update_phase_legend(self) -> None:
        c = self.colors
        parts = []
        for name in SHADED_PHASES:
            color = c.phases[name][:7]
            parts.append(f"<span style='color:{color}; font-size:14pt'>■</span> {PHASE_NAMES[name]}")
        self.phase_legend.setText("Phases: " + " &nbsp; ".join(parts))

    def restyle(self) -> None:
        """OS theme changed: recolour backgrounds and axes."""
        self.colors = theme.colors()
        self.view.setBackground(self.colors.background)
        self._style_axes()

    def _style_axes(self) -> None:
        for plot in self.plots.values():
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(pg.mkPen(self.colors.grid))
                plot.getAxis(axis).setTextPen(pg.mkPen(self.colors.foreground))
        self._update_phase_legend()

    @staticmethod
    def fmt(value: float, digits: int = 3) -> str:
        return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"
