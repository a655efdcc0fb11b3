"""Measurement conditions in the desktop app: the results panel's banner and figures, --quiet-check in the
run setup's Advanced section (the same RunSpec as the CLI), its progress text."""

from __future__ import annotations

import argparse
import os

import pytest

from app.cli import cmd_run
from app.record.conditions import Conditions, CpuShare, EdgeTemperature
from app.record.schema import LatencyStats, Phase, PowerInfo, RunRecord, RunStatus, TargetInfo, WarningKind
from app.run.conditions import condition_warnings
from app.run.runner import RunSettling
from app.state.run_setup import RunSetupState
from app.views.results_panel import ResultsPanel
from app.views.run_controller import RunController
from app.views.run_setup_panel import RunSetupPanel
from tests.state.conftest import targets


def _record(other: float, power: PowerInfo | None = None) -> RunRecord:
    r = RunRecord(target=TargetInfo("ort/cpu", device_type="CPU"), status=RunStatus.COMPLETED,
                  latency=LatencyStats(count=400, p50=0.004, p99=0.009, throughput_per_s=240.0))
    r.phases = {}
    r.conditions = Conditions(window_s=1.7, other_cpu=CpuShare(other), worker_cpu=CpuShare(0.48),
                              profiler_cpu=CpuShare(0.02), steal=CpuShare(0.0),
                              throttle_reason="no thermal_throttle counters (Intel CPUs on bare metal only)",
                              clock_start=0.97, clock_end=0.82, clock_cap=1.0,
                              temperatures=[EdgeTemperature("cpu/temp", 52.0, 71.5)])
    if power is not None:
        r.host.power = power
    for kind, text in condition_warnings(r):
        r.warn(kind, text)
    return r


@pytest.fixture
def results(qtbot) -> ResultsPanel:
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(900, 1100)
    p.show()
    return p


def test_a_busy_machine_shows_a_banner_naming_it_and_the_figures(results, tmp_path, qtbot):
    r = _record(0.38, PowerInfo(source="battery", plan="Power saver", saver=True))
    results.show_record(r)
    banner = results.conditions_banner
    assert banner.isVisible()
    assert banner.message.text().startswith("Measured under unquiet conditions (busy machine, on battery, "
                                            "power-saving plan)")
    assert "other processes used 38% of the CPU during the measurement" in banner.hint.text()
    box = results.conditions_box.label.text()
    assert box.startswith("Other processes 38% of the CPU, this run 48%, the profiler 2%, steal 0%")
    assert "Clock: 97% -> 82% of maximum; throttling: N/A (no thermal_throttle counters" in box
    assert "cpu/temp 52.0 °C -> 71.5 °C" in box
    assert "other processes used 38% of the CPU" in results.warnings.text()
    qtbot.wait(50)  # let the word-wrapped labels take their height before the picture
    out = os.environ.get("AIPCPROF_SCREENSHOTS", str(tmp_path))
    results.grab().save(os.path.join(out, "results_conditions.png"))


def test_a_quiet_run_shows_no_banner_but_keeps_the_figures(results):
    results.show_record(_record(0.03))
    assert results.conditions_banner.isHidden()
    assert results.conditions_box.label.text().startswith("Other processes 3% of the CPU")
    results.show_record(RunRecord(target=TargetInfo("ort/cpu")))  # an older record: no section, no box
    assert results.conditions_box.isHidden() and results.conditions_banner.isHidden()


def test_quiet_check_in_the_advanced_section_is_the_clis(qtbot):
    panel = RunSetupPanel(RunSetupState())
    qtbot.addWidget(panel)
    panel.set_targets(targets())
    panel.show()
    panel.advanced_button.click()
    assert not panel.quiet_check_on.isChecked() and not panel.quiet_check.isEnabled()
    panel.quiet_check_on.click()
    assert panel.quiet_check.isEnabled() and panel.quiet_check.value() == 30
    panel.quiet_check.setValue(12)
    spec = panel.setup.build("/m/a.onnx", panel.current_target())
    p = argparse.ArgumentParser()
    cmd_run.add_arguments(p)
    assert spec.quiet_check_s == 12.0
    assert spec == cmd_run.build_spec(p.parse_args(["/m/a.onnx", "--quiet-check", "12"]))
    saved = panel.setup.to_settings()
    fresh = RunSetupState()
    fresh.restore_settings(saved)
    assert fresh.options.quiet_check_s == 12.0


def test_the_status_text_shows_the_level_while_waiting(qtbot):
    c = RunController(history=None)
    c.run, c.phase = object(), Phase.SETTLE  # a run in its settle phase
    c._on_run_event(RunSettling(0.42, 6.0, 30.0))
    assert c.progress() == ("Waiting for a quiet machine… other processes 42% of the CPU, 6 / 30 s", 20)
    c.run = None


def test_warning_kinds_are_picked_by_kind():
    r = _record(0.5)
    assert [w.kind for w in r.warnings] == [WarningKind.BUSY_MACHINE]
