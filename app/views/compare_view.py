"""CompareView: two or more runs side by side, with a baseline picker and one-click exports.

Warnings about runs that are not like-for-like (another model, other input
shapes, a partial run) sit on top, where they cannot be missed; then the
recommendation, the latency CDF and the bars, the speed-vs-accuracy scatter
when a run is an eval, the table with speed-up vs the chosen baseline, and what
differs in settings, versions and host.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.common.errors import UserError
from app.record.schema import RunRecord
from app.report import comparison as cmp
from app.report import ops_compare
from app.report import palette as pal
from app.views import export, theme
from app.views.banner import Banner
from app.views.compare_charts import BarsWidget, CdfPlot, cdf_points, run_color
from app.views.compare_scatter import ScatterPlot
from app.views.compare_tables import RUN_COLUMNS, fill_diffs, fill_runs, new_table
from app.views.genai_compare_view import GenAIBarsBox
from app.views.ops_charts import OpTypeDiffWidget
from app.views.plain import esc, plain, rich, tip

EXPORTS = (("png", "Save PNG…", "The comparison as a 1600 x 1000 picture (title, charts, table)", "PNG image (*.png)"),
           ("copy", "Copy Image", "Copy the comparison picture to the clipboard", ""),
           ("svg", "SVG…", "The latency CDF and the bars as one SVG file", "SVG image (*.svg)"),
           ("csv", "CSV…", "The comparison table as CSV", "CSV (*.csv)"),
           ("json", "JSON…", "Rows, warnings, differences and the recommendation as JSON", "JSON (*.json)"),
           ("html", "HTML Report…", "One self-contained HTML file: opens offline, loads nothing", "HTML (*.html)"),
           ("bundle", "Share Bundle…", "A zip with the report, the table, the PNG and every run file", "Zip (*.zip)"))


def _local_time(utc: str) -> str:
    try:
        return dt.datetime.fromisoformat(utc).astimezone().strftime("%H:%M:%S")
    except (TypeError, ValueError):
        return ""


def distinct_names(names: list[str], records: list[RunRecord]) -> list[str]:
    """Runs that share a name are told apart by their start time ("ort/cpu 14:02:31"), then by number."""
    counts = {n: names.count(n) for n in names}
    out = [f"{n} {_local_time(r.created_utc)}".rstrip() if counts[n] > 1 else n
           for n, r in zip(names, records, strict=True)]
    if len(set(out)) < len(out):
        out = [f"{i + 1}: {n}" for i, n in enumerate(out)]
    return out


MAX_WARNING_LINES = 5  # more would push the charts off a laptop screen; the tooltip has them all


class CompareView(QWidget):
    exported = Signal(str, str)  # kind, path
    export_failed = Signal(str)  # message

    def __init__(self, jobs=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs  # a JobRunner for the exports that need no Qt (HTML, bundle...); None: inline
        self.records: list[RunRecord] = []
        self.names: list[str] = []
        self.files: list[str | None] = []
        self.baseline = 0
        self.last_dir = str(Path.home())
        self.colors = theme.colors()
        self.stack = QStackedWidget()
        empty = QLabel("Select two or more runs in History and press Compare\n"
                       "(or Run on All Targets, then Compare in the results).")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setEnabled(False)
        self.stack.addWidget(empty)
        self._built = False  # the charts and tables are built on first use: a faster window start
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.stack)

    def _build_content(self) -> QWidget:
        body = QWidget()
        self.title = plain(QLabel())  # model names, targets and hosts from the records
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.warnings = Banner(closable=False)
        self.status = Banner()  # export errors
        self.baseline_combo = QComboBox()
        self.baseline_combo.setToolTip("Speed-up and highlighted differences are relative to this run.")
        self.baseline_combo.currentIndexChanged.connect(self._on_baseline_combo_current_index_changed)
        self.recommendation = rich(QLabel())  # its record text goes through esc()
        self.recommendation.setWordWrap(True)
        self.recommendation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Baseline:"))
        pick.addWidget(self.baseline_combo)
        pick.addWidget(self.recommendation, 1)
        self.toolbar = QToolBar("Export")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addWidget(QLabel("Export: "))
        self.export_actions = {}
        for kind, text, hint, _ in EXPORTS:
            action = self.toolbar.addAction(text)
            action.setToolTip(hint)
            action.triggered.connect(lambda _=False, k=kind: self._on_export_triggered(k))
            self.export_actions[kind] = action
        self.cdf = CdfPlot(self.colors)
        self.bars = BarsWidget(self.colors)
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.cdf)
        charts.addWidget(self.bars)
        charts.setSizes([600, 500])
        self.table = new_table([h for _, h in RUN_COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 230)  # long run names: elided, full name in the tooltip
        self.diff_table = new_table(["Setting / version / host"])
        self.diff_label = rich(QLabel())
        self.show_all = QCheckBox("Show all settings, versions and host facts (differences highlighted)")
        self.show_all.toggled.connect(self._on_show_all_toggled)
        diffs = QWidget()
        diff_lay = QVBoxLayout(diffs)
        diff_lay.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.diff_label)
        head.addStretch(1)
        head.addWidget(self.show_all)
        diff_lay.addLayout(head)
        diff_lay.addWidget(self.diff_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(charts)
        split.addWidget(self._build_scatter())
        split.addWidget(self._build_op_types())
        self.genai_bars = GenAIBarsBox()  # generative runs: TTFT, tokens/s, J/token per prompt length
        split.addWidget(self.genai_bars)
        split.addWidget(self.table)
        split.addWidget(diffs)
        split.setSizes([420, 380, 260, 300, 160, 200])
        self.split = split
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        for w in (self.title, self.warnings, self.status):
            lay.addWidget(w)
        lay.addLayout(pick)
        lay.addWidget(self.toolbar)
        lay.addWidget(split, 1)
        return body

    def _build_scatter(self) -> QGroupBox:
        """Speed vs accuracy, shown when a run is an eval (`aipcprof eval`, the Accuracy panel)."""
        self.scatter_box = QGroupBox()  # the chart has its title
        self.scatter = ScatterPlot(self.colors)
        self.scatter.setMinimumHeight(300)
        QVBoxLayout(self.scatter_box).addWidget(self.scatter)
        return self.scatter_box

    def _build_op_types(self) -> QGroupBox:
        """The op-type difference chart: the baseline against one other run with an operator profile."""
        self.op_types_box = QGroupBox("Operator types")
        self.op_other = QComboBox()
        self.op_other.setToolTip("The run whose op-type times are set against the baseline's.")
        self.op_other.currentIndexChanged.connect(self._on_op_other_current_index_changed)
        self.op_diff = OpTypeDiffWidget(pal.DARK if theme.is_dark() else pal.LIGHT)
        head = QHBoxLayout()
        head.addWidget(QLabel("Baseline vs:"))
        head.addWidget(self.op_other)
        head.addStretch(1)
        lay = QVBoxLayout(self.op_types_box)
        lay.addLayout(head)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(self.op_diff)
        lay.addWidget(area, 1)
        self._op_others: list[int] = []
        return self.op_types_box

    # -- data --------------------------------------------------------------
    def set_runs(self, records: list[RunRecord], names: list[str], files: list | None = None, baseline: int = 0,
                 cdfs: list | None = None) -> None:
        """Show these runs (2 or more); `files` are their run files, copied byte for byte into a bundle;
        `cdfs` their cdf_points when already computed off the GUI thread."""
        if not self._built:
            self.stack.addWidget(self._build_content())
            self._built = True
        names = distinct_names(list(names), records)
        self.records, self.names = list(records), list(names)
        self.files = list(files) if files else [None] * len(records)
        self.baseline = baseline if 0 <= baseline < len(records) else 0
        self.colors = theme.colors()
        self.cdf.set_runs(self.records, self.names, cdfs or [cdf_points(r) for r in self.records])
        self.title.setText(export.figure_title(self.records))
        self.baseline_combo.blockSignals(True)
        self.baseline_combo.clear()
        self.baseline_combo.addItems(self.names)
        self.baseline_combo.setCurrentIndex(self.baseline)
        self.baseline_combo.blockSignals(False)
        self.status.setVisible(False)
        self._refresh()
        self.stack.setCurrentIndex(1 if len(records) >= 2 else 0)

    def set_baseline(self, index: int) -> None:
        if 0 <= index < len(self.records) and index != self.baseline:
            self.baseline = index
            self.baseline_combo.setCurrentIndex(index)
            self._refresh()

    def _on_baseline_combo_current_index_changed(self, index: int) -> None:
        self.set_baseline(index)

    def _on_show_all_toggled(self, _checked: bool) -> None:
        self._fill_diffs()

    def _refresh(self) -> None:
        if not self.records:
            return
        records, names, base = self.records, self.names, self.baseline
        rows = cmp.compare_rows(records, names, base)
        fill_runs(self.table, rows, base, self.colors)
        self.bars.set_rows(rows)
        shown = self.genai_bars.isVisibleTo(self)
        self.genai_bars.set_runs(records, names, theme.is_dark())
        if self.genai_bars.rows and not shown:  # generative runs now: their bars are the main picture
            total = sum(self.split.sizes())
            self.split.setSizes([int(total * k) for k in (0.3, 0, 0, 0.4, 0.15, 0.15)])
        warnings = cmp.comparability_warnings(records, names, base)
        if warnings:
            lines = [f"⚠ {w}" for w in warnings]
            more = len(lines) - MAX_WARNING_LINES
            shown = lines if more <= 0 else lines[:MAX_WARNING_LINES - 1] + [
                f"… and {more + 1} more (all of them in the tooltip and the HTML report)"]
            self.warnings.show_message("warning", f"Not a like-for-like comparison ({len(warnings)} warning"
                                       f"{'s' if len(warnings) > 1 else ''}): read these numbers with care.",
                                       "\n".join(shown))
            self.warnings.setToolTip(tip("\n".join(lines)))
        else:
            self.warnings.setVisible(False)
        self.scatter_box.setVisible(self.scatter.set_runs(records, names, base).any_accuracy)
        self._fill_op_types()
        line = cmp.recommendation_line(records, names, base)
        color = self.colors.ok if line.startswith("Recommended") else self.colors.warn
        self.recommendation.setText(f"<b style='color:{color}'>{esc(line)}</b>")
        self._fill_diffs()

    def _fill_op_types(self, other: int | None = None) -> None:
        """The op-type chart of the baseline against `other` (default: the first run with a profile); hidden
        when no run asked for an operator profile, a reason when they cannot be compared."""
        diff = ops_compare.type_diff(self.records, self.names, self.baseline, other)
        self.op_types_box.setVisible(diff is not None)
        if diff is None:
            return
        self._op_others = ops_compare.candidates(self.records, self.baseline)
        self.op_other.blockSignals(True)
        self.op_other.clear()
        self.op_other.addItems([self.names[i] for i in self._op_others])
        self.op_other.setCurrentIndex(self._op_others.index(diff.b) if diff.b in self._op_others else -1)
        self.op_other.blockSignals(False)
        self.op_other.setEnabled(len(self._op_others) > 1)
        self.op_diff.set_colors(pal.DARK if theme.is_dark() else pal.LIGHT)
        if diff.message:
            self.op_diff.set_message(diff.message)
        else:
            self.op_diff.set_changes(diff.changes, diff.names, (run_color(self.colors, diff.a),
                                                                run_color(self.colors, diff.b)), diff.note)

    def _on_op_other_current_index_changed(self, index: int) -> None:
        if 0 <= index < len(self._op_others):
            self._fill_op_types(self._op_others[index])

    def _fill_diffs(self) -> None:
        n = fill_diffs(self.diff_table, self.records, self.names, self.baseline, self.colors, self.show_all.isChecked())
        self.diff_label.setText(f"<b>What differs:</b> {n} setting{'s' if n != 1 else ''}, version or host fact"
                                f"{'s' if n != 1 else ''}" if n else "<b>What differs:</b> nothing — settings, "
                                "versions and host are the same in every run.")

    def warning_text(self) -> str:
        """The comparability warnings shown on top ("" when there are none)."""
        return "" if self.warnings.isHidden() else self.warnings.text()

    # -- exports -----------------------------------------------------------
    def _on_export_triggered(self, kind: str) -> None:
        if kind == "copy":
            self.copy_image()
            return
        _, text, _, pattern = next(e for e in EXPORTS if e[0] == kind)
        ext = pattern.split("*")[1].rstrip(")")
        default = str(Path(self.last_dir) / f"comparison{ext}")
        path, _ = QFileDialog.getSaveFileName(self, text.rstrip("…"), default, pattern)
        if path:
            self.last_dir = str(Path(path).parent)
            self.export(kind, path)

    def export(self, kind: str, path: str, theme_name: str = "auto") -> None:
        """Write one export; the result arrives as `exported` or `export_failed` (HTML, bundle: a job)."""
        records, names, base, files = self.records, self.names, self.baseline, self.files
        try:
            if kind == "png":
                export.render_comparison_png(records, names, base, path, theme_name)
                self._on_export_done(kind, path)
                return
            if kind == "bundle":
                png = Path(path).with_name(f".{Path(path).stem}.png")
                export.render_comparison_png(records, names, base, png, theme_name)  # Qt: on this thread

                def work() -> str:
                    from app.report.bundle import write_bundle

                    try:
                        return str(write_bundle(path, records, names, base, run_files=files, png=png, theme="auto"))
                    finally:
                        png.unlink(missing_ok=True)
            else:
                def work() -> str:
                    return str(export.write_text_export(kind, path, records, names, base, "auto"))
        except (UserError, OSError, ValueError) as e:
            self._on_export_error(e)
            return
        if self.jobs is None:
            try:
                self._on_export_done(kind, work())
            except Exception as e:  # noqa: BLE001 - shown inline
                self._on_export_error(e)
        else:
            self.jobs.submit(work, lambda p: self._on_export_done(kind, p), self._on_export_error)

    def copy_image(self) -> None:
        try:
            export.copy_image(self.records, self.names, self.baseline)
        except Exception as e:  # noqa: BLE001
            self._on_export_error(e)
            return
        self.exported.emit("clipboard", "")

    def _on_export_done(self, kind: str, path: str) -> None:
        self.status.setVisible(False)
        self.exported.emit(kind, path)

    def _on_export_error(self, e: BaseException) -> None:
        message = e.message if isinstance(e, UserError) else f"{e.__class__.__name__}: {e}"
        self.status.show_message("error", f"Export failed: {message}", getattr(e, "hint", "") or
                                 "Choose another folder or file name.")
        self.export_failed.emit(message)

