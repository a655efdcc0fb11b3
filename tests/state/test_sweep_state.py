"""SweepState without Qt: the Sweep tab's form becomes a checked plan, or one message naming the field."""

from __future__ import annotations

import pytest

from app.common.errors import UserError
from app.record.schema import RunMode
from app.record.sweep import AxisKind
from app.run.spec_builder import RunOptions
from app.state.sweep import SweepForm, SweepState, symbolic_dims
from tests import model_zoo


@pytest.fixture
def model(tmp_path):
    return str(model_zoo.save(model_zoo.dynamic_mlp(), tmp_path, "dynamic_mlp"))


def _state(**form) -> SweepState:
    st = SweepState()
    st.form = SweepForm(**{"dim": "batch", "targets": ["ort/cpu"], **form})
    return st


def test_the_form_becomes_a_plan_over_the_run_setup(model):
    plan = _state(dim_values="1,2,4,8", threads="1,2", targets=["ort/cpu", "ov/cpu"]).plan(
        model, RunOptions(iterations=7), {"ov/cpu": {"PERFORMANCE_HINT": "LATENCY"}})
    assert [a.kind for a in plan.axes] == [AxisKind.DIM, AxisKind.THREADS] and len(plan.points) == 16
    assert plan.specs[0].dims == {"batch": 1} and plan.specs[1].threads == 2 and plan.specs[0].iterations == 7
    assert plan.specs[8].ep_options == {"PERFORMANCE_HINT": "LATENCY"} and plan.specs[0].ep_options == {}
    from app.run.sweep import new_record

    shared = new_record(plan).settings  # what every point shares: not the swept values
    assert shared.dims == {} and shared.threads is None and shared.iterations == 7 and plan.specs[0].threads == 1


@pytest.mark.parametrize("form, options, message", [
    (dict(dim_values="0,2"), RunOptions(), "batch values 0,2: every value must be 1 or more."),
    (dict(dim_values="a"), RunOptions(), "batch values a: 'a' is not a whole number."),
    (dict(requests="2"), RunOptions(), "Requests values only apply in throughput mode."),
    (dict(requests="0"), RunOptions(mode=RunMode.THROUGHPUT), "Requests 0: every value must be 1 or more."),
    (dict(targets=[]), RunOptions(), "No target ticked for the sweep."),
    (dict(dim=""), RunOptions(), "Nothing to sweep."),
    (dict(dim_values=",".join(map(str, range(1, 300)))), RunOptions(),
     "the grid has 299 points (1 target(s) x 299 batch), over 256; each point is a whole run. Give fewer values."),
])
def test_a_bad_form_is_one_message(model, form, options, message):
    with pytest.raises(UserError) as info:
        _state(**form).plan(model, options)
    assert str(info.value).startswith(message)


def test_symbolic_dims_come_from_the_model_card():
    card = {"inputs": [{"name": "ids", "shape": ["batch", "seq"]}, {"name": "mask", "shape": ["batch", "seq", 4]}]}
    assert symbolic_dims(card) == ["batch", "seq"] and symbolic_dims(None) == []


def test_the_events_follow_a_sweep():
    from app.record.sweep import SweepPoint, SweepRecord

    st, seen = SweepState(), []
    for name in ("started", "point_started", "point_finished", "finished"):
        getattr(st, name).connect(lambda *_a, n=name: seen.append(n))
    record, point = SweepRecord(), SweepPoint(0, "ort/cpu", [1])
    st.begin(record)
    assert st.running
    st.start_point(point)
    assert st.current is point
    st.finish_point(point)
    st.finish(record)
    assert seen == ["started", "point_started", "point_finished", "finished"] and not st.running
    assert st.current is None
