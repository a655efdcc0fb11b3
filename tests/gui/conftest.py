"""GUI fixtures: the real MainWindow, offscreen, with settings and run records in tmp_path.

Nothing here touches the user's settings or data folder: QSettings is an INI
file under tmp_path, runs go to tmp_path/runs, and QStandardPaths is in test
mode in case anything asks it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402

QStandardPaths.setTestModeEnabled(True)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path: Path, settings: QSettings):
    """The app's main window, shown, with targets discovered and the sampler running."""
    from app.views.main_window import MainWindow

    w = MainWindow(settings, tmp_path / "runs", sample_model=None)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.targets_loaded, timeout=30_000):
        w.start_background()
    yield w
    w.close()  # stops any worker and the sampler; closing twice is harmless


def load_model(qtbot, window, path: Path) -> None:
    with qtbot.waitSignal(window.model_loaded, timeout=15_000):
        window.open_model(str(path))


def run_and_wait(qtbot, window, timeout_ms: int = 60_000) -> list[dict]:
    with qtbot.waitSignal(window.all_runs_finished, timeout=timeout_ms) as blocker:
        window.run_action.trigger()
    return blocker.args[0]
