"""Run on all targets, settings persistence, and `aipcprof gui ... --run --screenshot --quit`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings

from app.record.schema import RunStatus
from tests.gui.conftest import load_model

ROOT = Path(__file__).resolve().parents[2]


def test_run_on_all_targets_queues_every_ready_target(qtbot, window, zoo):
    load_model(qtbot, window, zoo["single_add"])
    window.setup_panel.iterations.setValue(20)
    # an .onnx model runs on every ready target but the genai/ and ov-genai/ ones (generative model folders:
    # docs/genai.md) and the ort/auto/* device policies, which only pick one of the others (here all pick the CPU)
    targets = window.setup_panel.ready_targets()
    assert any(t.id.startswith("ort/auto/") for t in targets)  # they are there, and ready
    ready = [t.id for t in targets if not t.id.startswith(("genai/", "ov-genai/", "ort/auto/"))]
    assert len(ready) >= 2
    with qtbot.waitSignal(window.all_runs_finished, timeout=120_000) as blocker:
        window.run_all_action.trigger()
    records = blocker.args[0]
    assert [r.target.id for r in records] == ready
    assert all(r.status is RunStatus.COMPLETED for r in records), [r.error for r in records]
    assert window.results.compare_box.isVisible() or not window.results.isVisible()
    assert window.results.compare.rowCount() == len(ready)


def test_settings_persist_in_isolated_file(qtbot, tmp_path, settings, zoo):
    from app.views.main_window import MainWindow

    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.setup_panel.iterations.setValue(1234)
    first.setup_panel.by_time.setChecked(True)
    first._add_recent(str(zoo["conv_net"]))
    first.close()
    stored = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert stored.value("window/geometry") is not None
    assert int(stored.value("run/iterations")) == 1234
    second = MainWindow(stored)
    qtbot.addWidget(second)
    assert second.setup_panel.iterations.value() == 1234
    assert second.setup_panel.by_time.isChecked()
    assert second.recent_files() == [str(zoo["conv_net"])]
    assert second.recent_menu.actions()[0].text() == "conv_net.onnx"
    second.close()


def _gui(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "xdg-data"), APPDATA=str(tmp_path / "appdata"),
               LOCALAPPDATA=str(tmp_path / "localappdata"), HOME=str(tmp_path),
               AIPCPROF_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "app", "gui", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_run_screenshot_quit(tmp_path, zoo):
    shot = tmp_path / "shot.png"
    done = _gui([str(zoo["conv_net"]), "--target", "ort/cpu", "--run", "--screenshot", str(shot), "--quit"],
                tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert list((tmp_path / "data").rglob("runs/*.json")), "the run record is kept in the data folder"


def test_cli_bad_model_exits_1_with_screenshot(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00" * 100)
    shot = tmp_path / "error.png"
    done = _gui([str(bad), "--screenshot", str(shot), "--quit"], tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert shot.is_file()
