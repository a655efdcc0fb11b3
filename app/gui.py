"""The desktop app's entry points: `aipcprof-gui` (main) and `aipcprof gui` (run_gui).

Only Qt and the window are imported up front; ONNX Runtime and OpenVINO load
in a background job after the window has painted, so it shows in well under
2 s. `--run/--screenshot/--quit` drive the same window for automation.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from app.common import assets
from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe
from app.record.schema import RunStatus

_T0 = time.perf_counter()


SCREENSHOT_FORMATS = {".png": "PNG", ".jpg": "JPG", ".jpeg": "JPG", ".bmp": "BMP"}


def check_screenshot(path: str) -> Path:
    """`--screenshot PATH` checked before the window opens (a run may come first): one line, not a silent exit 1."""
    from app.record import io as rec

    p = Path(path)
    if p.suffix.lower() not in SCREENSHOT_FORMATS:
        raise UserError(f"--screenshot {path}: must end in .png (or .jpg, .bmp).", hint="E.g. --screenshot window.png")
    if str(p.parent) and not p.parent.is_dir():
        try:
            p.parent.mkdir(parents=True, exist_ok=True)  # made for the user, as before
        except OSError as e:
            raise UserError(f"--screenshot {path}: cannot create the folder {p.parent} ({e.strerror}).",
                            hint="Choose a folder you can write to.") from None
    return rec.check_writable(p, "--screenshot")


class _Automation:
    """Waits for targets (and the model), optionally runs, screenshots, quits with OK / RUN_FAILED."""

    def __init__(self, window, model: str | None, target: str | None, start: bool, screenshot: str | None,
                 quit_after: bool) -> None:
        self.window, self.target, self.start = window, target, start
        self.screenshot, self.quit_after = screenshot, quit_after
        self.exit_code = ExitStatus.OK
        self._targets_done = False
        self._model_done = model is None
        self._acted = False
        window.targets_loaded.connect(self._on_window_targets_loaded)
        window.model_loaded.connect(self._on_window_model_loaded)
        window.model_failed.connect(self._on_window_model_failed)
        window.all_runs_finished.connect(self._on_window_all_runs_finished)

    @property
    def active(self) -> bool:
        return bool(self.start or self.screenshot or self.quit_after or self.target)

    def _on_window_targets_loaded(self, _targets: list) -> None:
        self._targets_done = True
        self._maybe_act()

    def _on_window_model_loaded(self, _path: str) -> None:
        self._model_done = True
        self._maybe_act()

    def _on_window_model_failed(self, _message: str) -> None:
        self._model_done = True
        self.exit_code = ExitStatus.RUN_FAILED
        self._maybe_act()

    def _maybe_act(self) -> None:
        if self._acted or not (self._targets_done and self._model_done):
            return
        self._acted = True
        w = self.window
        if self.target and not w.setup_panel.select_target(self.target):
            w.show_error(f"Target {self.target} is not available here.",
                         "Pick one of the ready targets (aipcprof devices lists them).")
            self.exit_code = ExitStatus.RUN_FAILED
        if self.start and self.exit_code is ExitStatus.OK:
            w.workflow.run_selected()
            if w.controller.busy:
                return  # _on_window_all_runs_finished finishes
            self.exit_code = ExitStatus.RUN_FAILED
        self._finish()

    def _on_window_all_runs_finished(self, records: list) -> None:
        if not self.start:
            return
        ok = bool(records) and all(r.status is RunStatus.COMPLETED for r in records)
        self.exit_code = ExitStatus.OK if ok and self.exit_code is ExitStatus.OK else ExitStatus.RUN_FAILED
        self._finish()

    def _finish(self) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(150, self._shoot_and_quit)  # let the layout settle and the charts draw once

    def _shoot_and_quit(self) -> None:
        from PySide6.QtWidgets import QApplication

        w = self.window
        if self.screenshot:
            w.charts.refresh()
            QApplication.processEvents()
            try:
                _save_screenshot(w, self.screenshot)
            except UserError as e:
                print(f"aipcprof: error: {terminal_safe(e)}", file=sys.stderr)
                self.exit_code = ExitStatus.RUN_FAILED
        if self.quit_after:
            w.close()
            QApplication.instance().exit(int(self.exit_code))


def _save_screenshot(window, path: str) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from app.record import io as rec

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not window.grab().save(buffer, SCREENSHOT_FORMATS[Path(path).suffix.lower()]):
        raise UserError(f"--screenshot {path}: the window could not be encoded as an image.")
    buffer.close()
    rec.atomic_write(path, bytes(data.data()), "--screenshot")


def _make_app():
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setOrganizationName("AIPCProfiler")
        QCoreApplication.setApplicationName("AI PC Profiler")
        if sys.platform == "win32":  # own taskbar group and icon, not python.exe's
            try:
                import ctypes

                ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("AIPCProfiler.App")
            except (AttributeError, OSError):
                pass
        app = QApplication(sys.argv[:1])
    from app import __version__

    app.setApplicationDisplayName("AI PC Profiler")
    app.setApplicationVersion(__version__)
    icon = assets.path(assets.ICON)
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    return app


BACKGROUND_START_MS = 100  # background start-up work waits this long after the window is shown


def run_gui(model: str | None = None, target: str | None = None, start: bool = False,
            screenshot: str | None = None, quit_after: bool = False, *, settings=None,
            runs_dir: Path | None = None) -> int:
    """Open the window; with quit_after, return ExitStatus.OK, or RUN_FAILED if loading or the run failed.

    Runs are kept in the run history (app.record.history: the user's data folder, or
    $AIPCPROF_DATA_DIR/runs); `runs_dir` points it somewhere else."""
    if screenshot is not None:
        check_screenshot(screenshot)  # before Qt starts: bad input is one line and exit 2
    from PySide6.QtCore import QSettings, QTimer

    from app.views import theme
    from app.views.main_window import MainWindow

    app = _make_app()
    theme.apply(app)
    if settings is None:
        settings = QSettings()
    window = MainWindow(settings, runs_dir, sample_model=assets.path(assets.SAMPLE_MODEL))
    automation = _Automation(window, model, target, start, screenshot, quit_after)
    window.show()
    probe = os.environ.get("AIPCPROF_STARTUP_PROBE")
    if probe:  # the responsiveness benchmark: when was the window on screen?
        QTimer.singleShot(0, lambda: _report_shown(probe, app))
    # After the first paint: a 0 ms timer can fire before the window is painted, and the target discovery
    # and inventory threads it starts (importing ONNX Runtime and OpenVINO) then hold the GIL while it paints.
    QTimer.singleShot(BACKGROUND_START_MS, window.start_background)
    if model:
        window.workflow.open_model(model)
    rc = app.exec()
    return automation.exit_code if quit_after else rc


def _report_shown(mode: str, app) -> None:
    app.processEvents()
    print(f"window_shown wall={time.time():.6f} since_import={time.perf_counter() - _T0:.3f}", flush=True)
    if mode == "quit":
        for w in app.topLevelWidgets():
            w.close()
        app.exit(int(ExitStatus.OK))


def main(argv: list[str] | None = None) -> int:
    """`aipcprof-gui [MODEL] [--target ID] [--run] [--screenshot PNG] [--quit]`."""
    from app.cli import OneLineParser
    from app.cli.cmd_gui import add_arguments

    parser = OneLineParser(prog="aipcprof-gui", description="AI PC Profiler desktop app.")
    add_arguments(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run_gui(model=args.model, target=args.target, start=args.run, screenshot=args.screenshot,
                       quit_after=args.quit)
    except UserError as e:
        print(f"aipcprof-gui: error: {terminal_safe(e)}", file=sys.stderr)
        return ExitStatus.USER_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
