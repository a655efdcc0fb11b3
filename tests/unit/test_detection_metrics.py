"""COCO mAP, NMS and output decoding against cases computed by hand (app.run.detection_metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from app.run.detection_metrics import (
    DetectionLayout,
    Detections,
    decode,
    iou,
    mean_average_precision,
    nms,
)


def _dets(boxes, scores, classes) -> Detections:
    return Detections(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(classes, np.int64))


def _truth(boxes, classes):
    return np.array(boxes, float).reshape(-1, 4), np.array(classes, np.int64)


def test_iou_by_hand():
    assert iou([[0, 0, 10, 10]], [[5, 0, 15, 10]])[0, 0] == pytest.approx(50 / 150)
    assert iou([[0, 0, 10, 10]], [[20, 20, 30, 30]])[0, 0] == 0.0
    assert iou(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


def test_one_hit_one_false_positive_one_miss():
    # two ground truths; the best detection is exact, the second is nowhere near: recall stops at 0.5 with
    # precision 1, so 51 of COCO's 101 recall points (0.00..0.50) score 1 -> AP = 51/101 at every IoU
    truths = [_truth([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])]
    dets = [_dets([[0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.8], [0, 0])]
    m50, m5095, per = mean_average_precision(dets, truths, [0])
    assert m50 == pytest.approx(51 / 101) and m5095 == pytest.approx(51 / 101) and per[0] == pytest.approx(51 / 101)


def test_map_over_iou_thresholds():
    # IoU 0.78: a hit at 0.50 ... 0.75 (6 thresholds), a miss at 0.80 ... 0.95 (4): mAP@0.5:0.95 = 0.6
    truths = [_truth([[0, 0, 10, 10]], [0])]
    dets = [_dets([[0, 0, 10, 7.8]], [0.5], [0])]
    m50, m5095, _ = mean_average_precision(dets, truths, [0])
    assert m50 == pytest.approx(1.0) and m5095 == pytest.approx(0.6)


def test_no_detections_and_a_class_without_ground_truth():
    truths = [_truth([[0, 0, 10, 10]], [0]), _truth([], [])]
    dets = [Detections.empty(), _dets([[0, 0, 5, 5]], [0.9], [1])]  # class 1 has no ground truth anywhere
    m50, m5095, per = mean_average_precision(dets, truths, [0, 1])
    assert per == {0: 0.0, 1: None}  # a class never present has no AP and stays out of the mean
    assert m50 == 0.0 and m5095 == 0.0
    assert mean_average_precision([Detections.empty()], [_truth([], [])], [0]) == (None, None, {0: None})


def test_duplicate_detection_is_a_false_positive_and_lower_score_ranks_after():
    truths = [_truth([[0, 0, 10, 10]], [0])]
    dets = [_dets([[0, 0, 10, 10], [0, 0, 10, 10]], [0.6, 0.9], [0, 0])]
    # the 0.9 one takes the ground truth: TP then FP -> precision 1 at recall 1 -> AP 1
    assert mean_average_precision(dets, truths, [0])[0] == pytest.approx(1.0)


def test_nms_per_class():
    d = _dets([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10]], [0.8, 0.9, 0.7], [0, 0, 1])
    kept = nms(d, 0.5)
    assert sorted(kept.scores.tolist()) == [0.7, 0.9]  # the 0.8 box overlaps the 0.9 one (IoU 0.82); class 1 stays


def test_decode_yolo_layouts():
    row = [5, 5, 10, 10, 0.5, 0.2, 0.8]  # cx cy w h obj, two classes
    d = decode(DetectionLayout.CXCYWH_OBJ, [np.array([[row]])], 0.1, None)
    assert d.boxes.tolist() == [[0, 0, 10, 10]] and d.classes.tolist() == [1] and d.scores[0] == pytest.approx(0.4)
    # YOLOv8: [1, 4 + classes, boxes] (transposed), no objectness
    out = np.array([[[5, 20], [5, 20], [10, 4], [10, 4], [0.9, 0.05], [0.1, 0.6]]])
    d = decode(DetectionLayout.CXCYWH, [out], 0.5, 0.5)
    assert d.classes.tolist() == [0, 1] and d.boxes[1].tolist() == [18, 18, 22, 22]
    d = decode(DetectionLayout.BOXES_SCORES_CLASSES, [np.array([[[1, 2, 3, 4]]]), np.array([[0.3]]),
                                                      np.array([[2]])], 0.5, None)
    assert len(d.scores) == 0  # below the score threshold
    with pytest.raises(ValueError, match="needs 3 outputs"):
        decode(DetectionLayout.BOXES_SCORES_CLASSES, [np.zeros((1, 1, 4))], 0.5, None)
