"""Helpers shared by the benchmark scripts (not part of the app)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_model(name: str, **kwargs) -> Path:
    from tests import model_zoo

    folder = Path(tempfile.mkdtemp(prefix="aipcprof-bench-"))
    return model_zoo.save(getattr(model_zoo, name)(**kwargs), folder, name)


def app_run(model: Path, target: str, iterations: int, warmup: int = 50, **spec_kwargs) -> object:
    """Profile with the app's own engine (spawned worker), no telemetry, no output check."""
    from app.run.runspec import RunSpec

    spec = RunSpec(model_path=str(model), target_id=target, warmup=warmup, iterations=iterations,
                   check_outputs=False, **spec_kwargs)
    record = _run(spec)
    if record.status.value != "completed":
        raise SystemExit(f"app run failed: {record.error}")
    return record


def _run(spec) -> object:
    from app.run.runner import ProfileRun

    run = ProfileRun(spec)
    run.start()
    try:
        return run.wait()
    finally:
        run.close()


def benchmark_app(model: Path, *args: str) -> str:
    """OpenVINO's benchmark_app on the CPU (the one installed beside this Python), its report as text."""
    exe = shutil.which("benchmark_app") or str(Path(sys.executable).with_name("benchmark_app"))
    return subprocess.run([exe, "-m", str(model), "-d", "CPU", *args], capture_output=True, text=True,
                          check=True).stdout


def benchmark_app_figure(report: str, pattern: str, what: str) -> float:
    """One number from benchmark_app's report, e.g. pattern r"Median:\\s+([\\d.]+)\\s+ms"."""
    match = re.search(pattern, report)
    if not match:
        raise SystemExit(f"could not find the {what} in benchmark_app's output:\n" + report)
    return float(match.group(1))


# -- the real desktop window, driven the way a user drives it (gui_responsiveness.py, soak.py) --------------

def wait_for(pred, timeout_s: float, what: str = "the desktop app") -> None:
    """Run the real event loop (as app.exec() does) until pred() holds; exit when it does not in time."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    end = time.monotonic() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: loop.quit() if pred() or time.monotonic() > end else None)
    check.start()
    if not pred():
        loop.exec()
    check.stop()
    if not pred():
        raise SystemExit(f"benchmark: {what} timed out")


def fill_history(runs_dir: Path, count: int) -> None:
    """`count` small run records in the run history at `runs_dir`: a user's history, which the window lists at
    start and lists again after every run (the end of a run with 200 runs kept, not an empty folder)."""
    from app.record.history import RunHistory
    from app.record.schema import LatencyStats, ModelInfo, RunRecord, RunStatus, TargetInfo

    history = RunHistory(runs_dir)
    for i in range(count):  # each different: the history keeps one copy of identical records
        history.add(RunRecord(target=TargetInfo("ort/cpu"), status=RunStatus.COMPLETED,
                              created_utc=f"2026-12-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                              model=ModelInfo(path=f"/models/model_{i}.onnx", name=f"model_{i}.onnx"),
                              latency=LatencyStats(count=1000 + i, p50=0.001 + i * 1e-6,
                                                   throughput_per_s=990.0 - i * 0.9)))


def open_window(tmp: Path):
    """(app, MainWindow) at 1440 x 900, settings and run records under `tmp` (never the user's history)."""
    import os

    from PySide6.QtCore import QSettings

    from app.gui import _make_app
    from app.views import theme
    from app.views.main_window import MainWindow

    app = _make_app()
    theme.apply(app)
    os.environ["AIPCPROF_DATA_DIR"] = str(tmp / "data")
    window = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), tmp / "runs", sample_model=None)
    window.resize(1440, 900)
    window.show()
    return app, window


def start_timed_run(window, model: Path, seconds: float, warmup: int = 100, check_outputs: bool = True) -> list:
    """Wait for the targets, open `model`, run it on ort/cpu for `seconds`; returns the list that receives
    the finished batch of records (empty until the run ends)."""
    targets: list = []
    window.targets_loaded.connect(targets.append)
    window.start_background()
    wait_for(lambda: targets, 120, "target discovery")
    loaded: list = []
    window.model_loaded.connect(loaded.append)
    window.workflow.open_model(str(model))
    wait_for(lambda: loaded, 60, "opening the model")
    panel = window.setup_panel
    panel.select_target("ort/cpu")
    panel.by_time.setChecked(True)
    panel.duration.setValue(seconds)
    panel.warmup.setValue(warmup)
    panel.check_outputs.setChecked(check_outputs)
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.workflow.run_selected()
    return finished
