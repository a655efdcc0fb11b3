"""The real-world corpus (tests/corpus/models.py) in the real window: each class of public model is opened,
its open sizes or needed values edited the way a user would, and run to completion on ort/cpu and ov/cpu,
with the shapes used, the warnings shown and the record checked."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from app.record.schema import RunStatus, WarningKind
from tests.corpus import models
from tests.gui.conftest import load_model


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("corpus_gui")
    return {name: models.save(build(), folder, name) for name, build in models.ALL.items()}


def _run(qtbot, window, target: str = "ort/cpu"):
    assert window.setup_panel.select_target(target)
    with qtbot.waitSignal(window.all_runs_finished, timeout=90_000) as blocker:
        window.run_action.trigger()
    (record,) = blocker.args[0]
    assert record.status is RunStatus.COMPLETED, record.error
    return record


def _results_text(window) -> str:
    return "\n".join(label.text() for label in window.results.findChildren(QLabel))


def _set_sizes(qtbot, window, sizes: dict[str, int]) -> None:
    spins = window.model_panel._dim_spins
    for key, value in sizes.items():
        spins[key].setValue(value)
    qtbot.waitUntil(lambda: all(window.state.inputs.size(k) == v for k, v in sizes.items()), timeout=5_000)


@pytest.mark.parametrize("target", ["ort/cpu", "ov/cpu"])
def test_literal_minus_one_dims_are_edited_and_used(qtbot, window, corpus, target):
    load_model(qtbot, window, corpus["ocr_detector"])  # x: [-1, 3, -1, -1] as paddle2onnx writes it
    _set_sizes(qtbot, window, {"x[2]": 48, "x[3]": 192})  # an OCR strip: H != W
    record = _run(qtbot, window, target)
    assert record.inputs[0].shape == [1, 3, 48, 192]
    assert not record.inputs[0].guessed and not record.warnings_of(WarningKind.GUESSED_SHAPE)


def test_unknown_dims_left_alone_run_at_stated_guesses_and_say_so(qtbot, window, corpus):
    load_model(qtbot, window, corpus["unknown_dims"])  # x: [?, ?, ?, ?]
    spins = window.model_panel._dim_spins
    assert [spins[f"x[{a}]"].value() for a in range(4)] == [1, 3, 224, 224]
    record = _run(qtbot, window)
    assert record.inputs[0].shape == [1, 3, 224, 224] and record.inputs[0].guessed == [2, 3]
    (warning,) = record.warnings_of(WarningKind.GUESSED_SHAPE)
    assert "x[2]=224" in warning.text and warning.text in _results_text(window)


def test_unnamed_height_and_width_can_differ(qtbot, window, corpus):
    load_model(qtbot, window, corpus["unnamed_hw"])  # image: [1, 3, ?, ?]
    _set_sizes(qtbot, window, {"image[2]": 64, "image[3]": 96})
    record = _run(qtbot, window)
    assert record.inputs[0].shape == [1, 3, 64, 96] and not record.warnings_of(WarningKind.GUESSED_SHAPE)


def test_a_named_width_dim_is_one_box(qtbot, window, corpus):
    load_model(qtbot, window, corpus["crnn"])  # x: [1, 3, 32, 'width']
    _set_sizes(qtbot, window, {"width": 160})
    record = _run(qtbot, window, "ov/cpu")
    assert record.inputs[0].shape == [1, 3, 32, 160] and record.settings.dims == {"width": 160}


def test_a_sample_rate_needs_a_value_and_state_inputs_are_zeros(qtbot, window, corpus):
    load_model(qtbot, window, corpus["vad"])  # input [1, n], sr: int64 scalar, state [2, 1, 128]
    window.run_action.trigger()  # refused: a made-up sample rate would run a branch real use never takes
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "'sr' needs a value" in window.banner.message.text() and not window.controller.busy
    qtbot.keyClicks(window.model_panel._value_edits["sr"], "16000")
    _set_sizes(qtbot, window, {"n": 512})
    record = _run(qtbot, window)
    assert record.settings.inputs == {"sr": "16000"}
    by_name = {i.name: i for i in record.inputs}
    assert by_name["input"].shape == [1, 512] and by_name["sr"].shape == []
    assert "zeros" in by_name["state"].source


def test_dynamic_quantisation_is_labelled_for_what_it_is(qtbot, window, corpus):
    load_model(qtbot, window, corpus["dynamic_quant"])
    record = _run(qtbot, window)
    assert "QOperator" in record.precision and "QDQ" not in record.precision
    assert "QOperator" in _results_text(window)


@pytest.mark.parametrize("name", sorted(models.ALL))
def test_every_corpus_model_runs_in_the_window_on_the_htp_emulator(qtbot, window, corpus, name):
    """Small counts on the QNN HTP emulator (functional, not for timing): float models compile in fp16 by default."""
    load_model(qtbot, window, corpus[name])
    if name == "vad":  # a sample rate and a chunk length: nothing in the model says either
        qtbot.keyClicks(window.model_panel._value_edits["sr"], "16000")
        _set_sizes(qtbot, window, {"n": 512})
    assert window.state.inputs.problems() == []
    window.setup_panel.warmup.setValue(1)
    window.setup_panel.iterations.setValue(3)
    record = _run(qtbot, window, "ort/qnn/htp-emulator")
    assert record.latency.count == 3 and record.placement is not None and record.placement.total_nodes > 0
    if name == "htp_big_float":  # the size whose fp32 graph fails to finalise on the HTP: it runs in fp16
        assert record.precision.startswith("fp16") and record.placement.accelerator_share == 1.0
