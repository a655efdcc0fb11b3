"""AccuracySetupState: the Accuracy panel's form without Qt (drops, the EvalSpec it builds, settings)."""

from __future__ import annotations

import pytest

from app.common.errors import UserError
from app.record.accuracy_schema import Task
from app.run.eval_spec import EvalSpec
from app.state import AppState
from app.state.accuracy import AccuracySetupState


def test_the_app_state_holds_it():
    assert isinstance(AppState().accuracy, AccuracySetupState)


def test_eval_spec_is_the_clis(tmp_path):
    s = AccuracySetupState()
    with pytest.raises(UserError, match="--data: no data folder chosen"):
        s.eval_spec()
    s.set_data(str(tmp_path))
    assert s.eval_spec() == EvalSpec(data=str(tmp_path))  # the CLI's defaults: classification, fail, no labels
    s.set_labels(str(tmp_path / "l.csv"))
    s.set_task("binary")
    s.set_preprocess(" color=L ")
    s.set_on_bad_sample("skip")
    assert s.eval_spec() == EvalSpec(task="binary", data=str(tmp_path), labels=str(tmp_path / "l.csv"),
                                     preprocess="color=L", on_bad_sample="skip")
    with pytest.raises(ValueError):
        s.set_on_bad_sample("ignore")


def test_drops_sort_folders_and_labels(tmp_path):
    s = AccuracySetupState()
    changed, problems = [], []
    s.changed.connect(lambda: changed.append(1))
    s.problem_changed.connect(problems.append)
    (tmp_path / "data").mkdir()
    (tmp_path / "l.csv").write_text("file,label\n")
    (tmp_path / "coco.json").write_text("{}")
    (tmp_path / "x.txt").write_text("")
    assert s.drop([str(tmp_path / "data"), str(tmp_path / "l.csv")])
    assert (s.data, s.labels, s.task) == (str(tmp_path / "data"), str(tmp_path / "l.csv"), Task.CLASSIFICATION)
    assert s.drop([str(tmp_path / "coco.json")]) and s.task is Task.DETECTION
    s.set_task(Task.AGREEMENT)
    assert s.drop([str(tmp_path / "coco.json")]) and s.task is Task.AGREEMENT  # only classification is switched
    assert not s.drop([str(tmp_path / "x.txt"), str(tmp_path / "missing.csv")])
    assert s.problem == "x.txt, missing.csv: drop a data folder, a .csv of file,label or a COCO .json here."
    s.set_preprocess("color=L")  # a change of the form clears the complaint
    assert s.problem == "" and problems[-1] == ""
    assert changed


def test_settings_round_trip_and_bad_values_keep_defaults(tmp_path):
    s = AccuracySetupState()
    s.set_data("d")
    s.set_labels("l.csv")
    s.set_task(Task.MULTILABEL)
    s.set_on_bad_sample("skip")
    t = AccuracySetupState()
    t.restore_settings(s.to_settings())
    assert t.to_settings() == s.to_settings()
    u = AccuracySetupState()
    u.restore_settings({"task": "segmentation", "on_bad_sample": "maybe", "data": None})
    assert (u.task, u.on_bad_sample, u.data) == (Task.CLASSIFICATION, "fail", "")


def test_results_and_progress_are_announced():
    s = AccuracySetupState()
    seen = []
    s.results_changed.connect(lambda rs: seen.append(len(rs)))
    s.add_result(object())
    s.add_result(object())
    s.clear_results()
    assert seen == [1, 2, 0]
    texts = []
    s.progress_changed.connect(texts.append)
    s.set_progress("a")
    s.set_progress("a")
    s.set_progress("")
    assert texts == ["a", ""]


def test_task_options_reach_the_eval_spec_and_the_settings(tmp_path):
    s = AccuracySetupState()
    s.set_data(str(tmp_path))
    s.set_options(output="probs", threshold=0.3, reference="ov/cpu", detection_layout="cxcywh",
                  score_threshold=0.25, nms_iou=0.0)
    ev = s.eval_spec()
    assert (ev.output, ev.threshold, ev.reference, ev.detection_layout, ev.score_threshold, ev.nms_iou) == \
        ("probs", 0.3, "ov/cpu", "cxcywh", 0.25, None)  # NMS IoU 0: the model's boxes, as --nms-iou 0
    with pytest.raises(ValueError):
        s.set_options(detection_layout="xyxy")
    with pytest.raises(TypeError):
        s.set_options(colour="red")
    t = AccuracySetupState()
    t.restore_settings({**s.to_settings(), "threshold": "0.3", "score_threshold": "high"})  # QSettings: text
    assert (t.threshold, t.score_threshold, t.reference, t.nms_iou) == (0.3, EvalSpec().score_threshold, "ov/cpu", 0.0)
