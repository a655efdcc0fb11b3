"""Detection: output decoding for the common layouts, NMS, and COCO mAP (pure functions over arrays).

Boxes are [x1, y1, x2, y2] in the original image's pixels. mAP follows the
COCO definition: per class and IoU threshold, detections sorted by score are
greedily matched to unmatched ground truths of the same image; precision is
made monotone and sampled at 101 recall points; mAP@0.5:0.95 averages the
IoU thresholds 0.50, 0.55, ..., 0.95. A class with no ground truth has no AP
(None) and is left out of the mean, as in pycocotools. Crowd regions and
area ranges are not modelled (docs/accuracy.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


class DetectionLayout(str, enum.Enum):
    """How a detector's outputs are laid out (--detection-layout)."""

    # one output [1, boxes, 5 + classes]: cx, cy, w, h, objectness, class scores (YOLOv5 style)
    CXCYWH_OBJ = "cxcywh-obj"
    # one output [1, boxes, 4 + classes]: cx, cy, w, h, class scores (YOLOv8 style; [1, 4 + classes, boxes] too)
    CXCYWH = "cxcywh"
    # three outputs: boxes [1, K, 4] x1 y1 x2 y2, scores [1, K], classes [1, K] (already suppressed)
    BOXES_SCORES_CLASSES = "boxes-scores-classes"


@dataclass
class Detections:
    """One image's detections: boxes [K, 4] x1y1x2y2, scores [K], classes [K] (ints)."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of `a` [N, 4] with every box of `b` [M, 4]: [N, M]."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def nms(d: Detections, iou_threshold: float) -> Detections:
    """Per-class greedy non-maximum suppression."""
    keep: list[int] = []
    for c in np.unique(d.classes):
        idx = np.nonzero(d.classes == c)[0]
        idx = idx[np.argsort(-d.scores[idx], kind="stable")]
        while idx.size:
            keep.append(int(idx[0]))
            if idx.size == 1:
                break
            overlaps = iou(d.boxes[idx[:1]], d.boxes[idx[1:]])[0]
            idx = idx[1:][overlaps <= iou_threshold]
    keep.sort()
    return Detections(d.boxes[keep], d.scores[keep], d.classes[keep])


def decode(layout: DetectionLayout, outputs: list[np.ndarray], score_threshold: float,
           nms_iou: float | None) -> Detections:
    """One image's outputs (batch 1) as detections in the model input's pixel space."""
    if layout is DetectionLayout.BOXES_SCORES_CLASSES:
        if len(outputs) < 3:
            raise ValueError(f"layout {layout.value} needs 3 outputs (boxes, scores, classes); the model has {len(outputs)}")
        boxes = np.asarray(outputs[0], np.float64).reshape(-1, 4)
        scores = np.asarray(outputs[1], np.float64).reshape(-1)
        classes = np.asarray(outputs[2]).reshape(-1).astype(np.int64)
        d = Detections(boxes, scores, classes)
    else:
        d = _decode_dense(layout, np.asarray(outputs[0], np.float64), score_threshold)
    keep = d.scores >= score_threshold
    d = Detections(d.boxes[keep], d.scores[keep], d.classes[keep])
    return nms(d, nms_iou) if nms_iou is not None else d


def _decode_dense(layout: DetectionLayout, out: np.ndarray, score_threshold: float) -> Detections:
    head = 5 if layout is DetectionLayout.CXCYWH_OBJ else 4
    rows = out.reshape(out.shape[-2], out.shape[-1]) if out.ndim >= 2 else out.reshape(1, -1)
    if layout is DetectionLayout.CXCYWH and rows.shape[0] > head and (
            rows.shape[0] < rows.shape[1] or rows.shape[1] <= head):
        rows = rows.T  # [4 + classes, boxes] (YOLOv8: 84 x 8400) -> [boxes, 4 + classes]
    if rows.shape[1] <= head:
        raise ValueError(f"layout {layout.value}: each box needs more than {head} values, the output has {rows.shape[1]}")
    cls_scores = rows[:, head:]
    if layout is DetectionLayout.CXCYWH_OBJ:
        cls_scores = cls_scores * rows[:, 4:5]
    classes = cls_scores.argmax(axis=1)
    scores = cls_scores[np.arange(len(rows)), classes]
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return Detections(boxes, scores, classes.astype(np.int64))


def average_precision(scores: np.ndarray, matched: np.ndarray, n_truth: int) -> float:
    """COCO AP from detections' scores and whether each matched a ground truth (101-point)."""
    if n_truth == 0:
        raise ValueError("no ground truth")
    if scores.size == 0:
        return 0.0
    order = np.argsort(-scores, kind="mergesort")
    tp = np.cumsum(matched[order])
    fp = np.cumsum(~matched[order])
    recall = tp / n_truth
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # monotone from the right
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(idx < len(precision), precision[np.minimum(idx, len(precision) - 1)], 0.0)
    return float(sampled.mean())


def _match(dets: list[Detections], truths: list[tuple[np.ndarray, np.ndarray]], cls: int,
           thr: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores and matched flags of class `cls`'s detections over all images at IoU `thr`."""
    scores, matched = [], []
    for d, (gt_boxes, gt_classes) in zip(dets, truths):
        mine = np.nonzero(d.classes == cls)[0]
        mine = mine[np.argsort(-d.scores[mine], kind="mergesort")]
        gts = gt_boxes[gt_classes == cls]
        taken = np.zeros(len(gts), bool)
        overlaps = iou(d.boxes[mine], gts) if len(gts) else np.zeros((len(mine), 0))
        for row, i in enumerate(mine):
            best, best_j = thr, -1  # COCO: IoU >= threshold; the best free ground truth wins
            for j in range(len(gts)):
                if not taken[j] and overlaps[row, j] >= best:
                    best, best_j = overlaps[row, j], j
            if best_j >= 0:
                taken[best_j] = True
            scores.append(d.scores[i])
            matched.append(best_j >= 0)
    return np.asarray(scores, np.float64), np.asarray(matched, bool)


def mean_average_precision(dets: list[Detections], truths: list[tuple[np.ndarray, np.ndarray]],
                           classes: list[int]) -> tuple[float | None, float | None, dict[int, float | None]]:
    """(mAP@0.5, mAP@0.5:0.95, per-class AP@0.5) over images; `truths`: per image (boxes [G, 4], classes [G])."""
    per50: dict[int, float | None] = {}
    all_thr: list[float] = []
    for c in classes:
        n_truth = int(sum((t[1] == c).sum() for t in truths))
        if n_truth == 0:
            per50[c] = None
            continue
        aps = [average_precision(*_match(dets, truths, c, thr), n_truth) for thr in IOU_THRESHOLDS]
        per50[c] = aps[0]
        all_thr.append(float(np.mean(aps)))
    scored = [v for v in per50.values() if v is not None]
    if not scored:
        return None, None, per50
    return float(np.mean(scored)), float(np.mean(all_thr)), per50
