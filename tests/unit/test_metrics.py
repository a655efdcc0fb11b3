"""Accuracy metrics against hand-checked values and their edge cases (app.run.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.record.accuracy_schema import Accuracy, ClassificationMetrics, Task
from app.record.schema import RunRecord, TargetInfo
from app.run import metrics


def _scores(predicted: list[int], classes: int) -> np.ndarray:
    s = np.zeros((len(predicted), classes))
    s[np.arange(len(predicted)), predicted] = 1.0
    return s


def test_confusion_matrix_and_per_class_by_hand():
    # truth:     0 0 0 1 1 2 2 2 2 ; predicted: 0 0 1 1 1 2 2 0 1
    truth = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    pred = [0, 0, 1, 1, 1, 2, 2, 0, 1]
    m = metrics.classification(_scores(pred, 4), np.array(truth), ["a", "b", "c", "d"])
    assert m.samples == 9 and m.classes == 4
    assert m.top1 == pytest.approx(6 / 9)
    assert m.confusion.matrix == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 1, 2, 0], [0, 0, 0, 0]]
    by = {c.label: c for c in m.per_class}
    assert (by["a"].correct, by["a"].samples, by["a"].accuracy) == (2, 3, pytest.approx(2 / 3))
    assert by["b"].accuracy == 1.0 and by["b"].predicted == 4
    assert by["c"].accuracy == pytest.approx(0.5)
    # a class that never appears: no accuracy (not 0), and counted as never predicted
    assert by["d"].samples == 0 and by["d"].accuracy is None and by["d"].predicted == 0
    pairs = [(p.true, p.predicted, p.count) for p in m.confusion.pairs]
    assert pairs == [("a", "b", 1), ("c", "a", 1), ("c", "b", 1)]  # ties broken by class order


def test_wilson_interval_known_values():
    # 81/263: the worked example of Wilson's interval (Newcombe 1998, method 3): 0.2553-0.3662
    ci = metrics.wilson(81, 263)
    assert ci.low == pytest.approx(0.2553, abs=5e-4) and ci.high == pytest.approx(0.3662, abs=5e-4)
    # all right: the interval stays inside 0-1 and is not degenerate
    ci = metrics.wilson(10, 10)
    assert ci.high == 1.0 and ci.low == pytest.approx(0.7225, abs=5e-4)
    assert metrics.wilson(0, 0).low is None


def test_top5_with_ties_and_too_few_classes():
    scores = np.array([[5, 4, 3, 2, 1, 0.0],  # label 4: 4 higher -> hit
                       [5, 4, 3, 2, 1, 1.0],  # label 5 tied with the 5th: 4 strictly higher -> hit
                       [5, 4, 3, 2, 1, 0.0]])  # label 5: 5 higher -> miss
    m = metrics.classification(scores, np.array([4, 5, 5]))
    assert m.top5 == pytest.approx(2 / 3)
    assert m.top1 == 0.0
    notes: list[str] = []
    m = metrics.classification(_scores([0, 1], 3), np.array([0, 0]), notes=notes)
    assert m.top5 is None and "fewer than 5" in notes[0]


def test_top1_tie_takes_the_first_class():
    m = metrics.classification(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0, 1]))
    assert m.top1 == 0.5  # argmax picks class 0 for both


def test_roc_auc_by_hand_with_ties():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4), (0.8>0.1), (0.4=0.4: 1/2), (0.4>0.1) -> 3.5/4
    assert metrics.roc_auc(np.array([0.8, 0.4, 0.4, 0.1]), np.array([1, 1, 0, 0])) == pytest.approx(0.875)
    assert metrics.roc_auc(np.array([0.1, 0.9]), np.array([0, 1])) == 1.0
    assert metrics.roc_auc(np.array([0.1, 0.9]), np.array([1, 1])) is None  # one class only


def test_precision_recall_f1_and_their_edges():
    s = metrics.label_scores(np.array([0.9, 0.8, 0.3, 0.6, 0.2]), np.array([1, 0, 1, 1, 0]), 0.5)
    # predicted 1 1 0 1 0 ; tp=2 fp=1 fn=1
    assert (s.precision, s.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert s.f1 == pytest.approx(2 / 3)
    none = metrics.label_scores(np.array([0.1, 0.2]), np.array([1, 0]), 0.5)
    assert none.precision is None and none.recall == 0.0 and none.f1 is None  # nothing predicted positive
    no_pos = metrics.label_scores(np.array([0.9, 0.2]), np.array([0, 0]), 0.5)
    assert no_pos.recall is None and no_pos.precision == 0.0 and no_pos.roc_auc is None


def test_multilabel_micro_and_macro():
    scores = np.array([[0.9, 0.1], [0.8, 0.7], [0.2, 0.6]])
    truth = np.array([[1, 0], [0, 1], [1, 1]])
    m = metrics.multilabel(scores, truth, 0.5, ["cat", "dog"])
    cat, dog = m.per_label
    assert (cat.precision, cat.recall) == (pytest.approx(0.5), pytest.approx(0.5))
    assert dog.precision == 1.0 and dog.recall == 1.0
    assert m.macro_f1 == pytest.approx((0.5 + 1.0) / 2)
    assert m.overall.precision == pytest.approx(3 / 4) and m.overall.recall == pytest.approx(3 / 4)


def test_agreement_sqnr_cosine_and_top1():
    ref = [np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])]
    target = [np.array([1.0, 0.1, 0.0]), np.array([0.0, 2.0, 2.1])]
    a = metrics.agreement("y", target, ref)
    assert a.top1_agreement == 0.5  # the second sample's argmax moved
    assert a.max_abs_error == pytest.approx(2.1)
    # signal 1 + 4 = 5, noise 0.01 + 4.41 = 4.42
    assert a.sqnr_db == pytest.approx(10 * math.log10(5 / 4.42))
    same = metrics.agreement("y", ref, ref)
    assert same.identical and same.sqnr_db is None and same.cosine_similarity == pytest.approx(1.0)


def test_accuracy_section_round_trips_through_the_record():
    m = metrics.classification(_scores([0, 1, 1], 3), np.array([0, 1, 2]), ["x", "y", "z"])
    r = RunRecord(TargetInfo("ort/cpu"), accuracy=Accuracy(Task.CLASSIFICATION, classification=m, output="logits"))
    back = RunRecord.from_json(r.to_json()).accuracy
    assert back is not None and isinstance(back.classification, ClassificationMetrics)
    assert back.classification.confusion.matrix == m.confusion.matrix
    assert back.classification.per_class[2].accuracy == 0.0 and back.headline == ("top-1", pytest.approx(2 / 3))
    assert back.classification.top5 is None  # written as null, read back as missing
