"""Real-world models in the desktop app, and what it shows being true (the real window, offscreen, real runs on
ort/cpu and ov/cpu): the input editor for open dims, results of failed / CPU / small runs, the two p50s, the
banners, the fitted time axis, a laptop-sized window, names that can be told apart."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel, QSpinBox

from app.common.errors import ErrorKind
from app.record.schema import RunStatus
from app.report import facts
from tests import model_zoo
from tests.gui.conftest import load_model
from tests.gui.models import open_image_net, reshape_trap, scaled_image_net


@pytest.fixture(scope="module")
def gui_models(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("gui_models")
    return {name: model_zoo.save(build(), folder, name) for name, build in
            (("open_image_net", open_image_net), ("scaled_image_net", scaled_image_net),
             ("reshape_trap", reshape_trap))}


def _run(qtbot, window, target: str = "ort/cpu", timeout_ms: int = 60_000):
    assert window.setup_panel.select_target(target)
    with qtbot.waitSignal(window.all_runs_finished, timeout=timeout_ms) as blocker:
        window.run_action.trigger()
    (record,) = blocker.args[0]
    return record


def _texts(widget) -> str:
    """Every label's text under `widget` (what the user reads there)."""
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def _reinspected(qtbot, window, text: str) -> None:
    qtbot.waitUntil(lambda: text in window.model_panel.inputs_table.item(0, 2).text(), timeout=15_000)


# -- item 2: the input editor -------------------------------------------------------------------------


def test_all_open_dims_each_get_a_labelled_size_box_and_the_run_uses_them(qtbot, window, gui_models):
    load_model(qtbot, window, gui_models["open_image_net"])
    panel = window.model_panel
    labels = [panel.shapes_box.findChild(QSpinBox, f"dim_image[{a}]") for a in range(4)]
    assert all(labels), "one size box per axis of image[?, ?, ?, ?]"
    shown = _texts(panel.shapes_box)
    for text in ("image[0] (batch)", "image[1] (channels)", "image[2] (height)", "image[3] (width)"):
        assert text in shown
    assert [s.value() for s in labels] == [1, 3, 224, 224]
    _reinspected(qtbot, window, "[1, 3, 224, 224]")  # loaded at the editor's sizes: MACs are counted
    assert "MACs" in _texts(panel.facts_box) and "unresolved" not in _texts(panel.facts_box)
    labels[2].setValue(320)
    labels[3].setValue(240)  # height and width differ
    _reinspected(qtbot, window, "[1, 3, 320, 240]")
    record = _run(qtbot, window)
    assert record.status is RunStatus.COMPLETED, record.error
    assert record.inputs[0].shape == [1, 3, 320, 240] and record.settings.shapes == {"image": [1, 3, 320, 240]}
    everything = _texts(window)
    assert "--shape" not in everything and "--dim" not in everything  # no CLI flag the GUI has not got


def test_presets_and_a_scalar_value_reach_the_run(qtbot, window, gui_models):
    load_model(qtbot, window, gui_models["scaled_image_net"])
    panel = window.model_panel
    assert [b.text() for b in panel.preset_buttons["image"]] == ["224²", "320²", "640²"]
    panel.preset_buttons["image"][1].click()
    assert panel._dim_spins["image[2]"].value() == panel._dim_spins["image[3]"].value() == 320
    _reinspected(qtbot, window, "[1, 3, 320, 320]")
    edit = panel._value_edits["scale"]
    qtbot.keyClicks(edit, "0.5")
    assert window.state.inputs.inputs_data() == {"scale": "0.5"}
    record = _run(qtbot, window)
    assert record.status is RunStatus.COMPLETED, record.error
    assert {i.name: i.shape for i in record.inputs} == {"image": [1, 3, 320, 320], "scale": []}
    assert record.settings.inputs == {"scale": "0.5"}


