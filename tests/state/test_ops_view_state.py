"""OpsViewState (the Operators tab without Qt) on profiles parsed from the recorded runtime files."""

from __future__ import annotations

import math

import pytest

from app.record import ops
from app.record.ops import OpBy
from app.record.schema import OpNodeTime, OpProfile, OpSource, OpStatus
from app.report.ops_bars import chart_bars
from app.state.ops_view import NOT_ASKED, OpsViewState, unavailable_message
from tests.op_records import record
from tests.state.conftest import Recorder


def test_a_run_without_a_profile_says_why_and_has_no_rows():
    st = OpsViewState()
    assert "after a run with Operator profile" in st.message and st.rows() == [] and st.bars() == []
    st.set_record(record(None))
    assert st.message == NOT_ASKED and st.profile is None
    assert st.rows() == [] and st.sections() == [] and st.header_lines() == []


def test_an_unavailable_profile_shows_the_records_reason():
    r = record(None)
    r.op_profile = OpProfile(available=False, reason="the OpenVINO EP plugin gives no per-op data")
    assert unavailable_message(r) == "Operator profile unavailable: the OpenVINO EP plugin gives no per-op data."
    r.op_profile = OpProfile(available=True, reason="the trace had no Node events")
    assert unavailable_message(r) == "The runtime reported no operator for this run (the trace had no Node events)."


def test_by_node_and_by_type_rows_come_from_the_profile():
    st = OpsViewState()
    events = Recorder()
    events.watch("changed", st.changed)
    st.set_record(record("ort_cpu"))
    p = st.profile
    assert st.message == "" and p is not None
    assert [r.key for r in st.rows()] == [n.name for n in p.top]  # slowest first, every node
    st.set_by(OpBy.TYPE)
    assert [(r.key, r.time_s) for r in st.rows()] == [(g.key, g.time_s) for g in p.by_type]
    assert events.names() == ["changed", "changed"]
    st.set_by(OpBy.TYPE)  # no change, no event
    assert len(events.calls) == 2
    with pytest.raises(ValueError):
        st.set_by(OpBy.DEVICE)


def test_clicking_an_op_type_lists_its_nodes():
    st = OpsViewState()
    st.set_record(record("ort_cpu"))
    st.set_by(OpBy.TYPE)
    st.select_type("Conv")
    conv = [n for n in st.profile.top if n.op_type == "Conv"]
    assert st.selected_type == "Conv" and len(conv) == 3
    assert [r.key for r in st.type_nodes()] == [n.name for n in conv]
    assert math.fsum(r.time_s for r in st.type_nodes()) == pytest.approx(
        next(g.time_s for g in st.profile.by_type if g.key == "Conv"))
    st.select_type("NoSuchType")  # a type the profile lacks: nothing selected
    assert st.selected_type is None and st.type_nodes() == []
    st.select_type("Conv")
    st.set_record(record("ov_cpu"))  # another run: the selection goes
    assert st.selected_type is None


def test_partition_rows_follow_their_node_and_get_a_chart_section():
    st = OpsViewState()
    st.set_record(record("qnn", "ort/qnn/htp-emulator"))
    p = st.profile
    (fused,) = p.top
    assert fused.status is OpStatus.PARTITION
    rows = st.rows()
    assert rows[0].key == fused.name and {r.partition for r in rows[1:]} == {fused.name}
    main, inside = st.sections()
    assert [b.label for b in main.bars] == [fused.name]
    inner = [n for n in p.inside(fused.name) if n.time_s is not None]
    assert inside.partition == fused.name and [b.label for b in inside.bars] == [n.name for n in inner[:8]]
    assert all(b.parts[0].device == "Hexagon HTP emulator" for b in inside.bars)
    assert any("share of the accelerator cycles" in line for line in st.header_lines())  # the EP's note, shown


def test_fused_and_not_run_nodes_are_listed_but_never_drawn_as_bars():
    st = OpsViewState()
    st.set_record(record("ov_cpu", "ov/cpu"))
    p = st.profile
    untimed = [n for n in p.top if n.time_s is None]
    assert untimed and {n.status for n in untimed} <= {OpStatus.FUSED, OpStatus.NOT_RUN, OpStatus.OPTIMIZED_OUT}
    assert st.untimed() == len(untimed)
    assert {r.key for r in st.rows()} >= {n.name for n in untimed}  # in the table, with their status
    assert not {b.label for b in st.bars(100)} & {n.name for n in untimed}
    assert all(b.time_s > 0 for b in st.bars(100))


def test_an_op_type_bar_is_split_by_the_device_its_nodes_ran_on():
    nodes = [OpNodeTime(name="mm_cpu", op_type="MatMul", provider="CPUExecutionProvider", device="CPU", calls=2,
                        total_s=0.004),
             OpNodeTime(name="mm_npu", op_type="MatMul", provider="QNNExecutionProvider", device="NPU", calls=2,
                        total_s=0.002)]
    p = ops.complete(OpProfile(available=True, source=OpSource.ORT_TRACE, runs_profiled=2, nodes=nodes))
    (bar,) = chart_bars(p, OpBy.TYPE)
    assert bar.time_s == pytest.approx(0.003)
    assert [(x.device, x.key, x.time_s) for x in bar.parts] == [
        ("CPU", "CPU (CPUExecutionProvider)", pytest.approx(0.002)),
        ("NPU", "NPU (QNNExecutionProvider)", pytest.approx(0.001))]


def test_header_lines_state_the_source_the_runs_and_the_gap():
    st = OpsViewState()
    st.set_record(record("ort_cpu", inference_s=0.002))
    p = st.profile
    first, gap, *_ = st.header_lines()
    assert first.startswith(f"ort-trace: {p.runs_profiled} inferences profiled after {p.warmup_dropped} dropped")
    assert "measured p50 2.000 ms" in gap
    st.set_record(record("ort_cpu"))  # no measured p50 to compare with: said, not invented
    assert "no measured p50 to compare with" in st.header_lines()[1]
