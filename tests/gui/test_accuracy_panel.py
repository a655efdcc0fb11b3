"""The Accuracy panel: the digits data set evaluated through the window on real runtimes (docs/accuracy.md).

The data set and the model are built into the test's folder by tests/accuracy_data.py (scikit-learn's
bundled digits, an MLP trained with numpy): the top-1 the window shows is a measured number.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.common import fmt
from app.record.accuracy_schema import Task
from app.record.schema import RunStatus
from tests import accuracy_data
from tests.gui.conftest import history_files, load_model


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("digits")
    model, split, weights = accuracy_data.build(out)
    expected = float((accuracy_data.predict(weights, split.x_test).argmax(1) == split.y_test).mean())
    return {"dir": out, "model": model, "top1": expected}


def _evaluate(qtbot, window, all_targets: bool = False, timeout_ms: int = 90_000) -> list:
    with qtbot.waitSignal(window.all_runs_finished, timeout=timeout_ms) as blocker:
        (window.accuracy_panel.evaluate_all_button if all_targets else window.accuracy_panel.evaluate_button).click()
    return blocker.args[0]


def _cell(table, row: int, header: str) -> str:
    col = next(c for c in range(table.columnCount()) if table.horizontalHeaderItem(c).text() == header)
    return table.item(row, col).text()


def test_evaluate_shows_the_records_top1_next_to_latency(qtbot, window, digits, data_dir, monkeypatch):
    """ort/cpu: the panel, the results tile and the record agree, and equal numpy's accuracy of the same weights.
    The data set is checked in a job thread and decoded in the worker: nothing opens an image on the GUI thread."""
    import PIL.Image

    import app.model.dataset as dataset

    on_gui_thread, calls = [], []
    real_open, real_load = PIL.Image.open, dataset.load_image

    def watch(fn):
        def wrapper(*args, **kwargs):
            calls.append(fn.__name__)
            on_gui_thread.append(threading.current_thread() is threading.main_thread())
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(PIL.Image, "open", watch(real_open))
    monkeypatch.setattr(dataset, "load_image", watch(real_load))
    load_model(qtbot, window, digits["model"])
    assert window.setup_panel.select_target("ort/cpu")
    acc = window.state.accuracy
    acc.set_data(str(digits["dir"] / "images"))
    acc.set_labels(str(digits["dir"] / "images_labels.csv"))
    acc.set_preprocess(accuracy_data.IMAGE_RECIPE)
    records = _evaluate(qtbot, window)
    assert len(records) == 1
    r = records[0]
    assert r.status is RunStatus.COMPLETED and r.target_id == "ort/cpu"
    top1 = r.accuracy.classification.top1
    assert top1 == pytest.approx(digits["top1"], abs=1 / 360 + 1e-9)  # PNG levels: at most one sample may move
    assert r.latency.count == 360 and r.accuracy.dataset.samples == 360
    panel = window.accuracy_panel
    assert panel.results.rowCount() == 1
    assert _cell(panel.results, 0, "Accuracy") == f"top-1 {fmt.fmt_pct(top1)}"
    ci = r.accuracy.classification.top1_ci
    assert f"95% CI {fmt.fmt_pct(ci.low)}-{fmt.fmt_pct(ci.high)}" in panel.results.item(0, 1).toolTip()
    assert _cell(panel.results, 0, "p50") == fmt.fmt_ms(r.latency.p50, compact=True)
    tile = window.results.tiles["accuracy"]
    assert not tile.isHidden() and tile.value.text() == fmt.fmt_pct(top1)
    assert f"95% CI {fmt.fmt_pct(ci.low)}-{fmt.fmt_pct(ci.high)}" in tile.toolTip()
    box = window.results.accuracy_box
    assert not box.isHidden() and box.table.item(0, 0).text() == "top-1"
    assert box.table.item(0, 1).text() == fmt.fmt_pct(top1)
    assert calls and not any(on_gui_thread), "an image was opened on the GUI thread"
    qtbot.waitUntil(lambda: len(history_files(data_dir)) == 1, timeout=10_000)  # kept like any run


def test_a_plain_run_shows_no_accuracy(qtbot, window, digits):
    from tests.gui.conftest import run_and_wait

    load_model(qtbot, window, digits["model"])
    window.setup_panel.select_target("ort/cpu")
    window.state.run_setup.update(by_duration=False, iterations=20, warmup=1)
    records = run_and_wait(qtbot, window)
    assert records[0].accuracy is None
    assert window.results.tiles["accuracy"].isHidden() and window.results.accuracy_box.isHidden()


def _drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.rect().center())
    enter = QDragEnterEvent(QPoint(int(pos.x()), int(pos.y())), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


def test_drag_and_drop_a_folder_and_a_labels_file(qtbot, window, digits, tmp_path):
    panel, acc = window.accuracy_panel, window.state.accuracy
    _drop(panel, [digits["dir"] / "arrays"])
    assert acc.data == str(digits["dir"] / "arrays") and panel.data.text() == acc.data
    _drop(panel, [digits["dir"] / "labels.csv"])
    assert acc.labels == str(digits["dir"] / "labels.csv") and panel.labels.text() == acc.labels
    assert acc.task is Task.CLASSIFICATION
    coco = tmp_path / "instances.json"
    coco.write_text('{"images": [], "annotations": [], "categories": []}')
    _drop(panel, [coco])
    assert acc.labels == str(coco) and acc.task is Task.DETECTION  # only detection reads COCO
    assert panel.task.currentData() == "detection"
    other = tmp_path / "notes.txt"
    other.write_text("x")
    _drop(panel, [other])
    assert panel.show_problem_text() == "notes.txt: drop a data folder, a .csv of file,label or a COCO .json here."
    assert acc.labels == str(coco)  # unchanged
    assert window.state.model.path is None  # the window's own drop (open a model) was not asked


def _cli_error(capsys, args: list[str]) -> str:
    from app.cli import main

    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("aipcprof: error: ") and "\n" not in err, err  # -q: the error line alone
    return err.removeprefix("aipcprof: error: ")


def _bad_inputs(d: Path, tmp: Path) -> dict:
    (tmp / "empty").mkdir()
    (tmp / "missing.csv").write_text("file,label\n0000.npy,1\nnope.npy,2\n")
    (tmp / "big.csv").write_text("file,label\n0000.npy,12\n")
    broken = tmp / "broken"
    broken.mkdir()
    (broken / "0001.png").write_bytes(b"this is not a PNG")
    (tmp / "broken.csv").write_text("file,label\n0001.png,1\n")
    return {"empty folder": (tmp / "empty", d / "labels.csv", ""),
            "labels naming missing files": (d / "arrays", tmp / "missing.csv", ""),
            "wrong class count": (d / "arrays", tmp / "big.csv", ""),
            "not an image": (broken, tmp / "broken.csv", "color=L")}


@pytest.mark.parametrize("case", ["empty folder", "labels naming missing files", "wrong class count", "not an image"])
def test_bad_input_is_the_cli_line_inline(qtbot, window, digits, tmp_path, capsys, case):
    data, labels, recipe = _bad_inputs(digits["dir"], tmp_path)[case]
    args = ["eval", str(digits["model"]), "--data", str(data), "--labels", str(labels), "--no-telemetry", "-q"]
    expected = _cli_error(capsys, args + (["--preprocess", recipe] if recipe else []))
    load_model(qtbot, window, digits["model"])
    acc = window.state.accuracy
    acc.set_data(str(data))
    acc.set_labels(str(labels))
    acc.set_preprocess(recipe)
    window.accuracy_panel.evaluate_button.click()
    panel = window.accuracy_panel
    qtbot.waitUntil(lambda: panel.show_problem_text() != "", timeout=20_000)
    assert panel.show_problem_text() == expected
    qtbot.waitUntil(lambda: not window.accuracy.busy and panel.evaluate_button.isEnabled(), timeout=30_000)
    records = window.state.run.records
    if case == "wrong class count":  # found by the worker once it knows the output's classes: a failed run
        assert [r.status for r in records] == [RunStatus.FAILED] and records[0].accuracy is None
    else:  # found by the checks before the worker: nothing started
        assert records == []


def test_no_data_folder_and_no_model(qtbot, window, digits):
    panel = window.accuracy_panel
    window.accuracy.evaluate()
    assert panel.show_problem_text().startswith("No model to evaluate")
    load_model(qtbot, window, digits["model"])
    panel.evaluate_button.click()
    assert panel.show_problem_text().startswith("--data: no data folder chosen.")


def test_stop_ends_the_eval_unscored(qtbot, window, digits):
    load_model(qtbot, window, digits["model"])
    window.setup_panel.select_target("ort/cpu")
    acc = window.state.accuracy
    acc.set_data(str(digits["dir"] / "arrays"))
    acc.set_labels(str(digits["dir"] / "labels.csv"))
    panel = window.accuracy_panel
    with qtbot.waitSignal(window.all_runs_finished, timeout=60_000) as blocker:
        with qtbot.waitSignal(window.controller.run_started, timeout=30_000):
            panel.evaluate_button.click()
        assert panel.stop_button.isEnabled() and not panel.evaluate_button.isEnabled()
        panel.stop_button.click()
    r = blocker.args[0][0]
    assert r.status is RunStatus.CANCELLED and r.accuracy is None
    assert _cell(panel.results, 0, "Accuracy") == "N/A (stopped: a stopped eval is not scored)"
    assert window.results.tiles["accuracy"].isHidden()
    assert panel.evaluate_button.isEnabled() and not panel.progress_label.isVisible()


def test_evaluate_on_every_target_gives_one_run_each(qtbot, window, digits):
    """Each target in turn (here ort/cpu and ov/cpu): one scored run per target, listed with its own p50."""
    setup = window.state.run_setup
    setup.set_targets([t for t in setup.targets if t.id in ("ort/cpu", "ov/cpu")], "ort/cpu")
    load_model(qtbot, window, digits["model"])
    acc = window.state.accuracy
    acc.set_data(str(digits["dir"] / "arrays"))
    acc.set_labels(str(digits["dir"] / "labels.csv"))
    records = _evaluate(qtbot, window, all_targets=True, timeout_ms=180_000)
    assert [r.target_id for r in records] == ["ort/cpu", "ov/cpu"]
    panel = window.accuracy_panel
    assert panel.results.rowCount() == 2
    for i, r in enumerate(records):
        assert r.status is RunStatus.COMPLETED
        assert _cell(panel.results, i, "Target") == r.target_id
        assert _cell(panel.results, i, "Accuracy") == f"top-1 {fmt.fmt_pct(r.accuracy.classification.top1)}"
    # the session table beside the results gets the accuracy columns
    compare = window.results.compare
    assert not compare.isColumnHidden(10) and compare.item(1, 10).text().startswith("top-1 ")
    assert np.isfinite(records[1].latency.p50)


def test_the_form_is_kept_in_the_settings(qtbot, window, settings, digits):
    from app.views.main_window import MainWindow

    acc = window.state.accuracy
    acc.set_data(str(digits["dir"] / "images"))
    acc.set_labels(str(digits["dir"] / "images_labels.csv"))
    acc.set_preprocess(accuracy_data.IMAGE_RECIPE)
    acc.set_on_bad_sample("skip")
    window.save_settings()
    again = MainWindow(settings, sample_model=None)
    qtbot.addWidget(again)
    assert again.state.accuracy.to_settings() == acc.to_settings()
    assert again.accuracy_panel.preprocess.text() == accuracy_data.IMAGE_RECIPE
    assert again.accuracy_panel.policy.currentData() == "skip"


def test_the_task_shows_its_own_options_and_agreement_runs(qtbot, window, digits):
    """Agreement (no labels) on ov/cpu against ort/cpu picked in the Reference row: the outputs compared."""
    panel, acc = window.accuracy_panel, window.state.accuracy
    form, opts = panel.options.form, panel.options
    shown = lambda: {w for w in opts.widgets() if form.isRowVisible(w)}  # noqa: E731
    assert shown() == {opts.output}  # classification
    panel.task.setCurrentIndex(panel.task.findData("detection"))
    assert shown() == {opts.output, opts.layout, opts.score, opts.nms} and acc.task is Task.DETECTION
    panel.task.setCurrentIndex(panel.task.findData("binary"))
    assert shown() == {opts.output, opts.threshold}
    opts.threshold.setValue(0.25)
    assert acc.threshold == 0.25
    panel.task.setCurrentIndex(panel.task.findData("agreement"))
    assert shown() == {opts.output, opts.reference}
    assert opts.reference.findText("ov/cpu") >= 0  # the ready targets
    opts.reference.setCurrentIndex(opts.reference.findText("ort/cpu"))
    load_model(qtbot, window, digits["model"])
    window.setup_panel.select_target("ov/cpu")
    acc.set_data(str(digits["dir"] / "arrays"))
    records = _evaluate(qtbot, window)
    g = records[0].accuracy.agreement
    assert g.reference == "ort/cpu" and g.outputs[0].name == "logits" and g.outputs[0].samples == 360
    assert _cell(panel.results, 0, "Accuracy") == f"top-1 agreement {fmt.fmt_pct(g.outputs[0].top1_agreement)}"