def test_sizes_values_and_files_come_back_when_the_model_is_opened_again(qtbot, window, gui_models, settings,
                                                                         tmp_path):
    from app.views.main_window import MainWindow

    data = tmp_path / "image.npy"
    np.save(data, np.zeros((1, 3, 96, 128), np.float32))
    load_model(qtbot, window, gui_models["scaled_image_net"])
    panel = window.model_panel
    panel._dim_spins["image[2]"].setValue(200)
    qtbot.keyClicks(panel._value_edits["scale"], "2")
    window.state.inputs.attach("image", str(data))  # what Attach… does once its file dialog returns
    assert not panel._dim_spins["image[2]"].isEnabled()  # the array fixes the shape of that input
    window.close()

    copy = tmp_path / "elsewhere" / "same_model.onnx"  # the same model (sha256) from another folder
    copy.parent.mkdir()
    shutil.copy(gui_models["scaled_image_net"], copy)
    second = MainWindow(settings, sample_model=None)
    qtbot.addWidget(second)
    second.show()
    with qtbot.waitSignal(second.targets_loaded, timeout=30_000):
        second.start_background()
    load_model(qtbot, second, copy)
    entered = second.state.inputs.entered
    assert entered.dims["image[2]"] == 200 and entered.values == {"scale": "2"} and entered.files == {
        "image": str(data)}
    assert second.model_panel._dim_spins["image[2]"].value() == 200
    assert second.model_panel._value_edits["scale"].text() == "2"
    assert second.findChild(QLabel, "data_image").text() == "image.npy"
    with qtbot.waitSignal(second.all_runs_finished, timeout=60_000) as blocker:
        second.run_action.trigger()
    (record,) = blocker.args[0]
    assert record.status is RunStatus.COMPLETED, record.error
    assert record.inputs[0].shape == [1, 3, 96, 128]  # from the remembered file
    second.close()


def test_a_needed_value_stops_the_run_with_one_line(qtbot, window, gui_models):
    path = gui_models["scaled_image_net"]
    load_model(qtbot, window, path)
    card = dict(window.state.model.card)  # the card as the model layer flags a scalar it cannot synthesise
    card["value_needs"] = {"scale": {"what": "a scale", "example": "0.5", "default": None, "why": ""}}
    card["sha256"] = "f" * 64
    window.state.model.set_card(str(path), card, reinspected=True)
    edit = window.model_panel._value_edits["scale"]
    assert edit.placeholderText() == "needs a value (e.g. 0.5)" and "border" in edit.styleSheet()
    window.run_action.trigger()
    assert window.banner.isVisible() and window.banner.level == "error"
    assert window.banner.message.text() == "Input 'scale' needs a value: synthetic data cannot stand in for it."
    assert not window.controller.busy
    qtbot.keyClicks(edit, "0.5")
    assert edit.styleSheet() == ""  # given: no longer outlined
    record = _run(qtbot, window)
    assert record.status is RunStatus.COMPLETED and record.settings.inputs == {"scale": "0.5"}


# -- item 8: Compare in Detail after Run on All Targets ------------------------------------------------


def test_compare_in_detail_after_run_on_all_targets(qtbot, window, zoo):
    setup = window.state.run_setup
    setup.set_targets([t for t in setup.targets if t.id in ("ort/cpu", "ov/cpu")])  # a PC with these two
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.iterations.setValue(120)
    window.setup_panel.warmup.setValue(3)
    with qtbot.waitSignal(window.all_runs_finished, timeout=120_000) as blocker:
        window.run_all_action.trigger()
    records = blocker.args[0]
    assert [r.target_id for r in records] == ["ort/cpu", "ov/cpu"]
    assert all(r.status is RunStatus.COMPLETED for r in records), [r.error for r in records]
    assert window.results.compare_box.isVisible()
    with qtbot.waitSignal(window.comparison_shown, timeout=15_000) as shown:
        window.results.compare_button.click()
    assert shown.args == [2]
    view = window.compare_view
    assert window.views.currentWidget() is window.compare_page and view.parent() is window.compare_page  # in front
    assert len(view.cdf.curves) == 2 and view.table.rowCount() == 2
    assert [view.table.item(r, 0).text() for r in range(2)] == ["ort/cpu", "ov/cpu"]  # one model: the targets
    assert view.table.item(0, 8).text() == "on CPU" and view.table.item(1, 8).text() == "on CPU"
    assert view.recommendation.text()


# -- items 10, 12, 13, 18: results that are true ---------------------------------------------------------


def test_a_run_that_failed_before_measuring_shows_nothing_measured(qtbot, window, gui_models):
    load_model(qtbot, window, gui_models["reshape_trap"])
    window.run_action.trigger()  # nothing hints at n: no silent default, the run waits for a size
    assert window.banner.isVisible() and "n: x[1]" in window.banner.message.text() and not window.controller.busy
    window.model_panel._dim_spins["n"].setValue(2)  # a size the model's Reshape to 16 cannot take
    qtbot.waitUntil(lambda: window.state.inputs.size("n") == 2, timeout=5_000)
    window.setup_panel.warmup.setValue(1)
    record = _run(qtbot, window)
    assert record.status is RunStatus.FAILED and record.latency.count == 0
    assert record.precision == "fp32" and record.placement.accelerator_share == 1.0  # the session said so
    tiles = window.results.tiles
    assert tiles["share"].value.text() == "\u2014" and tiles["share"].caption.text() == "placement: not measured"
    assert tiles["precision"].value.text() == "\u2014"
    assert tiles["precision"].caption.text() == "precision: not measured"
    assert "100%" not in _texts(window.results) and "fp32" not in _texts(window.results)


