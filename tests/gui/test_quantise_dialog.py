"""Quantise… on the model card: a real QDQ copy made by ONNX Runtime's tools in a child process, its card
showing the scheme, and Compare Both giving two evals in the history and their comparison."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.record.schema import RunStatus
from tests import accuracy_data
from tests.gui.conftest import history_files, load_model


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("qdigits")
    model, split, _weights = accuracy_data.build(out)
    calib = out / "calib_few"  # build() writes calib/ with 200 samples; 24 keep these tests fast
    calib.mkdir()
    for i, x in enumerate(split.x_train[:24]):  # training samples, with the batch axis; few keep the test fast
        np.save(calib / f"{i:02d}.npy", x.reshape(1, 1, 8, 8))
    return {"dir": out, "model": model, "calib": calib}


def _dialog(qtbot, window, model):
    load_model(qtbot, window, model)
    assert window.model_panel.quantise_button.isEnabled()
    window.model_panel.quantise_button.click()
    dialog = window.accuracy.quantise_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _facts(window) -> str:
    lay = window.model_panel.facts
    return "\n".join(lay.itemAt(i).widget().text() for i in range(lay.count()) if lay.itemAt(i).widget())


def test_quantise_then_compare_both(qtbot, window, digits, data_dir):
    dialog = _dialog(qtbot, window, digits["model"])
    out = digits["dir"] / "digits_mlp.qdq.onnx"
    assert dialog.out.text() == str(out)  # beside the model, never the model itself
    dialog.calib.setText(str(digits["calib"]))
    progress: list = []
    dialog.relay.progressed.connect(lambda done, total, label: progress.append((done, total, label)))
    dialog.failed.connect(pytest.fail)
    with qtbot.waitSignal(dialog.quantised, timeout=120_000) as blocker:
        dialog.quantise_button.click()
        assert not dialog.quantise_button.isEnabled() and dialog.close_button.text() == "Cancel"
    result = blocker.args[0]
    assert out.is_file() and result.scheme == "u8s8" and result.format == "QDQ" and result.quantize_nodes > 0
    assert (24, 24, "calibration samples") in progress  # relayed from the child, on the GUI thread
    assert dialog.compare_button.isVisible() and dialog.open_button.isVisible()
    assert f"calibration: 24 samples from {digits['calib']}" in dialog.done_label.text()
    # Compare Both: an eval of each model (the Accuracy panel has a data folder), then their comparison
    window.setup_panel.select_target("ort/cpu")
    acc = window.state.accuracy
    acc.set_data(str(digits["dir"] / "arrays"))
    acc.set_labels(str(digits["dir"] / "labels.csv"))
    with qtbot.waitSignal(window.comparison_shown, timeout=120_000) as shown:
        dialog.compare_button.click()
    assert shown.args == [2]
    records = window.compare_view.records
    assert [r.model.path for r in records] == [str(digits["model"]), str(out)]
    assert all(r.status is RunStatus.COMPLETED and r.accuracy is not None for r in records)
    top1 = [r.accuracy.classification.top1 for r in records]
    assert abs(top1[0] - top1[1]) <= 0.02  # int8 QDQ of this MLP costs (almost) nothing: docs/accuracy.md
    qtbot.waitUntil(lambda: len(history_files(data_dir)) == 2, timeout=15_000)
    # Open Quantised Model: its card shows the scheme written by the quantiser
    dialog.show()
    with qtbot.waitSignal(window.model_loaded, timeout=15_000):
        dialog.open_button.click()
    facts = _facts(window)
    assert "scheme u8s8 by aipcprof quantize" in facts and "calibration: 24 samples" in facts
    assert not window.model_panel.quantise_button.isEnabled()  # already quantised


def test_the_input_is_never_the_output(qtbot, window, digits):
    dialog = _dialog(qtbot, window, digits["model"])
    dialog.out.setText(str(digits["model"]))
    assert not dialog.quantise_button.isEnabled()
    assert "never overwritten" in dialog.note.text()


def test_bad_input_is_one_line_inline(qtbot, window, digits, tmp_path):
    dialog = _dialog(qtbot, window, digits["model"])
    dialog.out.setText(str(tmp_path / "q.onnx"))
    with qtbot.waitSignal(dialog.failed, timeout=30_000) as blocker:
        dialog.quantise_button.click()  # a static scheme, no calibration folder
    assert blocker.args[0].startswith("--scheme u8s8 needs calibration data")
    assert dialog.problem.isVisible() and dialog.problem.text() == blocker.args[0]
    bad = tmp_path / "bad"
    bad.mkdir()
    np.save(bad / "a.npy", np.zeros((1, 3, 8, 8), np.float32))
    dialog.calib.setText(str(bad))
    with qtbot.waitSignal(dialog.failed, timeout=30_000) as blocker:
        dialog.quantise_button.click()
    assert "sample a.npy" in blocker.args[0] and "\n" not in blocker.args[0]
    assert not (tmp_path / "q.onnx").exists()


def test_cancel_kills_the_child_and_writes_nothing(qtbot, window, digits, tmp_path):
    dialog = _dialog(qtbot, window, digits["model"])
    dialog.out.setText(str(tmp_path / "q.onnx"))
    dialog.scheme.setCurrentIndex(dialog.scheme.findData("dynamic"))
    assert not dialog.calib.isEnabled()  # dynamic calibrates nothing
    dialog.quantise_button.click()
    t0 = time.monotonic()
    dialog.close_button.click()  # Cancel, at once: the child is still starting
    # the child needs ~1 s just to import ONNX Runtime; the parent looks at Cancel every 0.2 s
    qtbot.waitUntil(lambda: dialog.done_label.text() == "Stopped: nothing was written.", timeout=20_000)
    assert dialog.result is None and not (tmp_path / "q.onnx").exists() and time.monotonic() - t0 < 10
    assert dialog.quantise_button.isEnabled() and dialog.close_button.text() == "Cancel"


def test_closing_the_window_stops_the_quantisation(qtbot, window, digits, tmp_path):
    dialog = _dialog(qtbot, window, digits["model"])
    dialog.out.setText(str(tmp_path / "q.onnx"))
    dialog.scheme.setCurrentIndex(dialog.scheme.findData("dynamic"))
    dialog.quantise_button.click()
    window.close()  # the controller cancels the dialog's job: its child is killed, no process outlives the window
    qtbot.waitUntil(lambda: dialog.done_label.text() == "Stopped: nothing was written.", timeout=20_000)
    assert not (tmp_path / "q.onnx").exists() and window.jobs.wait(5000)
