"""An eval's accuracy in the app: the results panel's tile and box, and the rows the Accuracy panel lists.

Kept apart from results_panel.py: a run made by Evaluate (the same eval as
`aipcprof eval`) adds an `accuracy` tile beside p50 / p99 / throughput and an
"Accuracy" box; a plain run shows neither. Every value comes from the record's
`accuracy` section; a metric that could not be computed is N/A with the
record's note as the reason, never 0.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from app.common import fmt
from app.record.accuracy_schema import Accuracy, Interval
from app.record.schema import RunRecord, RunStatus
from app.views.kpi import KpiTile
from app.views.plain import plain, tip

ACCURACY_CAPTION = "accuracy"
NOT_SCORED = {RunStatus.CANCELLED: "stopped: a stopped eval is not scored",
              RunStatus.FAILED: "failed: not scored"}


def ci_text(ci: Interval) -> str:
    """'95.7%-98.9%' (the record's interval), or '' when there is none."""
    if ci.low is None or ci.high is None:
        return ""
    return f"{fmt.fmt_pct(ci.low)}-{fmt.fmt_pct(ci.high)}"


def headline(r: RunRecord) -> tuple[str, str, str]:
    """(metric, value, 95% CI) of a run for one-line lists; value 'N/A (why)' when the run was not scored."""
    acc = r.accuracy
    if acc is None:
        return "", f"{fmt.NA} ({NOT_SCORED.get(r.status, 'not an eval')})", ""
    metric, value = acc.headline
    if value is None:
        return metric, f"{fmt.NA} ({acc.notes[0] if acc.notes else 'not computed'})", ""
    c = acc.classification
    return metric, fmt.fmt_pct(value), ci_text(c.top1_ci) if c is not None else ""


def metric_rows(acc: Accuracy) -> list[tuple[str, str, str]]:
    """(metric, value, detail) rows of the task's metrics, as the CLI's summary lists them."""
    if acc.classification is not None:
        c = acc.classification
        rows = [("top-1", fmt.fmt_pct(c.top1), f"95% CI {ci_text(c.top1_ci)}" if ci_text(c.top1_ci) else ""),
                ("top-5", fmt.fmt_pct(c.top5), f"95% CI {ci_text(c.top5_ci)}" if c.top5 is not None
                 else f"{c.classes} classes: fewer than 5")]
        worst = sorted((s for s in c.per_class if s.accuracy is not None), key=lambda s: s.accuracy)[:3]
        if worst:
            rows.append(("lowest classes", ", ".join(f"{s.label} {fmt.fmt_pct(s.accuracy)}" for s in worst),
                         ", ".join(f"{s.correct}/{s.samples}" for s in worst)))
        if c.confusion.pairs:
            rows.append(("most confused", ", ".join(f"{p.true}→{p.predicted} ×{p.count}" for p in c.confusion.pairs[:3]),
                         "true → predicted"))
        return rows
    if acc.detection is not None:
        d = acc.detection
        return [("mAP@0.5", fmt.fmt_pct(d.map50), f"{d.images} images, {d.ground_truths} boxes"),
                ("mAP@0.5:0.95", fmt.fmt_pct(d.map50_95), f"{d.detections} detections, layout {d.layout}")]
    if acc.binary is not None:
        b, o = acc.binary, acc.binary.overall
        over = "micro average" if b.per_label else f"threshold {b.threshold:g}"
        rows = [("precision", fmt.fmt_pct(o.precision), over), ("recall", fmt.fmt_pct(o.recall), over),
                ("F1", fmt.fmt_pct(o.f1), over), ("ROC-AUC", fmt.fmt_error(o.roc_auc), "")]
        if b.per_label:
            rows.append(("macro F1", fmt.fmt_pct(b.macro_f1), f"{len(b.per_label)} labels"))
        return rows
    if acc.agreement is not None:
        g = acc.agreement
        return [(f"{o.name}", f"top-1 {fmt.fmt_pct(o.top1_agreement)}",
                 f"vs {g.reference}: cosine {fmt.fmt_cosine(o.cosine_similarity)}, SQNR "
                 + ("identical" if o.identical else fmt.fmt_db(o.sqnr_db))
                 + f", max |err| {fmt.fmt_error(o.max_abs_error)}") for o in g.outputs]
    return []


def fill_accuracy_tile(tile: KpiTile, r: RunRecord) -> None:
    """The headline metric beside the latency tiles; hidden for a run that is not an eval."""
    tile.setVisible(r.accuracy is not None)
    if r.accuracy is None:
        return
    metric, value, ci = headline(r)
    tile.set(value if not value.startswith(fmt.NA) else fmt.NA,
             tip(f"{metric} on {r.accuracy.dataset.samples} samples: {value}" + (f", 95% CI {ci}" if ci else "")))
    tile.set_caption(metric or ACCURACY_CAPTION)  # the interval is in the tooltip and the Accuracy box


class AccuracyBox(QGroupBox):
    """The results panel's "Accuracy" box: data, metrics (a table), skipped samples and notes."""

    def __init__(self, table_factory, fill, parent: QWidget | None = None) -> None:
        super().__init__("Accuracy", parent)
        self._fill = fill
        self.source = plain(QLabel())
        self.source.setWordWrap(True)
        self.table = table_factory(["Metric", "Value", "Detail"])
        self.notes = plain(QLabel())
        self.notes.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.source)
        lay.addWidget(self.table)
        lay.addWidget(self.notes)
        self.setVisible(False)

    def show_record(self, r: RunRecord) -> None:
        acc = r.accuracy
        self.setVisible(acc is not None)
        if acc is None:
            return
        ds = acc.dataset
        labels = f", labels {ds.labels} ({ds.label_format})" if ds.labels else ""
        self.source.setText(f"{acc.task.value}: {ds.samples} of {ds.found} samples from {ds.folder}{labels}"
                            + (f"; output '{acc.output}'" if acc.output else ""))
        self._fill(self.table, metric_rows(acc) or [(fmt.NA, "", "")])
        lines = [f"skipped {s.file}: {s.reason}" for s in ds.skipped[:5]]
        if len(ds.skipped) > 5:
            lines.append(f"… and {len(ds.skipped) - 5} more skipped (see the record)")
        lines += [f"note: {n}" for n in acc.notes]
        self.notes.setText("\n".join(lines))
        self.notes.setVisible(bool(lines))
