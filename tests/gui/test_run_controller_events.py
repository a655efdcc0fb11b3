"""RunController turns typed run events into live data, progress and signals (no worker, no window)."""

from __future__ import annotations

import numpy as np

from app.common.errors import ErrorKind
from app.record.schema import Phase
from app.run.runner import RunFailed, RunLatencies, RunPhaseEnded, RunPhaseStarted
from app.run.runspec import RunSpec
from app.views.run_controller import _PHASE_NAMES, RunController


class _Running:
    """Stands in for the ProfileRun in flight (progress() only asks whether one exists)."""


def test_events_feed_live_data_progress_and_errors(qtbot):
    c = RunController(history=None)
    c.run, c.spec = _Running(), RunSpec(model_path="m.onnx", target_id="ort/cpu", iterations=10)
    c.live.reset(0)
    assert c.progress()[0].startswith("Starting worker")
    c._on_run_event(RunPhaseStarted(Phase.COMPILE, 1_000_000))
    assert c.phase is Phase.COMPILE and c.progress()[0].startswith("Compiling")
    c._on_run_event(RunPhaseEnded(Phase.COMPILE, 1_000_000, 2_000_000))
    c._on_run_event(RunPhaseStarted(Phase.MEASURE, 3_000_000))
    c._on_run_event(RunLatencies(np.arange(5, dtype=np.int64) * 1_000_000 + 3_000_000,
                                 np.full(5, 800_000, dtype=np.int64)))
    assert c.live.count == 5 and c.progress() == ("Measuring… 5 / 10", 50)
    assert [(s.name, s.t1 is None) for s in c.live.phases] == [(Phase.COMPILE, False), (Phase.MEASURE, True)]
    with qtbot.waitSignal(c.error_raised) as blocker:
        c._on_run_event(RunFailed("the worker died.", "", ErrorKind.WORKER_CRASHED, Phase.MEASURE))
    message, hint, kind = blocker.args
    assert (message, hint) == ("the worker died.", "") and kind is ErrorKind.WORKER_CRASHED
    c.run = None
    c.shutdown()


def test_every_phase_has_a_progress_name():
    assert set(_PHASE_NAMES) == set(Phase)
