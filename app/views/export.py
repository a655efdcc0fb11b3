"""Exports of a comparison: a fixed-size PNG (also `aipcprof compare --png`), clipboard, SVG, CSV, JSON,
the self-contained HTML report and the share bundle.

The PNG is a `ComparisonFigure` rendered at 1600 x 1000 pixels whatever the
window size or screen scale: a title with the model(s) and host(s), the
warnings, the recommendation, the latency CDF and the bars (and, when a run is an eval, the
speed-vs-accuracy scatter), the table. It
works headless: without a QApplication one is created on the offscreen
platform. Everything else is text from app.core, safe to write off the GUI
thread (`write_text_export`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QImage, QPainter, QPalette, QRegion
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from app import __version__
from app.common.errors import UserError
from app.record.ops import OpBy
from app.record.schema import RunRecord
from app.record.typed import to_json
from app.report import comparison as cmp
from app.report import ops_compare
from app.report import palette as pal
from app.report.accuracy_scatter import speed_accuracy
from app.report.ops_bars import chart_bars
from app.state.ops_view import ChartSection
from app.views import theme
from app.views.compare_charts import BarsWidget, CdfPlot, run_color
from app.views.compare_scatter import ScatterPlot
from app.views.compare_tables import RUN_COLUMNS, diff_rows, fill_runs, new_table
from app.views.ops_charts import OpBarsWidget, OpTypeDiffWidget
from app.views.plain import plain

PNG_SIZE = (1600, 1000)
MAX_TABLE_ROWS = 10
GENAI_WIDTH = 760  # px of the generative runs' bars in the PNG (about their cell: drawn near 1:1)
TEXT_KINDS = ("svg", "csv", "json", "html")


def ensure_app() -> QApplication:
    """The running QApplication, or a new one on the offscreen platform (the CLI, a script)."""
    app = QApplication.instance()
    if app is None:
        argv = ["aipcprof"] if sys.platform == "win32" else ["aipcprof", "-platform", "offscreen"]
        app = QApplication(argv)
        app.setStyle("Fusion")
    return app  # type: ignore[return-value]


def _listed(values: list[str], limit: int, sep: str) -> str:
    unique = list(dict.fromkeys(values))
    return sep.join(unique[:limit]) + (f" (+{len(unique) - limit})" if len(unique) > limit else "")


def figure_title(records: list[RunRecord]) -> str:
    """"model.onnx: ort/cpu vs ov/cpu — host pc1": the model(s), the targets and the host(s)."""
    models = _listed([r.model.name or "model" for r in records], 3, " / ")
    targets = _listed([r.target_id or "?" for r in records], 4, " vs ")
    hosts = [r.host.hostname or "?" for r in records]
    where = ("host " if len(set(hosts)) == 1 else "hosts ") + _listed(hosts, 3, ", ")
    return f"{models}: {targets} — {where}"


def _stripe(text: str, color: str, fg: str, bg: str, bold: bool = False) -> QFrame:
    """A text block with a coloured bar on its left (palette colours: reliable in light and dark)."""
    box = QFrame()
    box.setAutoFillBackground(True)
    pal = box.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor(bg))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(fg))
    box.setPalette(pal)
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 8, 0)
    bar = QFrame()
    bar.setFixedWidth(5)
    bar.setAutoFillBackground(True)
    bar_pal = bar.palette()
    bar_pal.setColor(QPalette.ColorRole.Window, QColor(color))
    bar.setPalette(bar_pal)
    label = plain(QLabel(text))
    label.setWordWrap(True)
    label.setContentsMargins(8, 5, 0, 5)
    if bold:
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
    lay.addWidget(bar)
    lay.addWidget(label, 1)
    return box


class ComparisonFigure(QWidget):
    """The comparison as one picture (its own palette: an export can be dark while the app is light)."""

    def __init__(self, records: list[RunRecord], names: list[str], baseline: int, dark: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        c = theme.DARK if dark else theme.LIGHT
        self.setPalette(theme.palette(dark))
        self.setAutoFillBackground(True)
        font = QFont(self.font())
        font.setPointSizeF(10.5)
        self.setFont(font)
        rows = cmp.compare_rows(records, names, baseline)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 20, 28, 14)
        lay.setSpacing(8)
        self.title = plain(QLabel(figure_title(records)))
        self.title.setWordWrap(True)  # three models and three targets do not fit one line at 18 pt
        title_font = QFont(font)
        title_font.setPointSizeF(18)
        title_font.setBold(True)
        self.title.setFont(title_font)
        lay.addWidget(self.title)
        lay.addWidget(self._muted(f"Baseline: {names[baseline]} · speed-up = baseline p50 / run p50 · "
                                  f"AI PC Profiler {__version__} · {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
                                  c))
        warnings = cmp.comparability_warnings(records, names, baseline)
        if warnings:
            shown = warnings[:4] + ([f"… and {len(warnings) - 4} more"] if len(warnings) > 4 else [])
            bg, fg = ("#4a3a14", "#ffe9c2") if dark else ("#fff4e0", "#4d3300")
            lay.addWidget(_stripe("Not a like-for-like comparison:\n" + "\n".join(f"⚠ {w}" for w in shown),
                                  c.warn, fg, bg, bold=False))
        lay.addWidget(_stripe(cmp.recommendation_line(records, names, baseline), c.ok, c.foreground,
                              c.background, bold=True))
        charts = QHBoxLayout()
        self.cdf = CdfPlot(c)
        self.cdf.set_runs(records, names)
        self.bars = BarsWidget(c)
        self.bars.setFont(font)
        self.bars.set_rows(rows)
        charts.addWidget(self.cdf, 1)
        charts.addWidget(self.bars, 1)
        self.scatter = None
        if speed_accuracy(records, names, baseline).any_accuracy:  # evals: speed vs accuracy
            self.scatter = ScatterPlot(c)
            self.scatter.setFont(font)
            self.scatter.set_runs(records, names, baseline)
            charts.addWidget(self.scatter, 1)
        self.op_types = self._op_types(records, names, baseline, c, dark)
        if self.op_types is not None:
            charts.addWidget(self.op_types, 1)
        self.genai = self._genai_bars(records, names, dark, QFontInfo(font).pixelSize())
        if self.genai is not None:
            charts.addWidget(self.genai, 2)  # twice a chart's width: its labels at the figure's text size
        lay.addLayout(charts, 1)
        lay.addWidget(self._table(rows, baseline, c))
        if len(rows) > MAX_TABLE_ROWS:
            lay.addWidget(self._muted(f"… and {len(rows) - MAX_TABLE_ROWS} more runs (the CSV and the HTML report "
                                      "have them all)", c))
        lay.addWidget(self._differences(records, names, c))

    @staticmethod
    def _genai_bars(records: list[RunRecord], names: list[str], dark: bool, font_px: int) -> QWidget | None:
        """Generative runs: TTFT, decode tokens/s and J/token per prompt length, the same SVG as the view's box
        and the HTML report, its text at the figure's size (`font_px`; None when no run is a generative one)."""
        from PySide6.QtSvgWidgets import QSvgWidget

        from app.report.genai_compare import genai_rows
        from app.report.genai_svg import genai_bars_svg

        rows = genai_rows(records, names)
        if not rows:
            return None
        svg = QSvgWidget()
        svg.load(QByteArray(genai_bars_svg(rows, theme="dark" if dark else "light", width=GENAI_WIDTH,
                                           font_px=font_px).encode("utf-8")))
        size = svg.renderer().defaultSize()
        if hasattr(svg.renderer(), "setAspectRatioMode"):  # Qt >= 6.7: bars keep their shape in a wider cell
            svg.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        svg.setMinimumSize(size.width() // 2, size.height() // 2)
        return svg

    def _op_types(self, records: list[RunRecord], names: list[str], baseline: int, c: theme.ChartColors,
                  dark: bool) -> QWidget | None:
        """The op-type difference chart (baseline vs the first other run with a profile), when any run asked for
        an operator profile; when the two cannot be compared, the reason and the slowest operators of the first
        run that has a profile."""
        diff = ops_compare.type_diff(records, names, baseline, top=6)
        if diff is None:
            return None
        colors = pal.DARK if dark else pal.LIGHT
        w = OpTypeDiffWidget(colors)
        w.setFont(self.font())
        if not diff.message:
            w.set_changes(diff.changes, diff.names, (run_color(c, diff.a), run_color(c, diff.b)), diff.note)
            w.setMinimumHeight(0)  # the figure has a fixed size: the chart takes what the row gives it
            return w
        w.set_message(diff.message)
        shown = ops_compare.profiled(records)
        if not shown:
            return w
        bars = OpBarsWidget(colors)
        bars.setFont(self.font())
        i = shown[0]
        bars.set_sections([ChartSection("", tuple(chart_bars(records[i].op_profile, OpBy.NODE, 8)))],
                          f"Slowest operators on {names[i]} (time per inference)")
        box = QWidget()
        box_lay = QVBoxLayout(box)
        box_lay.setContentsMargins(0, 0, 0, 0)
        box_lay.addWidget(w)
        box_lay.addWidget(bars, 2)
        box.diff, box.bars = w, bars  # for tests
        return box

    @staticmethod
    def _muted(text: str, c: theme.ChartColors) -> QLabel:
        label = plain(QLabel(text))
        pal = label.palette()
        pal.setColor(QPalette.ColorRole.WindowText, QColor(c.muted))
        label.setPalette(pal)
        return label

    def _table(self, rows: list[cmp.ComparisonRow], baseline: int, c: theme.ChartColors):
        t = new_table([h for _, h in RUN_COLUMNS])
        t.setFont(self.font())
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
        shown = rows[:MAX_TABLE_ROWS]
        fill_runs(t, shown, baseline if baseline < len(shown) else -1, c)
        t.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if any(row.accuracy_metric for row in rows):  # two more columns: the long precision text gives way (elided)
            precision = next(i for i, (key, _) in enumerate(RUN_COLUMNS) if key == "precision")
            t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            t.horizontalHeader().setSectionResizeMode(precision, QHeaderView.ResizeMode.Stretch)
        t.horizontalHeader().setStretchLastSection(False)
        t.setFixedHeight(t.horizontalHeader().sizeHint().height() + len(shown) * t.verticalHeader()
                         .defaultSectionSize() + 4)
        return t

    def _differences(self, records: list[RunRecord], names: list[str], c: theme.ChartColors) -> QLabel:
        diffs = diff_rows(records, show_all=False)
        if not diffs:
            return self._muted("Settings, versions and host: the same in every run.", c)
        targets = [r.target_id or "?" for r in records]
        who = targets if len(set(targets)) == len(targets) else [f"#{i + 1}" for i in range(len(records))]
        parts = [f"{key}: " + ", ".join(f"{w} {_short(v)}" for w, v in zip(who, values, strict=True))
                 for key, values in diffs[:6]]
        more = f"  (+{len(diffs) - 6} more)" if len(diffs) > 6 else ""
        label = self._muted("What differs:  " + ";   ".join(parts) + more, c)
        label.setWordWrap(True)
        label.setMaximumHeight(3 * label.fontMetrics().height() + 4)
        return label


def _short(v: object, limit: int = 32) -> str:
    s = "—" if v is None else (json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def comparison_image(records: list[RunRecord], names: list[str], baseline: int = 0, theme_name: str = "auto",
                     size: tuple[int, int] = PNG_SIZE) -> QImage:
    """The comparison figure as an image of exactly `size` pixels (device pixel ratio 1)."""
    ensure_app()
    dark = theme.resolve_dark(theme_name)
    fig = ComparisonFigure(records, names, baseline, dark)
    fig.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    fig.resize(*size)  # never shown: laid out at its fixed size, whatever the window or the screen
    fig.ensurePolished()
    fig.layout().activate()
    for _ in range(3):
        QCoreApplication.sendPostedEvents()  # layout and resize events only: no timers, no input
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(1.0)
    image.fill(QColor((theme.DARK if dark else theme.LIGHT).background))
    painter = QPainter(image)
    fig.render(painter, QPoint(0, 0), QRegion(), QWidget.RenderFlag.DrawChildren | QWidget.RenderFlag.DrawWindowBackground)
    painter.end()
    fig.close()
    fig.deleteLater()
    return image


def render_comparison_png(records: list[RunRecord], names: list[str], baseline: int, path: str | os.PathLike,
                          theme: str = "auto") -> Path:
    """Write the comparison PNG (1600 x 1000) atomically; `aipcprof compare --png` calls this."""
    from app.record import io as rec

    out = Path(path)
    image = comparison_image(records, names, baseline, theme)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise UserError(f"could not encode the PNG {out}.", hint="Try the SVG export instead.")
    buffer.close()
    # The same writer as every other output: short temp name, the user's file mode, /dev/null kept a device.
    return rec.write_atomic(out, bytes(data.data()), "--png")


def copy_image(records: list[RunRecord], names: list[str], baseline: int, theme_name: str = "auto") -> QImage:
    image = comparison_image(records, names, baseline, theme_name)
    QApplication.clipboard().setImage(image)
    return image


def comparison_json(records: list[RunRecord], names: list[str], baseline: int) -> str:
    """What `aipcprof compare --json` prints: rows, warnings, differences, recommendation."""
    rec = cmp.recommendation(records, names, baseline)
    return json.dumps(to_json({
        "names": names, "baseline": baseline,
        "rows": [dataclasses.asdict(row) for row in cmp.compare_rows(records, names, baseline)],
        "warnings": cmp.comparability_warnings(records, names, baseline),
        "differences": [dataclasses.asdict(d) for d in cmp.differences(records)],
        "recommendation": dataclasses.asdict(rec) if rec else None}), indent=1, allow_nan=False)


def write_text_export(kind: str, path: str | os.PathLike, records: list[RunRecord], names: list[str], baseline: int,
                      theme_name: str = "auto") -> Path:
    """svg / csv / json / html, written atomically; no Qt (runs in a background job)."""
    from app.record import io as rec

    if kind == "svg":
        from app.report.svg import comparison_svg

        text = comparison_svg(records, names, cmp.compare_rows(records, names, baseline), theme=theme_name,
                              baseline=baseline)
    elif kind == "csv":
        text = cmp.to_csv(cmp.compare_rows(records, names, baseline))
    elif kind == "json":
        text = comparison_json(records, names, baseline) + "\n"
    elif kind == "html":
        from app.report.html import render_report

        text = render_report(records, names, baseline, theme=theme_name)
    else:
        raise ValueError(f"unknown export {kind!r}")
    return rec.write_atomic(path, text)
