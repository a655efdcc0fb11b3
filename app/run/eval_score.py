"""Scoring an eval's collected outputs against its labels: the task's section of `accuracy`.

`check_labels` runs on the first sample's outputs, before the rest of the data
set: labels that name more classes than the output has fail the run at once.
"""

from __future__ import annotations

import numpy as np

from app.common.errors import UserError
from app.record.accuracy_schema import Accuracy, DetectionMetrics, Task
from app.run import metrics
from app.run.detection_metrics import DetectionLayout, decode, mean_average_precision
from app.run.eval_spec import EvalSpec


def scored_output(ev: EvalSpec, names: list[str]) -> int:
    if ev.output is None:
        return 0
    if ev.output not in names:
        raise UserError(f"--output {ev.output}: the model has no such output.", hint=f"Outputs: {', '.join(names)}.")
    return names.index(ev.output)


def _label_classes(ds) -> int:
    """How many classes the labels imply: the class names, or the largest label + 1."""
    if ds.class_names:
        return len(ds.class_names)
    top = -1
    for s in ds.samples:
        values = s.label if isinstance(s.label, list) else [s.label] if isinstance(s.label, int) else []
        top = max([top, *values])
    return top + 1


def check_labels(ev: EvalSpec, ds, names: list[str], outs: list[np.ndarray]) -> None:
    """The labels fit the scored output's class count (classification, multilabel); UserError if not."""
    task = ev.task_enum
    if task not in (Task.CLASSIFICATION, Task.MULTILABEL):
        return
    i = scored_output(ev, names)
    classes = int(np.asarray(outs[i]).size)
    wanted = _label_classes(ds)
    where = f"--labels {ds.labels_path}"
    if ds.label_format == "folders" and ds.class_names and wanted != classes:
        raise UserError(f"{where}: {wanted} class folders, but output '{names[i]}' has {classes} classes.",
                        hint="Name the folders by class number (0, 1, ...) or keep one folder per output class.")
    if wanted > classes:
        raise UserError(f"{where}: labels go up to class {wanted - 1}, but output '{names[i]}' has {classes} "
                        "classes.", hint="Check the labels belong to this model (class numbers start at 0).")


def score(acc: Accuracy, ev: EvalSpec, names: list[str], run, reference) -> None:
    """Fill `acc` with the task's metrics from the Evaluation `run` (its used samples and outputs)."""
    task = acc.task
    if task is Task.AGREEMENT:
        target = {n: [o[i] for o in run.outputs] for i, n in enumerate(names)}
        ref = {n: [o[i] for o in reference] for i, n in enumerate(names)}
        acc.agreement = metrics.agreement_section(ev.reference, names, target, ref)
        return
    if task is Task.DETECTION:
        acc.detection = _detection(ev, run, acc.notes)
        return
    i = scored_output(ev, names)
    acc.output = names[i]
    rows = np.stack([np.asarray(o[i], np.float64).reshape(-1) for o in run.outputs])
    labels = [s.label for s in run.used]
    if task is Task.CLASSIFICATION:
        acc.classification = metrics.classification(rows, np.asarray(labels, np.int64),
                                                    run.ds.class_names or None, acc.notes)
    elif task is Task.BINARY:
        if rows.shape[1] not in (1, 2):
            raise UserError(f"--task binary: output '{names[i]}' has {rows.shape[1]} values per sample.",
                            hint="A binary output has one score (or two: the second is the positive class).")
        if rows.shape[1] == 2:
            acc.notes.append("two values per sample: the second is taken as the positive class's score")
        acc.binary = metrics.binary(rows[:, -1], np.asarray(labels, np.int64) > 0, ev.threshold)
    else:
        truth = np.zeros(rows.shape, bool)
        for r, label in enumerate(labels):
            truth[r, label if isinstance(label, list) else [label]] = True
        acc.binary = metrics.multilabel(rows, truth, ev.threshold, run.ds.class_names or None)


def _detection(ev: EvalSpec, run, notes: list[str]) -> DetectionMetrics:
    layout = DetectionLayout(ev.detection_layout)
    dets, truths = [], []
    for outs, ref, geo in zip(run.outputs, run.used, run.geometry):
        try:
            d = decode(layout, outs, ev.score_threshold, ev.nms_iou)
        except ValueError as e:
            raise UserError(f"--detection-layout {layout.value}: {e}.",
                            hint=f"Layouts: {', '.join(x.value for x in DetectionLayout)}.") from None
        if geo is not None:
            d.boxes = geo.to_original(d.boxes)
        dets.append(d)
        truths.append(ref.label)
    names = run.ds.class_names
    m50, m5095, per = mean_average_precision(dets, truths, list(range(len(names))))
    if m50 is None:
        notes.append("no ground-truth box in the scored images: mAP is undefined")
    return DetectionMetrics(images=len(dets), ground_truths=int(sum(len(t[1]) for t in truths)),
                            detections=int(sum(len(d.scores) for d in dets)), map50=m50, map50_95=m5095,
                            per_class_ap50={names[c]: v for c, v in per.items()}, layout=layout.value,
                            score_threshold=ev.score_threshold, nms_iou=ev.nms_iou)
