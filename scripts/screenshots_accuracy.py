"""Render the Accuracy panel with results and the Quantise dialog offscreen (docs/accuracy.md, "In the app").

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_accuracy.py [--out docs/screenshots]

The digits data set and its MLP are built into a temporary folder by tests/accuracy_data.py (no
download). The PNGs of the held-out samples, through the image recipe, are evaluated on ort/cpu,
ov/cpu and the QNN HTP emulator (Evaluate on All Targets, limited to those three):
25-accuracy-panel.png. Then Quantise… on the model card with 64 training samples as calibration
data: 26-quantise-dialog.png (done, Compare Both offered), and the quantised model's card with its
scheme: 27-quantised-card.png. Settings and run records go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_model, open_window, parse_shot_args, shoot, shot_parser, wait_for  # noqa: E402 - the sibling script (this folder is on sys.path when run)

TARGETS = ("ort/cpu", "ov/cpu", "ort/qnn/htp-emulator")


def evaluate(app, window, data: Path, out: Path) -> None:
    """Evaluate the PNGs on every target of TARGETS that is ready here; the panel and the last run's results."""
    setup = window.state.run_setup
    setup.set_targets([t for t in setup.targets if t.id in TARGETS], "ort/cpu")
    acc = window.state.accuracy
    acc.set_data(str(data / "images"))
    acc.set_labels(str(data / "images_labels.csv"))
    from tests.accuracy_data import IMAGE_RECIPE

    acc.set_preprocess(IMAGE_RECIPE)
    window.tabs.setCurrentIndex(2)
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.accuracy_panel.evaluate_all_button.click()
    wait_for(app, lambda: finished, 300, "the evals")
    window.result_tabs.setCurrentIndex(0)
    for _ in range(5):
        app.processEvents()
    total = sum(window.right.sizes())
    window.right.setSizes([total * 2 // 5, total - total * 2 // 5])  # room for the tiles and the Accuracy box
    shoot(app, window, out / "25-accuracy-panel.png")


def quantise(app, window, data: Path, out: Path) -> None:
    from tests.accuracy_data import load_digits_split

    calib = data / "calib"
    calib.mkdir(exist_ok=True)
    for i, x in enumerate(load_digits_split().x_train[:64]):
        np.save(calib / f"{i:02d}.npy", x.reshape(1, 1, 8, 8))
    window.tabs.setCurrentIndex(0)
    window.model_panel.quantise_button.click()
    dialog = window.accuracy.quantise_dialog
    dialog.calib.setText(str(calib))
    done: list = []
    dialog.quantised.connect(done.append)
    dialog.failed.connect(done.append)
    dialog.quantise_button.click()
    wait_for(app, lambda: done, 120, "the quantisation")
    for _ in range(5):
        app.processEvents()
    dialog.grab().save(str(out / "26-quantise-dialog.png"))
    print(f"wrote {out / '26-quantise-dialog.png'}")
    loaded: list = []
    window.model_loaded.connect(loaded.append)
    dialog.open_button.click()
    wait_for(app, lambda: loaded, 60, "the quantised model's card")
    dialog.close()
    shoot(app, window, out / "27-quantised-card.png")


def main() -> int:
    p = shot_parser(__doc__)
    args, out, width, height = parse_shot_args(p)

    from tests.accuracy_data import build

    app, window, tmp = open_window(width, height, sample_model=None)
    data = tmp / "digits"
    model, _split, _weights = build(data)
    open_model(app, window, model)
    evaluate(app, window, data, out)
    quantise(app, window, data, out)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
