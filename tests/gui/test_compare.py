"""Compare and share (issue #5, GUI side): real runs -> history -> comparison view -> exports; the PNG renderer
(also behind `aipcprof compare --png`) at its fixed size in light and dark."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.record import io as rec
from app.record.schema import RunRecord, RunStatus
from app.views.export import PNG_SIZE, render_comparison_png
from tests.gui.conftest import load_model

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:|//|ftp:)|url\(|@import|<link\b|<script\b""",
                      re.IGNORECASE)


def _gray(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert (image.width(), image.height()) == PNG_SIZE, "the exported PNG has a fixed size"
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return buf.reshape(image.height(), image.bytesPerLine())[:, :image.width()].astype(float)


def _run_on(qtbot, window, target: str) -> RunRecord:
    assert window.setup_panel.select_target(target)
    with qtbot.waitSignal(window.all_runs_finished, timeout=60_000) as blocker:
        window.run_action.trigger()
    (record,) = blocker.args[0]
    assert record.status is RunStatus.COMPLETED, record.error
    return record


def test_two_real_runs_compare_and_export(qtbot, window, zoo, tmp_path):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.iterations.setValue(200)
    window.setup_panel.warmup.setValue(5)
    _run_on(qtbot, window, "ort/cpu")
    _run_on(qtbot, window, "ov/cpu")
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=15_000)  # both kept in the history
    targets = {panel.table.item(r, 2).text() for r in range(2)}
    assert targets == {"ort/cpu", "ov/cpu"}
    panel.table.selectAll()
    assert panel.buttons["compare"].isEnabled()
    with qtbot.waitSignal(window.comparison_shown, timeout=15_000):
        panel.buttons["compare"].click()
    view = window.compare_view
    assert window.views.currentWidget() is window.compare_page and view.parent() is window.compare_page  # in front
    assert view.table.rowCount() == 2
    assert {view.table.item(r, 1).text() for r in range(2)} == {"ort/cpu", "ov/cpu"}
    assert len(view.cdf.curves) == 2  # one latency CDF per run
    assert view.table.item(0, 7).text() == "baseline"
    assert view.table.item(1, 7).text().endswith("×")
    energy = [run for metric, run in view.bars.na_cells if metric == "energy_mj_per_inference"]
    assert len(energy) == 2  # no power source here: labelled N/A gaps, never zero bars
    assert "Recommended:" in view.recommendation.text()
    view.set_baseline(1)
    assert view.table.item(1, 7).text() == "baseline" and view.table.item(0, 7).text().endswith("×")

    window.resize(900, 600)  # the PNG does not depend on the window
    with qtbot.waitSignal(view.exported, timeout=10_000):
        view.export("png", str(tmp_path / "cmp.png"))
    assert _gray(tmp_path / "cmp.png").std() > 20
    written = {}
    for kind in ("svg", "csv", "json", "html", "bundle"):
        with qtbot.waitSignal(view.exported, timeout=30_000) as blocker:
            view.export(kind, str(tmp_path / f"cmp.{'zip' if kind == 'bundle' else kind}"))
        written[kind] = Path(blocker.args[1])
    html = written["html"].read_text(encoding="utf-8")
    assert "ort/cpu" in html and "ov/cpu" in html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert written["svg"].read_text(encoding="utf-8").startswith("<svg")
    assert written["csv"].read_text(encoding="utf-8").count("\n") == 3
    assert json.loads(written["json"].read_text(encoding="utf-8"))["baseline"] == 1
    with zipfile.ZipFile(written["bundle"]) as z:
        names = set(z.namelist())
    assert {"report.html", "comparison.csv", "summary.txt", "comparison.png"} <= names
    assert len([n for n in names if n.startswith("runs/")]) == 2
    assert not list(tmp_path.glob(".*.png")), "the bundle's temporary PNG is cleaned up"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_png_has_fixed_size_and_is_not_blank(two_runs, tmp_path, theme, qapp):
    records = [rec.load(p) for p in two_runs]
    out = render_comparison_png(records, ["ort", "ov"], 0, tmp_path / f"{theme}.png", theme)
    gray = _gray(out)
    assert gray.std() > 20, "a picture, not a blank page"
    assert (gray.mean() < 100) if theme == "dark" else (gray.mean() > 150)


def test_mismatched_runs_warn_prominently(qtbot, two_runs):
    from app.views.compare_view import CompareView

    a, b = (rec.load(p) for p in two_runs)
    other = b.copy()
    other.model.sha256 = "0" * 64
    other.inputs[0].shape = [1, 3, 32, 32]
    view = CompareView()
    qtbot.addWidget(view)
    view.show()
    view.set_runs([a, other], ["A", "B"])
    text = view.warning_text()
    assert view.warnings.isVisible() and view.warnings.level == "warning"
    assert "different model" in text and "different input shapes" in text
    assert "No recommendation" in view.recommendation.text() or "Recommended: ort/cpu" in view.recommendation.text()


def test_cli_compare_png(two_runs, tmp_path):
    out = tmp_path / "cli.png"
    done = subprocess.run([sys.executable, "-m", "app", "compare", *map(str, two_runs), "--png", str(out),
                           "--theme", "dark"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"png: {out}" in done.stdout
    assert _gray(out).std() > 20
