"""GUI fixtures: the real MainWindow, offscreen, with settings and run records in tmp_path.

Nothing here touches the user's settings or data folder: QSettings is an INI
file under tmp_path, the run history is $AIPCPROF_DATA_DIR = tmp_path/data
(so runs land in tmp_path/data/runs), and QStandardPaths is in test mode in
case anything asks it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402

from app.record.schema import RunRecord, RunStatus  # noqa: E402

QStandardPaths.setTestModeEnabled(True)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """Every GUI test gets its own history folder (app.record.history reads AIPCPROF_DATA_DIR)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(folder))
    return folder


def history_files(data_dir: Path) -> list[Path]:
    """The run records in the history folder (not its index)."""
    return sorted(p for p in (data_dir / "runs").glob("*.json") if p.name != "index.json")


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path: Path, settings: QSettings):
    """The app's main window, shown, with targets discovered and the sampler running."""
    from app.views.main_window import MainWindow

    w = MainWindow(settings, sample_model=None)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.targets_loaded, timeout=30_000):
        w.start_background()
    yield w
    w.close()  # stops any worker and the sampler; closing twice is harmless


def load_model(qtbot, window, path: Path) -> None:
    with qtbot.waitSignal(window.model_loaded, timeout=15_000):
        window.workflow.open_model(str(path))


def run_and_wait(qtbot, window, timeout_ms: int = 60_000) -> list[RunRecord]:
    with qtbot.waitSignal(window.all_runs_finished, timeout=timeout_ms) as blocker:
        window.run_action.trigger()
    return blocker.args[0]


@pytest.fixture(scope="session")
def two_runs(zoo, tmp_path_factory) -> list[Path]:
    """Two real run records of conv_net, on ort/cpu and ov/cpu, made once per session (headless ProfileRun)."""
    from app.record import io as rec
    from app.run.runner import ProfileRun
    from app.run.runspec import RunSpec

    folder = tmp_path_factory.mktemp("runs")
    paths = []
    for target in ("ort/cpu", "ov/cpu"):
        run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id=target, warmup=5, iterations=200))
        run.start()
        try:
            record = run.wait()
        finally:
            run.close()
        assert record.status is RunStatus.COMPLETED, record.error
        paths.append(rec.save(record, folder / f"conv_net-{target.replace('/', '-')}.json"))
    return paths
