"""Accuracy metrics of classification, binary/multilabel and agreement: pure functions over arrays.

Every function takes the model's scores (one row per sample) and the labels,
and returns the record's typed section (app.record.accuracy_schema). A metric
that cannot be computed is None, never 0; its reason goes in `notes`.
Detection (mAP) is in app.run.detection_metrics.
"""

from __future__ import annotations

import math

import numpy as np

from app.record.accuracy_schema import (
    AgreementMetrics,
    BinaryMetrics,
    ClassificationMetrics,
    ClassScore,
    Confusion,
    ConfusionPair,
    Interval,
    LabelScores,
    OutputAgreement,
)

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
TOP_PAIRS = 10  # confusion pairs kept in the record


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval of a proportion (stays inside 0-1, sane at 0 and n successes)."""
    if n <= 0:
        return Interval()
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, not 0.9999999999999999
    return Interval(low=low, high=1.0 if successes == n else min(1.0, centre + half))


def _top_k_hits(scores: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per sample, whether the label is among the k highest scores: fewer than k classes score strictly
    higher (a label tied with the k-th score counts as a hit, whatever order a sort would give them)."""
    own = scores[np.arange(len(labels)), labels]
    higher = (scores > own[:, None]).sum(axis=1)
    return higher < k


def classification(scores: np.ndarray, labels: np.ndarray, class_names: list[str] | None = None,
                   notes: list[str] | None = None) -> ClassificationMetrics:
    """Top-1/top-5 with Wilson 95% intervals, per-class accuracy and the confusion summary.

    `scores`: [samples, classes]; `labels`: class indices. Top-1 takes the first highest score
    (numpy argmax), so a tie between the label and another class is counted as whatever argmax picks.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n, classes = scores.shape
    names = list(class_names or []) + [str(i) for i in range(len(class_names or []), classes)]
    predicted = scores.argmax(axis=1) if n else np.zeros(0, np.int64)
    correct1 = int((predicted == labels).sum())
    m = ClassificationMetrics(samples=n, classes=classes)
    if n:
        m.top1, m.top1_ci = correct1 / n, wilson(correct1, n)
    if classes >= 5 and n:
        hits5 = int(_top_k_hits(scores, labels, 5).sum())
        m.top5, m.top5_ci = hits5 / n, wilson(hits5, n)
    elif notes is not None and classes < 5:
        notes.append(f"top-5 not computed: the output has {classes} classes (fewer than 5)")
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    for c in range(classes):
        count = int(matrix[c].sum())
        m.per_class.append(ClassScore(label=names[c], samples=count, correct=int(matrix[c, c]),
                                      accuracy=matrix[c, c] / count if count else None,
                                      predicted=int(matrix[:, c].sum())))
    m.confusion = _confusion(matrix, names)
    return m


def _confusion(matrix: np.ndarray, names: list[str]) -> Confusion:
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    flat = [(int(off[t, p]), t, p) for t, p in zip(*np.nonzero(off))]
    flat.sort(key=lambda x: (-x[0], x[1], x[2]))
    pairs = [ConfusionPair(true=names[t], predicted=names[p], count=c) for c, t, p in flat[:TOP_PAIRS]]
    small = len(names) <= Confusion.MATRIX_MAX
    return Confusion(pairs=pairs, labels=names if small else [], matrix=matrix.tolist() if small else [])


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); None without both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    pos, neg = int(truth.sum()), int((~truth).sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over runs of equal scores
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[truth].sum() - pos * (pos + 1) / 2
    return float(u / (pos * neg))


def label_scores(scores: np.ndarray, truth: np.ndarray, threshold: float, label: str = "") -> LabelScores:
    """Precision, recall and F1 of `scores >= threshold` against `truth`, and ROC-AUC."""
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(scores) >= threshold
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    out = LabelScores(label=label, positives=int(truth.sum()), negatives=int((~truth).sum()),
                      roc_auc=roc_auc(scores, truth))
    out.precision = tp / (tp + fp) if tp + fp else None
    out.recall = tp / (tp + fn) if tp + fn else None
    if out.precision is not None and out.recall is not None:
        out.f1 = 0.0 if tp == 0 else 2 * out.precision * out.recall / (out.precision + out.recall)
    return out


def binary(scores: np.ndarray, truth: np.ndarray, threshold: float) -> BinaryMetrics:
    """One score per sample against 0/1 labels."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    return BinaryMetrics(threshold=threshold, samples=len(scores),
                         overall=label_scores(scores, np.asarray(truth).reshape(-1), threshold))


def multilabel(scores: np.ndarray, truth: np.ndarray, threshold: float,
               names: list[str] | None = None) -> BinaryMetrics:
    """[samples, labels] scores against a 0/1 matrix: per label, the micro average and the macro F1."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    names = list(names or []) + [str(i) for i in range(len(names or []), scores.shape[1])]
    per = [label_scores(scores[:, j], truth[:, j], threshold, names[j]) for j in range(scores.shape[1])]
    f1s = [p.f1 for p in per if p.f1 is not None]
    return BinaryMetrics(threshold=threshold, samples=scores.shape[0], per_label=per,
                         overall=label_scores(scores.reshape(-1), truth.reshape(-1), threshold, "micro"),
                         macro_f1=float(np.mean(f1s)) if f1s else None)


def agreement(name: str, target: list[np.ndarray], reference: list[np.ndarray]) -> OutputAgreement:
    """One output over the data set: top-1 agreement (per sample argmax), errors, cosine, SQNR."""
    out = OutputAgreement(name=name, samples=len(target))
    if not target:
        return out
    a = np.concatenate([np.asarray(x, np.float64).reshape(-1) for x in target])
    b = np.concatenate([np.asarray(x, np.float64).reshape(-1) for x in reference])
    err = a - b
    out.mean_abs_error = float(np.abs(err).mean()) if err.size else None
    out.max_abs_error = float(np.abs(err).max()) if err.size else None
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    out.cosine_similarity = float(a @ b / norm) if norm > 0 else None
    noise, signal = float((err * err).sum()), float((b * b).sum())
    out.identical = noise == 0.0
    out.sqnr_db = 10 * math.log10(signal / noise) if noise > 0 and signal > 0 else None
    if all(np.asarray(x).size >= 2 for x in target):
        same = [int(np.argmax(x)) == int(np.argmax(r)) for x, r in zip(target, reference)]
        out.top1_agreement = sum(same) / len(same)
    return out


def agreement_section(reference_id: str, names: list[str], target: dict[str, list[np.ndarray]],
                      reference: dict[str, list[np.ndarray]]) -> AgreementMetrics:
    return AgreementMetrics(reference=reference_id,
                            outputs=[agreement(n, target[n], reference[n]) for n in names])
