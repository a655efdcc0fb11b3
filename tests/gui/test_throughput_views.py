"""Throughput mode and perf per watt in the desktop app: run setup, live charts, results panel."""

from __future__ import annotations

import pytest

from app.common.modes import Concurrency, RunMode
from app.record.schema import Throughput
from app.state.run_setup import RunSetupState
from app.views.charts_panel import ChartsPanel
from app.views.live_data import LiveData
from app.views.results_panel import ResultsPanel
from app.views.run_setup_panel import RunSetupPanel
from tests.gui.test_run_setup import _cli_spec
from tests.state.conftest import targets
from tests.throughput.test_perf_per_watt import _rapl_readings, _record, _sampler


@pytest.fixture
def panel(qtbot) -> RunSetupPanel:
    p = RunSetupPanel(RunSetupState())
    qtbot.addWidget(p)
    p.set_targets(targets())
    p.show()
    return p


def test_mode_and_requests_make_the_same_spec_as_the_cli(panel):
    assert not panel.requests.isEnabled()  # latency mode: no requests in flight to set
    panel.mode.setCurrentIndex(list(RunMode).index(RunMode.THROUGHPUT))
    assert panel.requests.isEnabled() and panel.requests.text() == "auto"
    panel.requests.setValue(4)
    spec = panel.setup.build("/m/a.onnx", panel.current_target())
    assert spec.mode is RunMode.THROUGHPUT and spec.requests == 4
    assert spec == _cli_spec("/m/a.onnx", "--target", "ort/cpu", "--mode", "throughput", "--requests", "4")


def test_throughput_mode_leaves_openvinos_hint_to_the_mode(panel):
    assert panel.select_target("ov/cpu")
    assert panel.setup.build("/m", panel.current_target()).ep_options["PERFORMANCE_HINT"] == "THROUGHPUT"
    panel.ov_hint.setCurrentText("LATENCY")
    assert panel.setup.build("/m", panel.current_target()).ep_options["PERFORMANCE_HINT"] == "LATENCY"
    panel.mode.setCurrentIndex(list(RunMode).index(RunMode.THROUGHPUT))
    assert not panel.ov_hint.isEnabled()
    assert "PERFORMANCE_HINT" not in panel.setup.build("/m", panel.current_target()).ep_options


def test_mode_and_requests_persist(qtbot):
    state = RunSetupState()
    state.set_options(state.options.copy(mode=RunMode.THROUGHPUT, requests=3))
    saved = {k: str(v) for k, v in state.to_settings().items()}  # QSettings hands strings back
    again = RunSetupState()
    again.restore_settings(saved)
    assert again.options.mode is RunMode.THROUGHPUT and again.options.requests == 3
    again.restore_settings({**saved, "mode": "latency"})  # requests without throughput: dropped, not an error
    assert again.options.mode is RunMode.LATENCY and again.options.requests is None and not again.problems


def test_live_charts_make_throughput_the_main_chart(qtbot):
    charts = ChartsPanel(LiveData())
    qtbot.addWidget(charts)
    charts.resize(1000, 700)
    charts.show()
    qtbot.wait(50)

    def heights() -> tuple[float, float]:
        return charts.plots["latency"].height(), charts.plots["throughput"].height()

    lat, rate = heights()
    assert lat > 2 * rate
    charts.set_mode(RunMode.THROUGHPUT)
    qtbot.waitUntil(lambda: heights()[1] > 2 * heights()[0], timeout=2000)
    assert "Latency per request (under load)" in charts._titles["latency"]
    assert charts.curves["throughput"].opts["pen"].widthF() > 2
    charts.set_mode(RunMode.LATENCY)
    qtbot.waitUntil(lambda: heights()[0] > 2 * heights()[1], timeout=2000)


def test_results_show_requests_in_flight_and_perf_per_watt(qtbot, tmp_path):
    r = _record(_sampler(_rapl_readings(tmp_path)))
    r.throughput = Throughput(concurrency=Concurrency.ASYNC_QUEUE, requests=2,
                              requests_source="OPTIMAL_NUMBER_OF_INFER_REQUESTS", streams=2, threads=2,
                              engine_settings={"NUM_STREAMS": "2"}, inferences=250, window_s=1.0,
                              inferences_per_s=250.0, batch=1, samples_per_s=250.0)
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.show_record(r)
    rows = {p.stats.item(i, 0).text(): p.stats.item(i, 1).text() for i in range(p.stats.rowCount())}
    assert rows["requests in flight"] == "2" and rows["requests run as"] == "OpenVINO AsyncInferQueue"
    assert rows["streams"] == "2" and rows["threads"] == "2"
    assert rows["perf per watt"] == "20.00 inferences/J, 12.5 W avg"
    assert rows["power covers"] == "CPU package (RAPL), 1.0 s measured"
    assert p.tiles["energy"].caption.text() == "20.00 inf/J · 12.5 W avg"
    assert p.tiles["throughput"].caption.text() == "throughput, 2 in flight"
    assert p.boxes["Latency statistics"].title() == "Latency under load"


def test_results_say_why_perf_per_watt_is_missing(qtbot):
    r = _record(None, RunMode.LATENCY)
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.show_record(r)
    rows = {p.stats.item(i, 0).text(): p.stats.item(i, 1).text() for i in range(p.stats.rowCount())}
    assert rows["perf per watt"] == "N/A"
    assert rows["why N/A"] == "power was not sampled (no sampler attached to this run)"
    assert "requests in flight" not in rows and p.tiles["energy"].value.text() == "N/A"
    assert "no sampler attached" in p.tiles["energy"].toolTip()
