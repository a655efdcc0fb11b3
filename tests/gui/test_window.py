"""The real window, offscreen: drop a model, run, stop, fail, crash, close mid-run."""

from __future__ import annotations

import os
import signal
import sys

import psutil
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.common.errors import ErrorKind
from app.record import io as rec
from app.record.schema import Phase, RunStatus
from tests.gui.conftest import history_files, load_model, run_and_wait


def _drop(window, path) -> bool:
    """A real drag-enter + drop, as the OS delivers it; returns whether the drag was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return enter.isAccepted() and drop.isAccepted()


def _workers() -> list[psutil.Process]:
    """Spawned inference workers among our children (multiprocessing's resource tracker is not one)."""
    out = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                out.append(child)
        except psutil.Error:
            pass
    return out


def _measuring(window):
    c = window.controller
    return c.run is not None and c.phase == "measure" and c.live.count > 0


def test_drop_model_shows_card(qtbot, window, zoo):
    with qtbot.waitSignal(window.model_loaded, timeout=15_000) as blocker:
        assert _drop(window, zoo["conv_net"])
    assert blocker.args == [str(zoo["conv_net"])]
    panel = window.model_panel
    assert panel.title.text() == "conv_net.onnx"
    assert panel.inputs_table.item(0, 0).text() == "image"
    assert panel.inputs_table.item(0, 2).text() == "[1, 3, 64, 64]"
    assert panel.outputs_table.item(0, 0).text() == "logits"
    facts = {panel.facts.itemAt(i, panel.facts.ItemRole.LabelRole).widget().text():
             panel.facts.itemAt(i, panel.facts.ItemRole.FieldRole).widget().text()
             for i in range(panel.facts.rowCount())}
    assert "MACs" in facts["Compute:"] and "ai.onnx 17" in facts["Opset:"]
    assert window.run_action.isEnabled()
    assert str(zoo["conv_net"]) in window.recent_files()


def test_symbolic_dims_prefilled_and_reinspected(qtbot, window, zoo):
    load_model(qtbot, window, zoo["transformer_block"])
    spin = window.model_panel._dim_spins["seq"]
    assert spin.value() == 128  # seq-like names start at 128
    assert "[1, 128, 64]" in window.model_panel.inputs_table.item(0, 2).text()
    with qtbot.waitSignal(window.model_panel.dims_changed):
        spin.setValue(32)
    qtbot.waitUntil(lambda: "[1, 32, 64]" in window.model_panel.inputs_table.item(0, 2).text(), timeout=10_000)
    assert window.model_panel.dims() == {"seq": 32}


def test_unavailable_targets_are_greyed_with_reason(window):
    panel = window.setup_panel
    model = panel.target_combo.model()
    unavailable = [i for i, t in enumerate(panel.targets) if not t.ready]
    assert unavailable, "this machine lists targets that cannot run here (DirectML, CUDA, ...)"
    for row in unavailable:
        item = model.item(row)
        assert not item.isEnabled()
        assert panel.targets[row].reason in item.toolTip()
    assert panel.current_target() is not None and panel.current_target().ready


def test_run_on_cpu_fills_charts_and_results(qtbot, window, zoo, tmp_path, data_dir):
    load_model(qtbot, window, zoo["conv_net"])
    assert window.setup_panel.select_target("ort/cpu")
    window.setup_panel.iterations.setValue(300)
    window.setup_panel.warmup.setValue(5)
    records = run_and_wait(qtbot, window)
    assert [r.status for r in records] == [RunStatus.COMPLETED]
    assert window.controller.live.count == 300
    x, y = window.charts.curves["latency"].getData()
    assert x is not None and len(x) > 0 and (y > 0).all()
    assert window.charts.set_data_calls > 0
    results = window.results
    assert "completed" in results.title.text()
    assert results.stats.item(0, 1).text() == "300"
    assert results.tiles["p50"].value.text().endswith(("ms", "µs"))
    assert results.phases.rowCount() >= 5
    qtbot.waitUntil(lambda: window.controller.last_record_path is not None, timeout=10_000)  # in the background
    saved = history_files(data_dir)
    assert len(saved) == 1 and rec.load(saved[0]).latency.count == 300
    assert window.controller.last_record_path == str(saved[0])
    out = tmp_path / "saved_as.json"
    assert window.workflow.save_run_as(str(out)) and rec.load(out).status is RunStatus.COMPLETED


def test_stop_mid_run_cancels(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.by_time.setChecked(True)
    window.setup_panel.duration.setValue(60.0)
    with qtbot.waitSignal(window.all_runs_finished, timeout=30_000) as blocker:
        window.run_action.trigger()
        qtbot.waitUntil(lambda: _measuring(window), timeout=20_000)
        assert window.stop_action.isEnabled()
        QTest.keyClick(window, Qt.Key.Key_Escape)  # the Stop shortcut
    record = blocker.args[0][0]
    assert record.status is RunStatus.CANCELLED
    assert 0 < record.latency.count
    assert record.phase(Phase.MEASURE).seconds < 30  # it stopped long before the 60 s
    assert "cancelled" in window.results.title.text()
    assert not window.stop_action.isEnabled() and window.run_action.isEnabled()


def test_bad_model_shows_error_and_app_keeps_working(qtbot, window, zoo, tmp_path):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(os.urandom(4096))
    with qtbot.waitSignal(window.model_failed, timeout=15_000):
        assert _drop(window, bad)
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "garbage.onnx" in window.banner.text()
    assert not window.run_action.isEnabled()
    load_model(qtbot, window, zoo["single_add"])  # still alive and usable
    assert window.model_panel.title.text() == "single_add.onnx"


def test_worker_killed_by_signal_shows_error(qtbot, window, zoo):
    if sys.platform == "win32":
        pytest.skip("SIGKILL is POSIX")
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.by_time.setChecked(True)
    window.setup_panel.duration.setValue(60.0)
    with qtbot.waitSignal(window.all_runs_finished, timeout=30_000) as blocker:
        window.run_action.trigger()
        qtbot.waitUntil(lambda: _measuring(window), timeout=20_000)
        os.kill(window.controller.run.pid, signal.SIGKILL)
    record = blocker.args[0][0]
    assert record.status is RunStatus.FAILED and record.error.kind is ErrorKind.WORKER_CRASHED
    assert "SIGKILL" in window.banner.text() and window.banner.isVisible()
    assert record.latency.count > 0  # the partial record is kept
    assert window.run_action.isEnabled()


def test_close_mid_run_leaves_no_worker(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.by_time.setChecked(True)
    window.setup_panel.duration.setValue(60.0)
    window.run_action.trigger()
    qtbot.waitUntil(lambda: _measuring(window), timeout=20_000)
    pid = window.controller.run.pid
    assert psutil.pid_exists(pid) and _workers()
    window.close()
    assert window.controller.run is None
    assert not _workers()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
