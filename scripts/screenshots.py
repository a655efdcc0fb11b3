"""Render the main window's states offscreen into docs/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--model M]

States: empty (first launch), model loaded, running (mid-measure), results,
devices tab, error (a bad file dropped), history (two runs kept), comparison
(ort/cpu vs ov/cpu) and the exported comparison PNG; then results, comparison
and exported PNG again in dark mode (a second process with
AIPCPROF_THEME=dark). Settings and run records go to a temporary folder
($AIPCPROF_DATA_DIR), never the user's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait_for(app, predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def shoot(app, window, path: Path) -> None:
    window.charts.refresh()
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(path))
    print(f"wrote {path}")


def open_window(width: int, height: int, sample_model: Path | None, **settings_values):
    """The app, a themed main window shown at width x height with its targets discovered, and a temporary
    folder that holds its settings and run history (never the user's): (app, window, tmp)."""
    from PySide6.QtCore import QSettings

    from app.gui import _make_app
    from app.views import theme
    from app.views.main_window import MainWindow

    app = _make_app()
    theme.apply(app)
    tmp = Path(tempfile.mkdtemp(prefix="aipcprof-shots-"))
    os.environ["AIPCPROF_DATA_DIR"] = str(tmp / "data")
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in settings_values.items():
        settings.setValue(key, value)
    window = MainWindow(settings, sample_model=sample_model)
    window.resize(width, height)
    window.show()
    targets: list = []
    window.targets_loaded.connect(targets.append)
    window.start_background()
    wait_for(app, lambda: targets, 60, "target discovery")
    return app, window, tmp


def open_model(app, window, path: Path | str) -> None:
    """Open a model in the window and wait for its card."""
    loaded: list = []
    window.model_loaded.connect(loaded.append)
    window.workflow.open_model(str(path))
    wait_for(app, lambda: loaded, 60, "the model card")


def compare(app, window, out: Path, suffix: str, finished: list) -> None:
    """A second run (ov/cpu), the History tab with both, their comparison, and the exported PNG."""
    if not window.setup_panel.select_target("ov/cpu"):
        print("ov/cpu is not available here: no comparison screenshots")
        return
    window.setup_panel.duration.setValue(4.0)
    finished.clear()
    window.workflow.run_selected()
    wait_for(app, lambda: finished, 120, "the ov/cpu run")
    panel = window.history_panel
    wait_for(app, lambda: panel.table.rowCount() >= 2, 30, "both runs in the history")
    window.views.setCurrentWidget(window.history_sources)  # the History tab, "This PC" in front
    panel.table.selectAll()
    if not suffix:
        shoot(app, window, out / "07-history.png")
    shown: list = []
    window.comparison_shown.connect(shown.append)
    panel.buttons["compare"].click()
    wait_for(app, lambda: shown, 30, "the comparison")
    shoot(app, window, out / f"08-comparison{suffix}.png")
    exported: list = []
    window.compare_view.exported.connect(lambda kind, path: exported.append(path))
    window.compare_view.export("png", str(out / f"09-comparison-export{suffix}.png"))
    wait_for(app, lambda: exported, 30, "the PNG export")
    print(f"wrote {exported[0]}")
    window.setup_panel.select_target("ort/cpu")
    window.setup_panel.duration.setValue(8.0)


def shot_parser(doc: str, size: str = "1440x900") -> argparse.ArgumentParser:
    """The options every screenshot script takes: --out (docs/screenshots) and --size WxH."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--size", default=size, help="window size WxH")
    return p


def parse_shot_args(p: argparse.ArgumentParser) -> tuple[argparse.Namespace, Path, int, int]:
    """Parse; make the --out folder; the window's width and height."""
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))
    return args, out, width, height


def main() -> int:
    p = shot_parser(__doc__)
    p.add_argument("--model", default=str(ROOT / "resources" / "sample_model.onnx"))
    p.add_argument("--only-results", action="store_true",
                   help="(internal) just the results and comparison states (the dark-mode pass)")
    args, out, width, height = parse_shot_args(p)

    from app.views import theme

    app, window, tmp = open_window(width, height, sample_model=Path(args.model))
    suffix = "-dark" if theme.is_dark() else ""
    if not args.only_results:
        shoot(app, window, out / "01-empty.png")

    open_model(app, window, args.model)
    window.setup_panel.select_target("ort/cpu")
    if not args.only_results:
        shoot(app, window, out / "02-model-loaded.png")

    window.setup_panel.by_time.setChecked(True)
    window.setup_panel.duration.setValue(8.0)
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.workflow.run_selected()
    c = window.controller
    wait_for(app, lambda: c.phase == "measure" and c.live.count > 0, 60, "the measured loop")
    t = time.monotonic()
    wait_for(app, lambda: time.monotonic() - t > 4.0, 10, "4 s of measurement")
    if not args.only_results:
        shoot(app, window, out / "03-running.png")
    wait_for(app, lambda: finished, 120, "the end of the run")
    shoot(app, window, out / f"04-results{suffix}.png")
    compare(app, window, out, suffix, finished)
    if args.only_results:
        window.close()
        return 0

    window.views.setCurrentIndex(0)
    window.tabs.setCurrentIndex(1)
    shoot(app, window, out / "05-devices.png")
    window.tabs.setCurrentIndex(0)
    bad = tmp / "not-a-model.onnx"
    bad.write_bytes(os.urandom(2048))
    failed: list = []
    window.model_failed.connect(failed.append)
    window.workflow.open_model(str(bad))
    wait_for(app, lambda: failed, 30, "the error")
    shoot(app, window, out / "06-error.png")
    window.close()

    # Dark mode: a fresh process, because the palette is chosen at start-up like the OS theme.
    env = dict(os.environ, AIPCPROF_THEME="dark")
    done = subprocess.run([sys.executable, __file__, "--out", str(out), "--model", args.model, "--size", args.size,
                           "--only-results"], env=env, check=False)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
