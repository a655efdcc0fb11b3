"""The run setup panel, offscreen with real widgets: the Advanced section, the RunSpec it makes, the same
RunSpec as `aipcprof run` for the same options, inline errors, persistence."""

from __future__ import annotations

import argparse
import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from app.cli import cmd_run
from app.run.spec_builder import DEFAULTS
from app.state.run_setup import RunSetupState
from app.views.run_setup_panel import RunSetupPanel
from tests.gui.conftest import load_model
from tests.state.conftest import targets


def _cli_spec(*argv: str):
    p = argparse.ArgumentParser()
    cmd_run.add_arguments(p)
    return cmd_run.build_spec(p.parse_args(list(argv)))


@pytest.fixture
def panel(qtbot) -> RunSetupPanel:
    p = RunSetupPanel(RunSetupState())
    qtbot.addWidget(p)
    p.set_targets(targets())
    p.resize(460, 900)
    p.show()
    return p


def _type(widget, text: str) -> None:
    widget.clear()
    QTest.keyClicks(widget, text)


def test_advanced_section_is_collapsed_and_opens(panel):
    assert not panel.advanced_open() and not panel.advanced.isVisible()
    assert panel.problem.isHidden()
    panel.advanced_button.click()
    assert panel.advanced_open() and panel.advanced.isVisible() and panel.seed.isVisible()
    assert panel.advanced_button.arrowType() == Qt.ArrowType.DownArrow
    panel.advanced_button.click()
    assert not panel.advanced.isVisible()


def test_defaults_are_the_clis(panel):
    assert panel.iterations.value() == DEFAULTS.iterations and panel.warmup.value() == DEFAULTS.warmup
    assert panel.stall_timeout.value() == DEFAULTS.stall_timeout_s and panel.threads.text() == "auto"
    assert panel.check_outputs.isChecked() and not panel.io_binding.isChecked()
    assert panel.setup.build("/m/a.onnx", panel.current_target()) == _cli_spec("/m/a.onnx", "--target", "ort/cpu")


def test_advanced_options_make_the_runspec(panel, tmp_path, monkeypatch):
    panel.advanced_button.click()
    panel.warmup.setValue(3)
    panel.by_time.click()
    panel.duration.setValue(2.5)
    panel.until_steady_on.click()
    panel.until_steady.setValue(2.0)
    panel.seed.setValue(42)
    panel.threads.setValue(2)
    panel.io_binding.click()
    panel.check_outputs.click()
    panel.strict.click()
    cache = tmp_path / "cache"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(cache)))
    panel.cache_browse.click()
    panel.stall_timeout.setValue(90)
    _type(panel.extra, "NUM_STREAMS=2, session.x=1")
    assert panel.problem.isHidden()
    spec = panel.setup.build("/m/a.onnx", panel.current_target(), dims={"seq": 16})
    assert (spec.warmup, spec.iterations, spec.duration_s, spec.until_steady) == (3, None, 2.5, 0.02)
    assert (spec.seed, spec.threads, spec.io_binding, spec.check_outputs, spec.strict) == (42, 2, True, False, True)
    assert spec.cache_dir == str(cache) and spec.stall_timeout_s == 90.0 and spec.dims == {"seq": 16}
    assert spec.ep_options == {"NUM_STREAMS": "2", "session.x": "1"}
    assert spec == _cli_spec("/m/a.onnx", "--target", "ort/cpu", "--warmup", "3", "--duration", "2.5",
                             "--until-steady", "0.02", "--seed", "42", "--threads", "2", "--io-binding",
                             "--no-output-check", "--strict", "--cache-dir", str(cache), "--timeout", "90",
                             "--ep-option", "NUM_STREAMS=2", "--ep-option", "session.x=1", "--dim", "seq=16")


def test_target_presets_show_for_their_target_only(panel):
    assert not panel.ep_form.isRowVisible(panel.qnn_mode) and not panel.ep_form.isRowVisible(panel.ov_hint)
    assert panel.select_target("ort/openvino/gpu")
    assert panel.ep_form.isRowVisible(panel.ov_hint) and not panel.ep_form.isRowVisible(panel.qnn_mode)
    panel.ov_precision.setCurrentText("f16")
    spec = panel.setup.build("/m", panel.current_target())
    assert json.loads(spec.ep_options["load_config"]) == {"GPU": {"PERFORMANCE_HINT": "LATENCY",
                                                                  "INFERENCE_PRECISION_HINT": "f16"}}
    panel.target_combo.setCurrentIndex(2)  # the QNN NPU, as a user picks it
    assert panel.current_target().id == "ort/qnn/npu" and panel.ep_form.isRowVisible(panel.qnn_mode)
    assert panel.qnn_mode.currentText() == "sustained_high_performance"  # the target's default
    panel.target_combo.setCurrentIndex(1)  # unavailable here: the pick stays
    assert panel.current_target().id == "ort/qnn/npu" and panel.target_combo.currentIndex() == 2


def test_bad_values_show_inline_naming_the_option(panel, tmp_path):
    _type(panel.extra, "burst")
    assert panel.problem.isVisible()
    assert "Other options 'burst': expected KEY=VALUE" in panel.problem.text()
    assert "Traceback" not in panel.problem.text()
    assert not panel.advanced_open()  # the field is not in Advanced: nothing to unfold
    _type(panel.extra, "htp_performance_mode=burst")
    assert panel.problem.isHidden()
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    panel.cache_dir.setText(str(a_file))
    assert panel.advanced_open() and panel.cache_dir.isVisible()  # unfolded to show the field to fix
    assert "Cache folder" in panel.problem.text() and "is a file, not a folder" in panel.problem.text()
    panel.cache_dir.clear()
    assert panel.problem.isHidden()


def test_window_runs_nothing_while_a_value_is_bad(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    panel = window.setup_panel
    assert panel.select_target("ort/cpu")
    _type(panel.extra, "oops")
    assert window.run_action.isEnabled()
    window.run_action.trigger()  # no traceback, no run: the message stays next to the field
    assert not window.controller.busy and not window.state.run.busy
    assert "Other options 'oops'" in panel.problem.text()
    assert "Other options 'oops'" in window.statusBar().currentMessage()
    _type(panel.extra, "")
    panel.advanced_button.click()
    panel.seed.setValue(5)
    panel.io_binding.click()
    spec = window.workflow.spec_for(panel.current_target())
    assert spec == _cli_spec(str(zoo["conv_net"]), "--target", "ort/cpu", "--seed", "5", "--io-binding")


def test_advanced_settings_persist(qtbot, tmp_path, settings):
    from app.views.main_window import MainWindow

    first = MainWindow(settings)
    qtbot.addWidget(first)
    p = first.setup_panel
    p.advanced_button.click()
    p.seed.setValue(11)
    p.threads.setValue(3)
    p.until_steady_on.click()
    p.stall_timeout.setValue(45)
    p.cache_dir.setText(str(tmp_path / "cache"))
    p.check_outputs.click()
    _type(p.extra, "a=1")
    first.close()
    stored = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    second = MainWindow(stored)
    qtbot.addWidget(second)
    q = second.setup_panel
    assert q.advanced_open()
    assert (q.seed.value(), q.threads.value(), q.until_steady_on.isChecked(), q.stall_timeout.value()) == \
        (11, 3, True, 45.0)
    assert q.cache_dir.text() == str(tmp_path / "cache") and not q.check_outputs.isChecked()
    assert q.extra.text() == "a=1"
    assert second.state.run_setup.options == first.state.run_setup.options
    second.close()
