"""AppState without Qt: loading a model, the live run, the view in front, messages."""

from __future__ import annotations

from app.run.runspec import RunSpec
from app.state import RunStatus, View
from tests.state.conftest import targets

CARD = {"path": "/m/a.onnx", "inputs": [], "outputs": []}


def test_loading_a_model_sets_card_and_emits(state, rec):
    m = state.model
    for name in ("started", "card_changed", "loaded", "failed", "changed"):
        rec.watch(name, getattr(m, name))
    assert not m.ready and m.path is None
    m.begin("/m/a.onnx")
    assert m.loading == "/m/a.onnx" and not m.ready
    m.set_card("/m/a.onnx", CARD)
    assert m.path == "/m/a.onnx" and m.card is CARD and not m.ready  # still loading until finish
    m.finish("/m/a.onnx")
    assert m.ready and m.loading is None
    assert rec.names() == ["started", "changed", "card_changed", "changed", "loaded", "changed"]
    assert rec.of("card_changed") == [(CARD, False)]
    assert rec.of("loaded") == [("/m/a.onnx",)]


def test_symbolic_dims_reinspection_keeps_the_model_loaded(state, rec):
    m = state.model
    m.begin("/m/a.onnx")
    m.set_card("/m/a.onnx", CARD)
    m.set_card("/m/a.onnx", {**CARD, "macs": 5}, reinspected=True)  # at the editor's default dims
    m.finish("/m/a.onnx")
    rec.watch("loaded", m.loaded)
    rec.watch("card", m.card_changed)
    m.set_card("/m/a.onnx", {**CARD, "macs": 7}, reinspected=True)  # the user edited a dim later
    m.finish("/m/a.onnx")  # nothing is loading: no second "loaded"
    assert rec.of("loaded") == [] and rec.of("card")[0][1] is True
    assert m.card["macs"] == 7 and m.ready


def test_failed_load_keeps_the_previous_model(state, rec):
    m = state.model
    m.begin("/m/a.onnx")
    m.set_card("/m/a.onnx", CARD)
    m.finish("/m/a.onnx")
    rec.watch("failed", m.failed)
    m.begin("/m/bad.onnx")
    assert not m.ready
    m.fail("/m/bad.onnx", "bad.onnx: not an ONNX model", "Check the file.")
    assert rec.of("failed") == [("/m/bad.onnx", "bad.onnx: not an ONNX model", "Check the file.")]
    assert m.path == "/m/a.onnx" and m.ready


def test_late_card_of_a_replaced_model_is_ignored(state):
    m = state.model
    m.begin("/m/a.onnx")
    m.set_card("/m/a.onnx", CARD)
    m.finish("/m/a.onnx")
    m.begin("/m/b.onnx")
    m.set_card("/m/b.onnx", {**CARD, "path": "/m/b.onnx"})
    m.set_card("/m/a.onnx", CARD, reinspected=True)  # a re-inspection of a.onnx answering late
    assert m.path == "/m/b.onnx" and m.card["path"] == "/m/b.onnx"


def test_can_run_needs_model_target_and_no_run(state):
    assert not state.can_run
    state.model.begin("/m/a.onnx")
    state.model.set_card("/m/a.onnx", CARD)
    state.model.finish("/m/a.onnx")
    assert not state.can_run  # no target yet
    state.run_setup.set_targets(targets())
    assert state.can_run
    state.run.start(RunSpec("/m/a.onnx", "ort/cpu"))
    assert not state.can_run


def test_live_run_status_phase_records(state, rec):
    r = state.run
    for name in ("started", "phase_changed", "finished", "batch_finished", "saved", "changed"):
        rec.watch(name, getattr(r, name))
    spec = RunSpec("/m/a.onnx", "ort/cpu")
    r.start(spec, queued=1)
    assert r.status is RunStatus.RUNNING and r.busy and r.phase == "start" and r.queued == 1
    r.set_phase("compile")
    r.set_phase("compile")  # same phase: no event
    assert rec.of("phase_changed") == [("start",), ("compile",)]
    first = {"status": "completed"}
    r.finish(first)
    assert r.records == [first] and r.last_record is first and r.busy  # the next one is queued
    r.start(RunSpec("/m/a.onnx", "ov/cpu"))
    r.stop()
    assert r.status is RunStatus.STOPPING
    second = {"status": "cancelled"}
    r.finish(second)
    r.set_saved("/h/first.json", is_last=False)  # the first run's file, written late
    assert r.last_record_path is None
    r.set_saved("/h/second.json")
    assert r.last_record_path == "/h/second.json"
    r.end_batch([first, second])
    assert r.status is RunStatus.IDLE and not r.busy and r.phase == ""
    assert r.records == [first, second]
    assert rec.of("batch_finished") == [([first, second],)]
    assert rec.of("saved") == [("/h/first.json",), ("/h/second.json",)]
    r.set_phase("measure")  # idle: a stray phase is not a run
    assert r.phase == ""


def test_view_and_messages(state, rec):
    rec.watch("view", state.view_changed)
    rec.watch("error", state.error)
    rec.watch("status", state.status)
    state.show_view(View.HISTORY)
    state.show_view(View.HISTORY)
    state.show_view(2)
    assert state.view is View.COMPARISON
    assert rec.of("view") == [(View.HISTORY,), (View.COMPARISON,)]
    state.report_error("No model to run.", "Open one.")
    state.show_status("Ready", 3000)
    assert rec.of("error") == [("No model to run.", "Open one.")] and rec.of("status") == [("Ready", 3000)]
