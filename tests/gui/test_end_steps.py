"""The end of a run is drawn in slices, one per event-loop turn (app/views/steps.py, issue #19)."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app.record.schema import RunStatus
from app.views.steps import Steps
from tests.gui.conftest import load_model, run_and_wait


def test_steps_run_in_order_one_per_turn_with_timers_between(qtbot):
    steps = Steps()
    seen: list[str] = []
    ticks: list[int] = []  # a timer that is due runs between two slices, not after all of them
    probe = QTimer()
    probe.setInterval(0)
    probe.timeout.connect(lambda: ticks.append(len(seen)))
    probe.start()
    steps.add(*(lambda i=i: seen.append(f"s{i}") for i in range(5)))
    assert steps.pending == 5 and seen == []  # nothing runs inside add()
    qtbot.waitUntil(lambda: steps.pending == 0, timeout=5_000)
    probe.stop()
    assert seen == [f"s{i}" for i in range(5)]
    assert steps.turns == 5
    assert any(0 < n < 5 for n in ticks), ticks  # the loop went round between slices


def test_flush_runs_the_rest_now_in_order(qtbot):
    steps = Steps()
    seen: list[int] = []
    steps.add(lambda: seen.append(1), lambda: seen.append(2))
    steps.add(lambda: seen.append(3))
    steps.flush()
    assert seen == [1, 2, 3] and steps.pending == 0 and steps.turns == 0
    qtbot.wait(20)
    assert seen == [1, 2, 3]  # nothing runs twice


def test_a_run_ends_in_slices_and_all_runs_finished_comes_after_the_results(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    assert window.setup_panel.select_target("ort/cpu")
    window.setup_panel.iterations.setValue(200)
    window.setup_panel.warmup.setValue(5)
    shown: list[str] = []
    window.run_finished.connect(lambda _r: shown.append(window.results.title.text()))
    turns = window.end_steps.turns
    records = run_and_wait(qtbot, window)
    assert [r.status for r in records] == [RunStatus.COMPLETED]
    # chart fit + the results panel's slices + comparison + the signals: each its own turn
    assert window.end_steps.turns - turns >= 8
    assert window.end_steps.pending == 0
    assert shown and "completed" in shown[0]  # run_finished is emitted once the panel shows the run
    assert window.results.stats.item(0, 1).text() == "200"
    assert window.charts._fit_end is not None  # the chart was fitted to the run
