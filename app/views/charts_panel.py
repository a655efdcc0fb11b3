"""ChartsPanel: live latency, throughput and telemetry on one shared time axis.

Redraws on the controller's tick, and only what changed: the latency points
through an incremental per-pixel-column min/max cache (a frame costs the same
at 30,000 inferences/s as at 10), lines decimated to their plot's pixel width,
telemetry and text at ~5 Hz, phase shading only when a phase starts or ends,
axes only when their range steps. Nothing is drawn while the panel is hidden.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.record.schema import Phase, RunMode
from app.views import theme
from app.views.chart_plots import (
    PLOTS,
    THROUGHPUT_TIP,
    THROUGHPUT_TITLES,
    PaintCounter,
    build_columns,
    build_plot,
    dots_curve,
    line_curve,
    min_view_height,
    set_collapsed,
    set_main_chart,
    set_util_range,
    style_axes,
    title_html,
)
from app.views.decimate import ColumnCache, column_minmax
from app.views.genai_live import TIPS as GENAI_TIPS
from app.views.genai_live import TITLES as GENAI_TITLES
from app.views.genai_live import GenerationShading, TextPane
from app.views.kpi import KpiStrip
from app.views.live_data import LiveData, Series
from app.views.plain import tip

KPI_EVERY_N_FRAMES = 8  # numbers change ~5 times a second: readable, and label relayouts stay cheap
SLOW_PERIOD_S = 0.2  # telemetry curves, overlays and the 'why missing' list: ~5 Hz
REGION_HALF_HEIGHT = 1e7  # phase shading spans any plausible y range (ms, W, degC, GiB...)
OPEN_PHASE_END = 1e7  # a phase still running is shaded to the right edge (no per-frame resize)
SHADED_PHASES = (Phase.COMPILE, Phase.FIRST_INFERENCE, Phase.WARMUP, Phase.MEASURE)
MIN_X_WINDOW_S = 10.0  # while a run goes on, the time axis starts 10 s wide and grows in 25% steps
FIT_PAD = 0.02  # an ended run fills the axis, with 2% room after its last point
NO_MODEL_HINT = "Drop an .onnx model on the window,\npick a target and press Run (F5)."
MODEL_HINT = "Model loaded: pick a target and press Run (F5)."
LATENCY_LINE = "latency line"  # key of the latency curve among the drawn telemetry series
PHASE_NAMES = {Phase.COMPILE: "compile", Phase.FIRST_INFERENCE: "first inference", Phase.WARMUP: "warm-up",
               Phase.MEASURE: "measure", Phase.LOAD: "load", Phase.OUTPUT_CHECK: "output check",
               Phase.OP_PROFILE: "operator profile", Phase.DATA: "data set", Phase.SCORE: "score"}


class LinesLabel(QLabel):
    """One line per metric this machine cannot read, each elided to the width (all of it in the tooltip and
    the Devices tab). A word-wrapped label would grow taller than the layout planned for and push the
    charts' time axis under the phase legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # reasons come from probes: shown as typed
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.lines: list[str] = []

    def set_lines(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.setToolTip(tip("Metrics this machine cannot report, and why (never drawn as zeros):\n"
                            + "\n".join(lines)))
        self.setFixedHeight(len(lines) * self.fontMetrics().lineSpacing() + 4 if lines else 0)
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        fm, width = self.fontMetrics(), max(40, self.width() - 4)
        text = "\n".join(fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in self.lines)
        if super().text() != text:
            super().setText(text)

    def text(self) -> str:  # noqa: D102 - the lines in full, not as elided for display
        return "\n".join(self.lines)


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
        self.phase_legend = QLabel()
        self.phase_legend.setToolTip("Shaded regions on every chart: the phases of the run.")
        self.missing_label = LinesLabel()
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        footer = QHBoxLayout()
        footer.addWidget(self.phase_legend)
        footer.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.kpis)
        self.text_pane = TextPane()  # a generative model's text (app.views.genai_live); hidden otherwise
        self.text_pane.setVisible(False)
        middle = QHBoxLayout()
        middle.addWidget(self.view, 4)
        middle.addWidget(self.text_pane, 1)
        lay.addLayout(middle, 1)
        lay.addLayout(footer)
        lay.addWidget(self.missing_label)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotCurveItem] = {}  # series key (or "latency", "p50", ...) -> curve
        self._curve_plot: dict[str, str] = {}  # curve key -> plot name
        self._drawn_total: dict[str, int] = {}
        self._tops: dict[str, float] = {}  # curve key -> max of what it shows now
        self._overlays: dict[str, pg.TextItem] = {}
        self._series_colors: dict[str, str] = {}
        self._regions: list[tuple[int, list[tuple[pg.PlotItem, QGraphicsRectItem]]]] = []
        self._region_sig: tuple = ()
        self._value_axes: dict[str, bool] = {}
        self._collapsed: dict[str, bool] = {}
        self._titles: dict[str, str] = {}
        self._latency_cache = ColumnCache()
        self._version = -1
        self._slow_at = 0.0  # monotonic time of the last telemetry/text update
        self._slow_pending = False
        self._redrawing = False
        self.following = True  # x range tracks the run until the user zooms or pans
        self._x_hi = 0.0
        self._fit_end: float | None = None  # the ended run's last second: the axis fits it
        self._idle_hint = NO_MODEL_HINT
        self._y_top: dict[str, float] = {}
        self._util_top = 100.0
        self.set_data_calls = 0  # benchmark: setData calls
        self.frames = 0  # benchmark: refreshes that changed something
        self.paint_counter = PaintCounter()
        self.view.viewport().installEventFilter(self.paint_counter)
        self.generative = False  # a generative model's run: per-token latency, tokens/s, prefill/decode shading
        self._build_plots()
        self.shading = GenerationShading(self.plots, self.colors.phases)
        self.view.setMinimumHeight(min_view_height(self.plots))
        style_axes(self.plots, self.colors)
        self._update_phase_legend()

    # -- construction ----------------------------------------------------
    def _build_plots(self) -> None:
        c = self.colors
        first = None
        columns = self._columns = build_columns(self.view)
        self.mode = RunMode.LATENCY
        for name in PLOTS:
            plot = build_plot(columns, name)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_view_range_changed_manually)
            overlay = pg.TextItem("", color=c.muted, anchor=(0, 0))
            overlay.setParentItem(plot.getViewBox())  # pixel coords of the box: stays put when panning
            overlay.setPos(6, 4)
            self._overlays[name] = overlay
            self.plots[name] = plot
        lat = self.plots["latency"]
        self._add("latency", "latency", dots_curve(lat, c.latency, "inference"))
        self._add("p50", "latency", line_curve(lat, c.p50, 2, "p50 (rolling)", gaps=False))
        self._add("p99", "latency", line_curve(lat, c.p99, 2, "p99 (rolling)", gaps=False))
        self._add("throughput", "throughput", line_curve(self.plots["throughput"], c.throughput, 1.5, gaps=False))
        lat.getViewBox().sigXRangeChanged.connect(self._on_latency_range_changed)  # zoom/pan: re-decimate
        self._set_overlay("latency", self._idle_hint)
        self._set_title("latency", [("●", c.latency, "inference"), ("━", c.p50, "p50"), ("━", c.p99, "p99")])

    def set_mode(self, mode: RunMode) -> None:
        """Throughput mode: the throughput line is the main chart (big, thick), latency per request the small one."""
        if mode is self.mode:
            return
        self.mode, c = mode, self.colors
        throughput = mode is RunMode.THROUGHPUT
        set_main_chart(self._columns, "throughput" if throughput else "latency")
        self.curves["throughput"].setPen(pg.mkPen(c.throughput, width=2.5 if throughput else 1.5))
        self.plots["throughput"].setToolTip(THROUGHPUT_TIP if throughput else PLOTS["throughput"][2])
        self._titles.clear()
        self._set_title("latency", [("●", c.latency, "request" if throughput else "inference"),
                                    ("━", c.p50, "p50"), ("━", c.p99, "p99")])
        self._set_title("throughput", [])

    def set_generative(self, on: bool) -> None:
        """A generative model's run: the latency plot is per token, the throughput plot tokens/s, each
        generation's prefill and decode are shaded, and the text streams beside the charts."""
        if on == self.generative:
            return
        self.generative, c = on, self.colors
        self.text_pane.setVisible(on)
        self.kpis.set_generative(on)
        self.plots["throughput"].setLabel("left", units=None, text="tok/s" if on else PLOTS["throughput"][1])
        for name in ("latency", "throughput"):
            self.plots[name].setToolTip(GENAI_TIPS[name] if on else PLOTS[name][2])
        self._titles.clear()
        self._set_title("latency", [("●", c.latency, "decode step" if on else "inference"),
                                    ("━", c.p50, "p50"), ("━", c.p99, "p99")])
        self._set_title("throughput", [])
        self._update_phase_legend()

    def _add(self, key: str, plot_name: str, curve: pg.PlotCurveItem) -> pg.PlotCurveItem:
        self.curves[key] = curve
        self._curve_plot[key] = plot_name
        return curve

    def _series_curve(self, s: Series) -> pg.PlotCurveItem:
        curve = self.curves.get("s:" + s.key)
        if curve is None:
            index = sum(1 for k, p in self._curve_plot.items() if k.startswith("s:") and p == s.category)
            color = self.colors.series[index % len(self.colors.series)]
            curve = self._add("s:" + s.key, s.category, line_curve(self.plots[s.category], color, 1.5, s.label))
            curve.setToolTip(f"{s.label} ({s.unit}) from {s.source or 'the sampler'}")
            self._series_colors[s.key] = color
            names = [("━", self._series_colors[k[2:]], self.live.series[k[2:]].label)
                     for k, p in self._curve_plot.items() if k.startswith("s:") and p == s.category]
            self._set_title(s.category, names)
        return curve

    # -- following the run -----------------------------------------------
    def reset(self) -> None:
        """New run: drop phase regions and redraw everything from the (cleared) buffers."""
        for _, items in self._regions:
            for plot, item in items:
                plot.removeItem(item)
        self._regions.clear()
        self._region_sig = ()
        self.shading.reset()
        self._tops.clear()
        self._util_top = 100.0
        self._fit_end = None
        set_util_range(self.plots["utilisation"], 100.0)
        self.follow()

    def set_idle_hint(self, model_loaded: bool) -> None:
        """What the empty latency chart says: drop a model, or (one is loaded) press Run."""
        self._idle_hint = MODEL_HINT if model_loaded else NO_MODEL_HINT
        if not (self.live.count or self.live.phases):
            self._set_overlay("latency", self._idle_hint)

    def show_result(self, count: int, p50_s: float | None, p99_s: float | None, rate: float | None,
                    p99_note: str = "") -> None:
        """The run ended: fit the time axis to it (a 1 s run fills the chart, not a tenth of a 10 s axis)
        and show its own p50 / p99 in the numbers above the charts."""
        self._fit_end = self._run_end()
        self._drawn_total.clear()
        self._version = -1
        self.refresh(force=True)
        self.kpis.show_final(p50_s, p99_s, rate, count, p99_note)

    def _run_end(self) -> float:
        """The last second anything of the run was drawn at: latency points, telemetry, phases."""
        ends = [self.live.latency.view(1)[0], self.live.throughput.view(1)[0]]
        ends += [s.buffer.view(1)[0] for s in self.live.series.values()]
        return max([float(e[0]) for e in ends if e.size and np.isfinite(e[0])] +
                   [p.t1 or p.t0 for p in self.live.phases] + [0.0])

    def follow(self) -> None:
        """Back to following the run (after the user zoomed or panned)."""
        self.following = True
        self._x_hi = 0.0
        self._y_top = {}
        self._drawn_total.clear()
        self._version = -1

    def _on_view_range_changed_manually(self, *_args) -> None:
        self.following = False
        self.follow_changed.emit(False)

    def _follow_x(self) -> None:
        """Grow the x range in 25% steps, not every frame: axes (and their grids) re-render only then."""
        if not self.following:
            return
        if self._fit_end is not None:  # the run ended: the axis is the run
            hi = max(self._fit_end * (1 + FIT_PAD), 0.1)
            if hi != self._x_hi:
                self._x_hi = hi
                self.plots["latency"].setXRange(0, hi, padding=0)
                self._drawn_total.clear()
            return
        t_end = self._run_end()
        if t_end > self._x_hi * 0.98 or self._x_hi == 0.0:
            self._x_hi = max(MIN_X_WINDOW_S, t_end * 1.25)
            self.plots["latency"].setXRange(0, self._x_hi, padding=0)
            self._drawn_total.clear()  # lines are decimated for the window: redo them once

    def _x_window(self, plot_name: str) -> tuple[float, float, int]:
        vb = self.plots[plot_name].getViewBox()
        lo, hi = (0.0, self._x_hi) if self.following else vb.viewRange()[0]
        return lo, hi, max(50, int(vb.width()))

    # -- drawing ---------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh(force=True)  # catch up on what arrived while hidden

    def refresh(self, force: bool = False) -> None:
        """Called once per controller tick; `force` also redraws telemetry and text now."""
        live = self.live
        if live.version == self._version and not force and not self._slow_pending:
            return
        if not self.isVisible():
            return  # a hidden tab or a minimised window: draw when shown again
        now = time.monotonic()
        slow = force or now - self._slow_at >= SLOW_PERIOD_S
        self._slow_pending = not slow  # a change waits at most SLOW_PERIOD_S for its telemetry and text
        if slow:
            self._slow_at = now
        if live.version == self._version and not slow:
            return
        self._version = live.version
        self.frames += 1
        self._follow_x()
        self._update_latency()
        for key, buffer in (("p50", live.p50), ("p99", live.p99), ("throughput", live.throughput)):
            self._update_line(key, buffer, self.curves[key])
        if slow:
            for s in live.series.values():
                if s.ever_ok:
                    self._update_line("s:" + s.key, s.buffer, self._series_curve(s))
        self._follow_y()
        self._update_regions()
        if self.generative:
            self.shading.update(live)
            if slow:
                self.text_pane.update_from(live)
        if slow:
            self._update_overlays()
        if force or self.frames % KPI_EVERY_N_FRAMES == 1 or not self.following:
            self.update_kpis()

    def update_kpis(self) -> None:
        if self._fit_end is not None:
            return  # the ended run's own numbers stay until the next run
        live = self.live
        p50, p99 = live.rolling()
        self.kpis.show_live(live.latest_latency_ms(), p50, p99, live.throughput_now(), live.count)

    def _update_line(self, key: str, buffer, item: pg.PlotCurveItem) -> None:
        if self._drawn_total.get(key) == buffer.total:
            return  # nothing new
        x, y = buffer.view()
        lo, hi, ncols = self._x_window(self._curve_plot[key])
        xs, ys = column_minmax(x, y, lo, hi, ncols)
        item.setData(xs, ys)
        self.set_data_calls += 1
        self._drawn_total[key] = buffer.total
        self._tops[key] = _top(ys)

    def _update_latency(self) -> None:
        buffer, item = self.live.latency, self.curves["latency"]
        if self._drawn_total.get(LATENCY_LINE) == buffer.total and buffer.total:
            return
        lo, hi, ncols = self._x_window("latency")
        if self.following:
            xs, ys = self._latency_cache.update(buffer, lo, hi, ncols)
        else:
            xs, ys = column_minmax(*buffer.view(), lo, hi, ncols)
        # Each point is a half-pixel-tall segment with round caps: a dot (zero-length ones are culled).
        vb = self.plots["latency"].getViewBox()
        half_px = 0.5 * (vb.viewRange()[1][1] - vb.viewRange()[1][0]) / max(1.0, vb.height())
        y2 = np.repeat(ys, 2)
        y2[1::2] += half_px
        item.setData(np.repeat(xs, 2), y2)
        self.set_data_calls += 1
        self._drawn_total[LATENCY_LINE] = buffer.total
        self._tops["latency"] = _top(ys)

    def _on_latency_range_changed(self, *_args) -> None:
        if self.following or self._redrawing:
            return  # following the run: the next tick draws everything anyway
        self._redrawing = True
        try:
            self._drawn_total.clear()
            self._update_latency()
            for key in ("p50", "p99", "throughput"):
                self._update_line(key, getattr(self.live, key), self.curves[key])
            for s in self.live.series.values():
                if s.ever_ok:
                    self._update_line("s:" + s.key, s.buffer, self._series_curve(s))
        finally:
            self._redrawing = False

    def _follow_y(self) -> None:
        """Y ranges from 0 to a rounded-up maximum, changed only when data outgrows them (or shrinks a lot):
        a range change re-renders the axis and its grid, the costliest part of a frame."""
        tops: dict[str, float] = {}
        for key, top in self._tops.items():
            plot = self._curve_plot[key]
            if math.isfinite(top):
                tops[plot] = max(top, tops.get(plot, top))
        util = tops.pop("utilisation", 0.0)
        if util > self._util_top:  # a worker on several cores: 0..200 %, 0..300 %...
            self._util_top = 100.0 * math.ceil(util / 100.0)
            set_util_range(self.plots["utilisation"], self._util_top)
        if not self.following:
            return
        for name, top in tops.items():
            current = self._y_top.get(name, 0.0)
            if top > 0 and (top > current or top < 0.4 * current):
                self._y_top[name] = top * 1.25
                self.plots[name].setYRange(0, self._y_top[name], padding=0)

    def _update_regions(self) -> None:
        """Phase shading: plain QGraphicsRectItems (painted in C++), touched only when a phase starts or
        ends; a running phase reaches the right edge, so a growing phase costs no repaint per frame."""
        phases = [p for p in self.live.phases if p.name in SHADED_PHASES]
        sig = tuple((p.name, p.t0, p.t1) for p in phases)
        if sig == self._region_sig:
            return
        self._region_sig = sig
        for i, span in enumerate(phases):
            t1 = span.t1 if span.t1 is not None else OPEN_PHASE_END
            existing = next((items for idx, items in self._regions if idx == i), None)
            if existing is None:
                brush = QBrush(pg.mkColor(self.colors.phases.get(span.name, "#80808020")))  # #RRGGBBAA
                items = []
                for plot in self.plots.values():
                    region = QGraphicsRectItem(span.t0, -REGION_HALF_HEIGHT, t1 - span.t0, 2 * REGION_HALF_HEIGHT)
                    region.setBrush(brush)
                    region.setPen(QPen(Qt.PenStyle.NoPen))
                    region.setZValue(-100)
                    region.setToolTip(f"phase: {PHASE_NAMES.get(span.name, span.name)}")
                    plot.addItem(region, ignoreBounds=True)
                    items.append((plot, region))
                self._regions.append((i, items))
            else:
                for _, item in existing:
                    rect = item.rect()
                    if rect.left() != span.t0 or rect.width() != t1 - span.t0:
                        item.setRect(span.t0, -REGION_HALF_HEIGHT, t1 - span.t0, 2 * REGION_HALF_HEIGHT)

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
            if self._value_axes.get(name) != bool(live_here):  # setStyle re-renders the axis: only on change
                self._value_axes[name] = bool(live_here)
                self.plots[name].getAxis("left").setStyle(showValues=bool(live_here))
            collapse = not live_here and bool(self.live.series)  # nothing to draw on this machine
            if self._collapsed.get(name, False) != collapse:  # a relayout: only when it changes
                self._collapsed[name] = collapse
                set_collapsed(self.plots[name], name, collapse)
                self.view.setMinimumHeight(min_view_height(self.plots))
            lines += [f"{s.label}: {s.status} — {s.reason or 'no reason given'}" for s in gone]
        self._set_overlay("latency", "" if self.live.count or self.live.phases else self._idle_hint)
        if self.missing_label.lines != lines:
            self.missing_label.set_lines(lines)
            self.missing_label.setVisible(bool(lines))

    def _set_title(self, name: str, entries: list[tuple[str, str, str]]) -> None:
        title = THROUGHPUT_TITLES.get(name, PLOTS[name][0]) if self.mode is RunMode.THROUGHPUT else PLOTS[name][0]
        if self.generative:
            title = GENAI_TITLES.get(name, title)
        html = title_html(title, entries)
        if self._titles.get(name) != html:
            self._titles[name] = html
            self.plots[name].setTitle(html, size="9pt", color=self.colors.foreground)

    def _set_overlay(self, name: str, text: str) -> None:
        item = self._overlays[name]
        if item.textItem.toPlainText() != text:
            item.setText(text)

    def _update_phase_legend(self) -> None:
        parts = [f"<span style='color:{self.colors.phases[n][:7]}; font-size:14pt'>■</span> {PHASE_NAMES[n]}"
                 for n in SHADED_PHASES]
        if self.generative:
            parts += [f"<span style='color:{self.colors.phases[n][:7]}; font-size:14pt'>■</span> {n}"
                      for n in ("prefill", "decode")]
        self.phase_legend.setText("Phases: " + " &nbsp; ".join(parts))

    def restyle(self) -> None:
        """OS theme changed: recolour backgrounds and axes."""
        self.colors = theme.colors()
        self.view.setBackground(self.colors.background)
        style_axes(self.plots, self.colors)
        self._update_phase_legend()

    @staticmethod
    def fmt(value: float, digits: int = 3) -> str:
        return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def _top(y: np.ndarray) -> float:
    finite = y[np.isfinite(y)] if y.size else y
    return float(finite.max()) if finite.size else float("nan")
