"""The `accuracy` section as terminal lines (app.report.text.format_run adds them to a run's summary)."""

from __future__ import annotations

from app.common.fmt import fmt_cosine, fmt_db, fmt_error, fmt_pct
from app.record.accuracy_schema import Accuracy, Interval, TensorDivergence
from app.record.schema import RunRecord

SKIPPED_SHOWN = 5
PER_CLASS_SHOWN = 20


def _ci(ci: Interval) -> str:
    if ci.low is None or ci.high is None:
        return ""
    return f" (95% CI {fmt_pct(ci.low)}-{fmt_pct(ci.high)}, {ci.method})"


def accuracy_lines(r: RunRecord) -> list[str]:
    acc = r.accuracy
    if acc is None:
        return []
    ds = acc.dataset
    lines = [f"  accuracy ({acc.task}): {ds.samples} of {ds.found} samples from {ds.folder}"
             + (f", labels {ds.labels} ({ds.label_format})" if ds.labels else "")]
    if ds.skipped:
        lines.append(f"    skipped {len(ds.skipped)} sample(s) (--on-bad-sample {ds.on_bad_sample}):")
        lines += [f"      {s.file}: {s.reason}" for s in ds.skipped[:SKIPPED_SHOWN]]
        if len(ds.skipped) > SKIPPED_SHOWN:
            lines.append(f"      ... and {len(ds.skipped) - SKIPPED_SHOWN} more (see the record)")
    lines += _task_lines(acc)
    lines += _layerwise_lines(acc)
    lines += [f"    note: {n}" for n in acc.notes]
    return lines


def _sqnr(d: TensorDivergence) -> str:
    return "identical" if d.identical else fmt_db(d.sqnr_db) if d.sqnr_db is not None else "N/A (reference all zeros)"


def _layerwise_lines(acc: Accuracy) -> list[str]:
    lw = acc.layerwise
    if lw is None or not lw.tensors:
        return []
    ref = f"{lw.reference_model} on {lw.reference}" if lw.reference_model else lw.reference
    head = f"    layerwise on {lw.sample} vs {ref}: {lw.tensors} tensors compared in graph order"
    f = lw.first_below
    if f is None:
        low = lw.lowest
        return [head, f"      every tensor at or above {lw.threshold_db:g} dB SQNR"
                + (f" (lowest: {low.tensor}, {_sqnr(low)})" if low else "")]
    return [head, f"      first tensor below {lw.threshold_db:g} dB: {f.tensor} (output of {f.op} node "
                  f"{f.node or '(unnamed)'}), SQNR {_sqnr(f)}, cosine {fmt_cosine(f.cosine)}"]


def _task_lines(acc: Accuracy) -> list[str]:
    out = f" of output '{acc.output}'" if acc.output else ""
    if acc.classification is not None:
        c = acc.classification
        lines = [f"    top-1{out}: {fmt_pct(c.top1)}{_ci(c.top1_ci)}",
                 f"    top-5: {fmt_pct(c.top5)}{_ci(c.top5_ci)}" if c.top5 is not None else "    top-5: N/A"]
        worst = sorted((s for s in c.per_class if s.accuracy is not None), key=lambda s: s.accuracy)
        if worst:
            lines.append("    lowest per-class: " + ", ".join(
                f"{s.label} {fmt_pct(s.accuracy)} ({s.correct}/{s.samples})" for s in worst[:5]))
        absent = [s.label for s in c.per_class if s.samples == 0]
        if absent:
            lines.append(f"    classes with no sample: {len(absent)} ({', '.join(absent[:PER_CLASS_SHOWN])})")
        if c.confusion.pairs:
            lines.append("    most confused (true -> predicted): " + ", ".join(
                f"{p.true}->{p.predicted} x{p.count}" for p in c.confusion.pairs[:5]))
        return lines
    if acc.detection is not None:
        d = acc.detection
        return [f"    mAP@0.5 {fmt_pct(d.map50)}, mAP@0.5:0.95 {fmt_pct(d.map50_95)} ({d.images} images, "
                f"{d.ground_truths} ground-truth boxes, {d.detections} detections; layout {d.layout})"]
    if acc.binary is not None:
        b, o = acc.binary, acc.binary.overall
        lines = [f"    at threshold {b.threshold:g}{out}: precision {fmt_pct(o.precision)}, recall "
                 f"{fmt_pct(o.recall)}, F1 {fmt_pct(o.f1)}, ROC-AUC {fmt_error(o.roc_auc)}"
                 + (" (micro average over labels)" if b.per_label else "")]
        if b.per_label:
            lines.append(f"    macro F1 {fmt_pct(b.macro_f1)} over {len(b.per_label)} labels")
        return lines
    if acc.agreement is not None:
        g = acc.agreement
        return [f"    output '{o.name}' vs {g.reference}: top-1 agreement {fmt_pct(o.top1_agreement)}, "
                f"mean abs err {fmt_error(o.mean_abs_error)}, max {fmt_error(o.max_abs_error)}, "
                f"cosine {fmt_cosine(o.cosine_similarity)}, SQNR "
                + ("identical" if o.identical else fmt_db(o.sqnr_db)) for o in g.outputs]
    return []
