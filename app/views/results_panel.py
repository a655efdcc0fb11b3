"""ResultsPanel: what a finished run measured, read from its run record.

Phases, latency statistics, throughput, placement (with a loud banner when
the accelerator got nothing or only part of the graph), the output check
against ONNX Runtime CPU, precision, energy per inference (or why not),
a generative run's table per prompt length (app/views/results_genai.py),
warnings; plus a comparison table once several runs exist.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common import fmt
from app.record.schema import RunRecord, RunStatus, WarningKind
from app.report import facts
from app.report.text import selection_lines
from app.views import theme
from app.views.banner import Banner
from app.views.conditions_view import ConditionsBox, fill_banner
from app.views.kpi import KpiTile
from app.views.plain import esc, plain, rich, tip
from app.views.results_accuracy import ACCURACY_CAPTION, AccuracyBox, fill_accuracy_tile
from app.views.results_efficiency import fill_energy_tile, stat_rows
from app.views.results_genai import GenAIResultsBox

PHASE_TIPS = {"load": "Read and check the model, build inputs.", "compile": "Create the session: graph "
              "partitioning and the EP's compiler (the NPU compile can take minutes).",
              "first_inference": "The first run: lazy allocations, kernel selection.",
              "settle": "--quiet-check: waiting for other processes to leave the CPU quiet.",
              "warmup": "Unmeasured inferences before the measured loop.",
              "measure": "The measured loop.", "output_check": "Compare outputs with ONNX Runtime CPU."}
PHASE_NAMES = {"load": "load", "compile": "compile", "first_inference": "first inference", "settle": "settle", "warmup": "warm-up",
               "measure": "measure", "output_check": "output check", "data": "read data set", "score": "score accuracy"}
P50_CAPTION, P99_CAPTION = "p50 (whole run)", "p99 (whole run)"
SHARE_CAPTION = "on the accelerator"
STAT_ROWS = (("count", "inferences"), ("min", "min"), ("p50", "p50 (median)"), ("p90", "p90"), ("p95", "p95"),
             ("p99", "p99"), ("max", "max"), ("mean", "mean"), ("std", "std dev"))


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    # Sized to its rows: a horizontal scroll bar would cover the last one. Long text is elided (tooltip: all).
    t.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    t.setTextElideMode(Qt.TextElideMode.ElideRight)
    t.setWordWrap(False)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)  # compact rows
    return t


def _fill(t: QTableWidget, rows: list[tuple], tips: list[str] | None = None) -> None:
    t.clearSpans()
    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(str(value))  # items never render markup: record text is safe here
            if c > 0:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if tips and r < len(tips) and tips[r]:
                item.setToolTip(tip(tips[r]))
            t.setItem(r, c, item)
    t.setFixedHeight(t.horizontalHeader().height() + max(1, len(rows)) * t.verticalHeader().defaultSectionSize() + 4)


class ResultsPanel(QScrollArea):
    compare_requested = Signal()  # "Compare in detail" on this session's runs
    record_shown = Signal(object)  # the RunRecord now shown (the Operators tab follows it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        # Everything in here wraps or shrinks: no sideways scrolling (it hid the last table row).
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.record: RunRecord | None = None
        body = QWidget()
        self.setWidget(body)
        self.title = rich(QLabel("Results appear here when a run ends."))  # record text in it: esc()
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        self.subtitle = plain(QLabel())
        self.subtitle.setEnabled(False)
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selection = plain(QLabel())  # a device policy's pick, a compiled model's load time
        self.selection.setWordWrap(True)
        self.selection.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selection.setVisible(False)
        self.placement_banner = Banner(closable=False)
        self.error_banner = Banner(closable=False)
        self.output_banner = Banner(closable=False)
        self.conditions_banner = Banner(closable=False)
        self.conditions_box = ConditionsBox()
        self.tiles = {
            "p50": KpiTile(P50_CAPTION, "Median latency of all the run's measured inferences (the live view's "
                           "p50 is over the last 2 s only).", wrap=True),
            "p99": KpiTile(P99_CAPTION, "99th-percentile latency of the whole run: the tail.", wrap=True),
            "throughput": KpiTile("throughput", "Measured inferences / measured time.", wrap=True),
            "share": KpiTile(SHARE_CAPTION, "Share of graph nodes the target's accelerator runs.", wrap=True),
            "energy": KpiTile("energy / inference", "Energy over the measured loop / inferences.", wrap=True),
            "precision": KpiTile("precision", "What the target computed in.", wrap=True),
            "accuracy": KpiTile(ACCURACY_CAPTION, "The eval's headline metric on its data set.", wrap=True),
        }
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tiles.addWidget(tile)
        self.phases = _table(["Phase", "Time"])
        self.stats = _table(["Latency", "Value"])
        self.placement = _table(["Provider", "Nodes"])
        self.outputs = _table(["Output", "Max abs error", "Cosine", "OK"])
        self.compare = _table(["Target", "Status", "p50", "p99", "Throughput", "Speed-up", "On accel", "Precision",
                               "Mode", "Perf/W", "Accuracy", "Δ accuracy"])
        self.accuracy_box = AccuracyBox(_table, _fill)  # an eval's metrics, beside its latency
        self.genai_box = GenAIResultsBox(_table, _fill)  # a generative run: one row per prompt length
        self.warnings = plain(QLabel())
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        self.boxes = {}
        for i, (name, widget) in enumerate((("Phases", self.phases), ("Latency statistics", self.stats),
                                            ("Placement", self.placement), ("Output check", self.outputs))):
            box = QGroupBox(name)
            box_lay = QVBoxLayout(box)
            box_lay.addWidget(widget)
            box_lay.addStretch(1)  # tables keep their height at the top of the box
            grid.addWidget(box, i // 2, i % 2)
            self.boxes[name] = box
        self.compare_box = QGroupBox("Runs this session")
        compare_lay = QVBoxLayout(self.compare_box)
        compare_lay.addWidget(self.compare)
        self.compare_button = QPushButton("Compare in Detail…")
        self.compare_button.setToolTip("Latency distributions, bars, what differs, exports (PNG, HTML, bundle...)")
        self.compare_button.clicked.connect(self.compare_requested)
        compare_lay.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.warn_box = QGroupBox("Warnings")
        QVBoxLayout(self.warn_box).addWidget(self.warnings)
        lay = QVBoxLayout(body)
        lay.addWidget(self.title)
        lay.addWidget(self.subtitle)
        lay.addWidget(self.selection)
        lay.addWidget(self.error_banner)
        lay.addWidget(self.placement_banner)
        lay.addWidget(self.output_banner)
        lay.addWidget(self.conditions_banner)
        lay.addLayout(tiles)
        lay.addWidget(self.genai_box)
        lay.addWidget(self.accuracy_box)
        lay.addLayout(grid)
        lay.addWidget(self.conditions_box)
        lay.addWidget(self.warn_box)
        lay.addWidget(self.compare_box)
        lay.addStretch(1)
        self._set_details_visible(False)
        self.compare_box.setVisible(False)

    def _set_details_visible(self, visible: bool) -> None:
        for w in (*self.tiles.values(), *self.boxes.values(), self.warn_box, self.conditions_box):
            w.setVisible(visible)
        if not visible:
            self.accuracy_box.setVisible(False)
            self.genai_box.setVisible(False)

    # -- filling ---------------------------------------------------------
    def show_record(self, r: RunRecord, saved_path: str | None = None) -> None:
        for step in self.fill_steps(r, saved_path):
            step()

    def fill_steps(self, r: RunRecord, saved_path: str | None = None) -> list[Callable[[], None]]:
        """show_record in slices of a few ms of GUI work each, in order: the end of a run runs them one per
        event-loop turn (app/views/steps.py), so the window paints and answers between them (issue #19)."""
        return [partial(self._fill_header, r, saved_path), partial(self._fill_tiles, r),
                partial(self._fill_checks, r), partial(self._fill_tables, r), partial(self._fill_warnings, r)]

    def _fill_header(self, r: RunRecord, saved_path: str | None) -> None:
        self.record = r
        c = theme.colors()
        color = {RunStatus.COMPLETED: c.ok, RunStatus.CANCELLED: c.warn, RunStatus.FAILED: c.error}
        name = r.model.display_name
        self.title.setText(f"{esc(name)} on {esc(r.target_id or '?')} — "
                           f"<span style='color:{color.get(r.status, c.muted)}'>{esc(r.status.value)}</span>")
        t, m = r.target, r.model
        device = t.device_name or t.device_type
        sub = [device, r.host.cpu if r.host.cpu != device else "", r.created_utc]
        if m.graph_name or m.producer:
            sub.append(" ".join(s for s in (f"graph {m.graph_name}" if m.graph_name else "",
                                            f"from {m.producer}" if m.producer else "") if s))
        if saved_path:
            sub.append(f"saved: {saved_path}")
        self.subtitle.setText(" · ".join(s for s in sub if s))
        chosen = selection_lines(r)
        self.selection.setText("\n".join(chosen))
        self.selection.setVisible(bool(chosen))
        if r.error:
            self.error_banner.show_message("error", r.error.message, r.error.hint)
        else:
            self.error_banner.setVisible(False)
        self._set_details_visible(True)

    def _fill_checks(self, r: RunRecord) -> None:
        self.accuracy_box.show_record(r)
        self.genai_box.show_record(r)
        self._fill_banners(r)
        fill_banner(self.conditions_banner, r)
        self.conditions_box.show_record(r)

    def _fill_tables(self, r: RunRecord) -> None:
        self._fill_phases(r)
        self._fill_stats(r)
        self._fill_placement(r)
        self._fill_outputs(r)

    def _fill_warnings(self, r: RunRecord) -> None:
        self.warnings.setText("\n".join(f"⚠ {w.text}" for w in r.warnings) if r.warnings else "No warnings.")
        self.record_shown.emit(r)

    def set_saved_path(self, path: str) -> None:
        """The record reached the disk (written in the background after the run)."""
        text = self.subtitle.text()
        if "saved:" not in text:
            self.subtitle.setText(f"{text} · saved: {path}" if text else f"saved: {path}")

    def _fill_tiles(self, r: RunRecord) -> None:
        lat = r.latency
        t = self.tiles
        n = facts.count_note(lat.count)  # a small sample's count goes beside each statistic
        t["p50"].set(fmt.fmt_ms(lat.p50, compact=True, na=fmt.PENDING))
        t["p50"].set_caption(f"{P50_CAPTION} · {n}" if n else P50_CAPTION)
        t["throughput"].set(fmt.fmt_rate(lat.throughput_per_s, na=fmt.PENDING))
        caption = f"throughput, {r.throughput.requests} in flight" if r.throughput else "throughput"
        t["throughput"].set_caption(f"{caption} · {n}" if n else caption)
        if n:
            t["p99"].set(fmt.PENDING, tip(f"Omitted: {facts.p99_omitted_reason(lat.count)}. Run at least "
                                          f"{facts.MIN_SAMPLES_FOR_P99} inferences for a tail."))
            t["p99"].set_caption(f"p99: too few ({n})")
        else:
            t["p99"].set(fmt.fmt_ms(lat.p99, compact=True, na=fmt.PENDING),
                         "99th-percentile latency of the whole run: the tail.")
            t["p99"].set_caption(P99_CAPTION)
        if r.genai is not None:
            self._genai_tiles(r)
        self._fill_share_tile(r)
        fill_energy_tile(t["energy"], r)
        t["energy"].setVisible(r.genai is None)  # a generative run's J/token is per prompt length, in its table
        if r.measured:
            # OpenVINO's per-precision op counts go to the tooltip, so seven tiles keep readable captions.
            head = (r.precision or "N/A").split(fmt.RUNTIME_OPS_SUFFIX)[0]
            t["precision"].set(head, tip(f"{r.precision}\nWhat the target computed in (from the session)."))
            t["precision"].set_caption("precision")
        else:
            t["precision"].set(fmt.PENDING, "Nothing was measured: the run ended before its first measured "
                                            "inference.")
            t["precision"].set_caption(f"precision: {facts.NOT_MEASURED}")
        fill_accuracy_tile(t["accuracy"], r)

    def _genai_tiles(self, r: RunRecord) -> None:
        """A generative run's latency section holds its decode steps, every prompt length together."""
        n = facts.count_note(r.latency.count)
        suffix = f" · {n}" if n else ""
        self.tiles["p50"].set_caption(f"decode p50 / token{suffix}")
        self.tiles["throughput"].set_caption(f"tokens/s (1 / mean step){suffix}")
        if not n:
            self.tiles["p99"].set_caption("decode p99 / token")

    def _fill_share_tile(self, r: RunRecord) -> None:
        tile, p, c = self.tiles["share"], r.placement, theme.colors()
        share = facts.accelerator_share(r)
        if share.note == facts.NOT_MEASURED:
            tile.set(fmt.PENDING, "Nothing was measured: the run ended before its first measured inference.")
            tile.set_caption(f"placement: {facts.NOT_MEASURED}")
        elif share.note == facts.ON_CPU:
            tile.set(facts.ON_CPU, tip(f"The target is the CPU: all {p.total_nodes} nodes run on {p.accelerator}."
                                       if p else "The target is the CPU."))
            tile.set_caption("placement")
        else:
            v = share.value
            tile.set(share.text(), tip(f"{p.accelerator_nodes} of {p.total_nodes} nodes on {p.accelerator or '?'}"
                                       + (f" ({p.source})" if p.source else "")) if p else "No placement information.",
                     None if v is None or v >= 1 else (c.error if v == 0 else c.warn))
            tile.set_caption(SHARE_CAPTION)

    def _fill_banners(self, r: RunRecord) -> None:
        """Placement and output-check banners, from the record's warnings by kind."""
        p = r.placement
        acc = (p.accelerator if p else "") or r.target_id
        nothing = r.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR)
        fallback = r.warnings_of(WarningKind.PARTIAL_FALLBACK)
        if nothing:
            total = f" of {p.total_nodes}" if p else ""
            self.placement_banner.show_message(
                "error", f"Nothing ran on {acc}: 0{total} nodes were placed there.",
                "These numbers measure the CPU fallback. Check the model's ops and precision "
                "(NPUs want static shapes and QDQ int8), or enable Strict to fail instead.")
        elif fallback:
            share = f" ({p.accelerator_share:.0%})" if p and _num(p.accelerator_share) else ""
            on = f"{p.accelerator_nodes} of {p.total_nodes} nodes{share} ran" if p else "Part of the graph ran"
            self.placement_banner.show_message(
                "warning", f"Partial fallback: {on} on {acc}; the rest on the CPU.",
                "Each hand-over between devices costs time; see Placement below.")
        else:
            self.placement_banner.setVisible(False)
        mismatches = r.warnings_of(WarningKind.OUTPUT_MISMATCH)
        if mismatches:
            n = len(mismatches)
            self.output_banner.show_message(
                "warning", f"{n} output{'s' if n > 1 else ''} differ{'' if n > 1 else 's'} from the "
                f"{r.output_check.reference if r.output_check else 'CPU'} reference: these numbers may be for "
                "wrong results.", "\n".join(w.text for w in mismatches))
        else:
            self.output_banner.setVisible(False)

    def _fill_phases(self, r: RunRecord) -> None:
        phases = sorted(r.phases.items(), key=lambda kv: kv[1].t0_ns or 0)  # run order
        rows = [(PHASE_NAMES.get(name, name), fmt.fmt_ms(p.seconds, compact=True) if p.seconds < 1
                 else f"{p.seconds:.2f} s") for name, p in phases]
        _fill(self.phases, rows, [PHASE_TIPS.get(n, "") for n, _ in phases])

    def _fill_stats(self, r: RunRecord) -> None:
        lat = r.latency
        rows, tips = [], []
        for key, label in STAT_ROWS:
            v = getattr(lat, key)
            if key == "count":
                text = f"{v:,}"
            elif key == "p99":
                text = facts.p99_text(r, lambda s: fmt.fmt_ms(s, compact=True, na=fmt.PENDING))
            else:
                text = facts.with_count(fmt.fmt_ms(v, compact=True, na=fmt.PENDING), lat.count)
            rows.append((label, text))
            tips.append(facts.p99_omitted_reason(lat.count) if key == "p99" and facts.count_note(lat.count) else "")
        if _num(lat.throughput_per_s):
            rows.append(("throughput", facts.with_count(fmt.fmt_rate(lat.throughput_per_s), lat.count)))
            tips.append("Completed inferences / wall time of the measured window" if r.throughput else "")
        more, more_tips = stat_rows(r)
        _fill(self.stats, rows + more, tips + more_tips)
        self.boxes["Latency statistics"].setTitle("Latency under load" if r.throughput else "Decode step latency "
                                                  "(every prompt length)" if r.genai else "Latency statistics")
        if r.genai is not None:
            self.stats.item(0, 0).setText("decode steps")

    def _fill_placement(self, r: RunRecord) -> None:
        p = r.placement
        rows: list[tuple] = []
        if p:
            rows = [(k, v) for k, v in p.nodes_by_provider.items()]
            rows.append(("total", p.total_nodes))
        providers = ", ".join(r.session.providers) if r.session else ""
        _fill(self.placement, rows or [("N/A", "")],
              [f"Session providers: {providers or 'unknown'}"] * max(1, len(rows)))

    def _fill_outputs(self, r: RunRecord) -> None:
        oc = r.output_check
        rows = []
        for o in oc.outputs if oc else []:
            err, cos = o.max_abs_error, o.cosine_similarity
            rows.append((o.name, f"{err:.3g}" if _num(err) else "—", f"{cos:.6f}" if _num(cos) else "—",
                         "✔" if o.ok else "✘ mismatch"))
        message = not rows
        if message:
            rows = [((oc.skipped if oc else None) or "not run", "", "", "")]
        _fill(self.outputs, rows, [f"Reference: {oc.reference if oc else 'ort/cpu'}"] * len(rows))
        if message:  # why there is no comparison: one line across the table
            self.outputs.setSpan(0, 0, 1, self.outputs.columnCount())
            self.outputs.item(0, 0).setToolTip(tip(rows[0][0]))

    def show_comparison(self, records: list[RunRecord]) -> None:
        """Every run of this session; the first that completed is the baseline of the speed-ups."""
        from app.report.comparison import compare_rows

        if len(records) < 2:
            self.compare_box.setVisible(False)
            return
        base = next((i for i, r in enumerate(records) if r.status is RunStatus.COMPLETED), 0)
        rows = compare_rows(records, [str(i) for i in range(len(records))], base)
        columns = ("p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline", "accelerator_share", "precision",
                   "mode", "inferences_per_joule", "accuracy", "accuracy_delta_vs_baseline")
        cells = [[row.target, row.status.value, *(row.cell(k, times="×") for k in columns)] for row in rows]
        cells[base][5] = "baseline"
        _fill(self.compare, [tuple(c) for c in cells])
        evals = any(r.accuracy is not None for r in records)  # accuracy columns only when an eval is listed
        for c in (10, 11):
            self.compare.setColumnHidden(c, not evals)
        self.compare_box.setTitle(f"Runs this session (speed-up vs run {base + 1}, {records[base].target_id})")
        self.compare_box.setVisible(True)
