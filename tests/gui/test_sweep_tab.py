"""The Sweep tab, for real: batch=1,2,4,8 on ort/cpu and ov/cpu through the worker, filled live, exported."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.record import sweep as sweep_io
from app.record.schema import RunStatus
from app.record.sweep import PointStatus
from app.state import View
from tests.gui.conftest import load_model

SCREENSHOTS = os.environ.get("AIPCPROF_SWEEP_SCREENSHOTS")  # a folder: docs screenshots (scripts/sweep_screenshots.sh)


def _setup(window, zoo, targets: list[str], values: str, iterations: int = 30, **run) -> None:
    window.state.run_setup.update(iterations=iterations, warmup=2, **run)
    panel = window.sweep_panel
    window.views.setCurrentIndex(int(View.SWEEP))
    assert panel.dim.currentText() == "batch" and panel.dim.isEnabled()
    panel.dim_values.setText(values)
    for i in range(panel.targets.count()):
        item = panel.targets.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in targets else Qt.CheckState.Unchecked)


def test_a_batch_sweep_fills_the_tab_live_and_exports(qtbot, window, zoo, tmp_path, data_dir):
    load_model(qtbot, window, zoo["dynamic_mlp"])
    _setup(window, zoo, ["ort/cpu", "ov/cpu"], "1,2,4,8")
    panel, st = window.sweep_panel, window.state.sweep
    seen = []  # each point as it finished, and how many points the charts held then
    st.point_finished.connect(lambda p: seen.append((p.index, sum(np.isfinite(
        panel.charts.plots["p50"].getPlotItem().listDataItems()[0].yData).tolist()) if p.index < 4 else None)))
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert window.sweeps.busy and not window.run_action.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not window.sweeps.busy, timeout=180_000)
    record = st.record
    assert record.status is RunStatus.COMPLETED and [p.status for p in record.points] == [PointStatus.COMPLETED] * 8
    assert [i for i, _ in seen] == list(range(8))
    assert [n for _, n in seen[:4]] == [1, 2, 3, 4]  # the ort/cpu line grew a point at a time, as they finished
    p50 = panel.charts.plots["p50"].getPlotItem().listDataItems()
    assert len(p50) == 2  # one line per target
    for curve, target in zip(p50, ("ort/cpu", "ov/cpu"), strict=True):
        want = [p.run.latency.p50 * 1e3 for p in record.points if p.target_id == target]
        assert np.allclose(curve.yData, want)
    assert panel.table.rowCount() == 8 and panel.table.item(0, 0).text() == "ort/cpu"
    assert panel.best.text().startswith("best latency: ") and "best efficiency: " in panel.best.text()
    assert "too few inferences for a p99" in panel.charts.notes.text()
    assert window.run_action.isEnabled() and panel.run_button.isEnabled()
    assert panel.status.text() == "Sweep completed: 8 points."
    qtbot.waitUntil(lambda: bool(list((data_dir / "sweeps").glob("sweep-*-dynamic_mlp.json"))), timeout=10_000)
    (kept,) = (data_dir / "sweeps").glob("sweep-*-dynamic_mlp.json")  # kept like `aipcprof sweep` keeps it
    assert sweep_io.load(kept).to_json() == record.to_json()
    csv_path = panel.export("csv", tmp_path / "s.csv")
    assert csv_path.read_text().count("\n") == 9
    png = panel.export("png", tmp_path / "s.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 300
    assert sweep_io.load(panel.export("json", tmp_path / "s.json")).to_json() == record.to_json()
    if SCREENSHOTS:
        window.resize(1440, 900)
        qtbot.wait(200)
        window.grab().save(str(Path(SCREENSHOTS) / "10-sweep.png"))
        panel.charts.grab().save(str(Path(SCREENSHOTS) / "10-sweep-charts.png"))


def test_bad_values_are_one_message_and_nothing_runs(qtbot, window, zoo):
    load_model(qtbot, window, zoo["dynamic_mlp"])
    _setup(window, zoo, ["ort/cpu"], "0,2")
    window.sweep_panel.run_button.click()
    assert not window.sweeps.busy and window.state.sweep.record is None
    assert window.banner.isVisible() and window.banner.text().startswith("batch values 0,2: every value must be 1")


def test_stop_keeps_the_finished_points(qtbot, window, zoo):
    load_model(qtbot, window, zoo["dynamic_mlp"])
    _setup(window, zoo, ["ort/cpu"], "1,2,4")
    window.state.run_setup.update(by_duration=True, duration_s=30.0)
    st = window.state.sweep
    window.sweep_panel.run_button.click()
    qtbot.waitUntil(lambda: st.record.points[0].status is PointStatus.COMPLETED and st.current is not None,
                    timeout=120_000)
    status_column = 2  # target, batch, status
    assert window.sweep_panel.table.item(st.current.index, status_column).text() == "running…"
    assert window.sweep_panel.table.item(2, status_column).text() == "pending"
    window.sweep_panel.stop_button.click()
    qtbot.waitUntil(lambda: not window.sweeps.busy, timeout=30_000)
    assert st.record.status is RunStatus.CANCELLED
    assert [p.status for p in st.record.points] == [PointStatus.COMPLETED, PointStatus.CANCELLED, PointStatus.NOT_RUN]
    assert "not (fully) run" in window.sweep_panel.status.text()


def test_a_model_without_symbolic_dims_offers_none(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    panel = window.sweep_panel
    assert panel.dim.currentText() == "(none)" and not panel.dim.isEnabled()