def test_a_run_that_failed_while_loading_is_listed_by_its_file_name(qtbot, window, zoo, tmp_path):
    bad = tmp_path / "wrong_shape.npy"
    np.save(bad, np.zeros((2, 2), np.float32))
    load_model(qtbot, window, zoo["conv_net"])
    window.state.inputs.attach("image", str(bad))
    record = _run(qtbot, window)
    assert record.status is RunStatus.FAILED and record.error.kind is ErrorKind.INPUT_SPEC
    assert record.model.name == "" and record.model.path == str(zoo["conv_net"])  # only the path, then
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=15_000)
    assert panel.table.item(0, 1).text() == "conv_net.onnx"
    assert panel.table.item(0, 0).text() == "conv_net.onnx on ort/cpu"
    assert window.results.title.text().startswith("conv_net.onnx on ort/cpu")


def test_the_cpu_target_runs_on_cpu_and_the_two_p50s_are_labelled(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.iterations.setValue(150)
    kpis = window.charts.kpis
    assert kpis.p50.caption.text() == "p50 (last 2 s)"  # while it runs: the rolling window, said so
    record = _run(qtbot, window)
    assert record.status is RunStatus.COMPLETED and record.placement.accelerator_share == 1.0
    tiles = window.results.tiles
    assert tiles["share"].value.text() == "on CPU" and tiles["share"].caption.text() == "placement"
    # The run ended: the strip above the charts shows the run's own p50, the same as the results.
    assert kpis.p50.caption.text() == "p50 (whole run)" == tiles["p50"].caption.text()
    assert kpis.p50.value.text() == tiles["p50"].value.text()
    assert kpis.rate.value.text() == tiles["throughput"].value.text()
    window.charts.refresh(force=True)  # a later tick keeps them
    assert kpis.p50.value.text() == tiles["p50"].value.text()


def test_a_small_sample_has_no_p99_no_speed_up_and_no_recommendation(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.iterations.setValue(150)
    first = _run(qtbot, window)
    window.setup_panel.iterations.setValue(2)
    small = _run(qtbot, window, "ov/cpu")
    assert first.status is small.status is RunStatus.COMPLETED and small.latency.count == 2
    assert small.latency.p99 is not None  # the record keeps it; nobody shows it
    tiles, stats = window.results.tiles, window.results.stats
    assert tiles["p99"].value.text() == "\u2014" and "n=2" in tiles["p99"].caption.text()
    assert "n=2" in tiles["p50"].caption.text()
    rows = {stats.item(r, 0).text(): stats.item(r, 1).text() for r in range(stats.rowCount())}
    assert rows["p99"] == "N/A (n=2)" and rows["p50 (median)"].endswith("(n=2)")
    compare = window.results.compare  # the session table: first run is the baseline
    assert compare.item(1, 5).text() == "N/A (n=2)" and compare.item(1, 3).text() == "N/A (n=2)"
    assert window.charts.kpis.p99.value.text() == "\u2014"
    with qtbot.waitSignal(window.comparison_shown, timeout=15_000):
        window.results.compare_button.click()
    view = window.compare_view
    assert view.recommendation.text().count("Recommended: ort/cpu") == 1  # the 2-inference run is never it
    assert view.table.item(1, 5).text() == "N/A (n=2)" and small.latency.count < facts.MIN_SAMPLES_TO_COMPARE


# -- items 14, 15: what stays on screen ------------------------------------------------------------------


def test_no_welcome_over_a_model_opened_from_the_command_line(qtbot, settings, zoo):
    from app.views.main_window import MainWindow

    w = MainWindow(settings, sample_model=model_zoo.save(model_zoo.single_add(), zoo["conv_net"].parent, "s"))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.model_loaded, timeout=15_000):
        w.workflow.open_model(str(zoo["conv_net"]))  # run_gui opens the model before start_background runs
        with qtbot.waitSignal(w.targets_loaded, timeout=30_000):
            w.start_background()
    assert not w.banner.isVisible()
    overlay = w.charts._overlays["latency"].textItem.toPlainText()
    assert "Drop an .onnx" not in overlay and "press Run" in overlay
    w.close()


def test_an_error_banner_goes_when_a_later_run_succeeds(qtbot, window, zoo, tmp_path):
    bad = tmp_path / "wrong_shape.npy"
    np.save(bad, np.zeros((2, 2), np.float32))
    load_model(qtbot, window, zoo["conv_net"])
    window.state.inputs.attach("image", str(bad))
    assert _run(qtbot, window).status is RunStatus.FAILED
    assert window.banner.isVisible() and window.banner.level == "error"
    assert window.results.error_banner.isVisible()
    window.state.inputs.detach("image")
    assert _run(qtbot, window).status is RunStatus.COMPLETED
    assert not window.banner.isVisible() and not window.results.error_banner.isVisible()


def test_a_short_run_fills_the_time_axis_when_it_ends(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.by_time.setChecked(True)
    window.setup_panel.duration.setValue(1.0)
    with qtbot.waitSignal(window.all_runs_finished, timeout=60_000):
        window.run_action.trigger()
        qtbot.waitUntil(lambda: window.controller.live.count > 0, timeout=30_000)
        qtbot.waitUntil(lambda: window.charts._x_hi >= 10.0, timeout=5_000)  # while running: 10 s and growing
    charts = window.charts
    end = charts._run_end()
    lo, hi = charts.plots["latency"].getViewBox().viewRange()[0]
    assert 1.0 < end < 10.0
    assert hi == pytest.approx(end * 1.02, rel=0.05) and lo == pytest.approx(0.0, abs=0.05)
    assert hi < 10.0  # not the fixed 0-10 s
    window.charts.refresh(force=True)
    assert charts.plots["latency"].getViewBox().viewRange()[0][1] == pytest.approx(hi)  # and it stays


# -- item 16: a laptop screen ------------------------------------------------------------------------------


def test_the_window_fits_a_laptop_and_nothing_overlaps(qtbot, window, gui_models):
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 800
    free = window.screen().availableGeometry()
    w, h = window.default_size()
    assert w <= free.width() and h <= free.height()
    load_model(qtbot, window, gui_models["scaled_image_net"])
    table = window.model_panel.inputs_table
    window.tabs.widget(0).ensureWidgetVisible(table)
    assert table.horizontalScrollBar().isHidden() or not table.horizontalScrollBar().isVisible()
    visible_rows = (table.height() - table.horizontalHeader().height()) / table.verticalHeader().defaultSectionSize()
    assert visible_rows >= table.rowCount()  # no row hidden under a scroll bar
    charts = window.charts

    def legend_clear() -> bool:  # asked until the layouts have settled (slow on a loaded machine)
        view_bottom = charts.view.mapTo(charts, charts.view.rect().bottomLeft()).y()
        legend_top = charts.phase_legend.mapTo(charts, charts.phase_legend.rect().topLeft()).y()
        return view_bottom < legend_top

    for size in ((1280, 800), (window.minimumSizeHint().width(), window.minimumSizeHint().height())):
        window.resize(*size)
        try:
            qtbot.waitUntil(legend_clear, timeout=3_000)
        except qtbot.TimeoutError:
            pytest.fail(f"the phase legend covers the time axis at {size}")
        assert charts.view.height() >= charts.view.minimumHeight()


def test_long_details_are_readable_in_full(qtbot, window):
    panel = window.devices_panel
    unavailable = next(t for t in window.state.run_setup.targets if not t.ready)
    item = next(panel.targets_root.child(i) for i in range(panel.targets_root.childCount())
                if panel.targets_root.child(i).text(0) == unavailable.id)
    panel.tree.setCurrentItem(item)
    assert unavailable.reason in panel.detail.text() and unavailable.fix in panel.detail.text()
    assert panel.detail.wordWrap()


def test_run_names_in_the_bars_are_never_cut_in_the_middle(qtbot, two_runs):
    from app.record import io as rec
    from app.views.compare_view import CompareView

    records = [rec.load(p) for p in two_runs]
    names = ["ort/cpu · a_model_with_a_long_name_v2", "ov/cpu · a_model_with_a_long_name_v2"]
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.set_runs(records, names)
    view.bars.grab()  # paints it: narrow panels
    drawn = view.bars.drawn_names
    assert len(drawn) == 8  # 2 runs x 4 panels
    for name, full in zip(drawn, names * 4, strict=True):  # the start kept, the end elided: never "ort/…_v2"
        assert name == full or (name.endswith("…") and full.startswith(name[:-1]) and len(name) > 10)
    view.resize(1900, 900)
    view.bars.grab()  # room enough: every name whole
    assert view.bars.drawn_names == names * 4


def test_history_times_have_seconds_and_same_named_runs_get_their_time(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    window.setup_panel.iterations.setValue(40)
    _run(qtbot, window)
    qtbot.wait(1100)  # another second on the clock
    _run(qtbot, window)
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=15_000)
    dates = [panel.table.item(r, 3).text() for r in range(2)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", d) for d in dates) and dates[0] != dates[1]
    panel.table.selectAll()
    with qtbot.waitSignal(window.comparison_shown, timeout=15_000):
        panel.buttons["compare"].click()
    names = window.compare_view.names
    assert len(set(names)) == 2 and all(n.startswith("conv_net.onnx on ort/cpu ") for n in names)
    assert all(re.search(r"\d\d:\d\d:\d\d$", n) for n in names)
