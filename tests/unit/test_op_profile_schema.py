"""The op_profile record section and its aggregation helpers (app.record.op_schema, app.record.ops)."""

from __future__ import annotations

import json
import math

import pytest

from app.record import ops
from app.record.io import dumps, parse
from app.record.ops import OpBy
from app.record.schema import (
    EpCounter,
    OpNodeTime,
    OpProfile,
    OpSource,
    OpStatus,
    RunRecord,
    TargetInfo,
)
from app.record.typed import RecordFormatError


def _node(name, op_type, total_s, calls=2, device="CPU", provider="CPUExecutionProvider", **kw):
    return OpNodeTime(name=name, op_type=op_type, device=device, provider=provider, calls=calls, total_s=total_s, **kw)


def _profile(**kw) -> OpProfile:
    """Two profiled runs: conv0 6 ms + conv1 2 ms + relu 1.5 ms + a 0.5 ms NPU partition with two QNN rows."""
    nodes = [
        _node("conv0", "Conv", 0.012), _node("conv1", "Conv", 0.004), _node("relu", "Relu", 0.003),
        _node("QNN_0", "QNNExecutionProvider_QNN_0", 0.001, device="NPU", provider="QNNExecutionProvider",
              status=OpStatus.PARTITION, members=["mm", "add"]),
        _node("mm", "MatMul", 0.00075, device="NPU", provider="QNNExecutionProvider", partition="QNN_0", cycles=3000.0),
        _node("add", "Add", 0.00025, device="NPU", provider="QNNExecutionProvider", partition="QNN_0", cycles=1000.0),
        _node("folded", "Constant", None, calls=0, status=OpStatus.NOT_RUN),
    ]
    kw = {"runs_profiled": 2, **kw}
    return OpProfile(available=True, source=OpSource.ORT_TRACE, sources=[OpSource.ORT_TRACE, OpSource.QNN_CSV],
                     engine="onnxruntime", nodes=nodes, **kw)


def test_complete_fills_per_inference_times_shares_totals_and_gap():
    p = ops.complete(_profile(inference_s=0.0125))
    top = {n.name: n for n in p.top}
    assert top["conv0"].time_s == pytest.approx(0.006)
    assert top["conv0"].mean_s == pytest.approx(0.006)  # 2 calls over 2 runs
    assert p.sum_of_ops_s == pytest.approx(0.010)  # 6 + 2 + 1.5 + 0.5 ms; the partition's rows are not added again
    assert top["conv0"].share == pytest.approx(0.6)
    assert p.gap_s == pytest.approx(0.0025) and p.gap_share == pytest.approx(0.2)
    assert [n.name for n in p.nodes][:4] == ["conv0", "conv1", "relu", "QNN_0"]
    assert [n.name for n in p.nodes[-2:]] == ["mm", "add"]  # partition rows after every top-level node
    inside = {n.name: n for n in p.inside("QNN_0")}
    assert inside["mm"].share == pytest.approx(0.75)  # of the partition, on the EP's clock
    assert top["folded"].time_s is None and top["folded"].share is None  # not run: no time, not 0


def test_totals_by_type_and_device():
    p = ops.complete(_profile())
    by_type = {g.key: g for g in p.by_type}
    assert list(by_type) == ["Conv", "Relu", "QNNExecutionProvider_QNN_0"]  # slowest first, Constant not run
    assert by_type["Conv"].nodes == 2 and by_type["Conv"].calls == 4
    assert by_type["Conv"].time_s == pytest.approx(0.008) and by_type["Conv"].share == pytest.approx(0.8)
    by_device = {g.key: g for g in p.by_device}
    assert by_device["CPU (CPUExecutionProvider)"].share == pytest.approx(0.95)
    assert by_device["NPU (QNNExecutionProvider)"].time_s == pytest.approx(0.0005)
    assert math.fsum(g.share for g in p.by_type) == pytest.approx(1.0)


def test_rows_by_node_type_device_and_top():
    p = ops.complete(_profile())
    assert [r.key for r in ops.rows(p, OpBy.NODE, top=2)] == ["conv0", "conv1"]
    with_inner = ops.rows(p, OpBy.NODE, with_partitions=True)
    assert [r.key for r in with_inner][3:6] == ["QNN_0", "mm", "add"]
    assert with_inner[4].partition == "QNN_0"
    assert [r.key for r in ops.rows(p, OpBy.NODE, top=4, with_partitions=True)] == [
        "conv0", "conv1", "relu", "QNN_0", "mm", "add"]
    conv = ops.rows(p, OpBy.TYPE, top=1)[0]
    assert (conv.key, conv.nodes, conv.device) == ("Conv", 2, "CPU (CPUExecutionProvider)")
    dev = ops.rows(p, OpBy.DEVICE)
    assert dev[0].key == "CPU (CPUExecutionProvider)" and dev[0].op_type == "Constant, Conv, Relu"
    assert [n.name for n in ops.nodes_of(p, OpBy.TYPE, "Conv")] == ["conv0", "conv1"]


def test_gap_unknown_without_a_measured_time():
    p = ops.complete(_profile())
    assert p.inference_s is None and p.gap_s is None and p.gap_share is None


def test_no_runs_means_no_times_not_zero():
    p = ops.complete(_profile(runs_profiled=0))
    assert all(n.time_s is None for n in p.nodes) and p.sum_of_ops_s is None
    assert all(g.time_s is None and g.share is None for g in p.by_type)


def test_partition_rows_need_their_partition_node():
    p = OpProfile(available=True, runs_profiled=1, nodes=[_node("mm", "MatMul", 0.1, partition="missing")])
    with pytest.raises(ValueError, match="missing"):
        ops.complete(p)


def test_type_changes_largest_first_with_ratio():
    a = ops.complete(_profile())
    b_nodes = [_node("conv0", "Conv", 0.002), _node("relu", "Relu", 0.003), _node("gelu", "Gelu", 0.001)]
    b = ops.complete(OpProfile(available=True, runs_profiled=2, nodes=b_nodes))
    changes = ops.type_changes(a, b)
    assert changes[0].op_type == "Conv"
    assert changes[0].a_s == pytest.approx(0.008) and changes[0].b_s == pytest.approx(0.001)
    assert changes[0].ratio == pytest.approx(8.0)
    only_b = next(c for c in changes if c.op_type == "Gelu")
    assert only_b.a_s is None and only_b.ratio is None
    assert len(ops.type_changes(a, b, top=2)) == 2


def test_round_trip_through_the_record_file():
    p = ops.complete(_profile(inference_s=0.0125, notes=["absolute times are HTP emulator times"]))
    p.ep_counters = [EpCounter("accelerator execute time", 0.0009, "s", partition="QNN_0")]
    r = RunRecord(target=TargetInfo(id="ort/qnn/htp-emulator"), op_profile=p)
    back = parse(json.loads(dumps(r)), "run.json").op_profile
    assert back == p
    assert back.sources == [OpSource.ORT_TRACE, OpSource.QNN_CSV]
    assert next(n for n in back.nodes if n.name == "folded").status is OpStatus.NOT_RUN


def test_record_without_profile_has_no_key():
    r = RunRecord(target=TargetInfo(id="ort/cpu"))
    assert "op_profile" not in r.to_json()


def test_bad_status_names_its_key_path():
    data = _profile().to_json()
    data["nodes"][0]["status"] = "sleeping"
    with pytest.raises(RecordFormatError, match=r"op_profile\.nodes\[0\]\.status"):
        OpProfile.from_json(data, "op_profile")


def test_group_by_node_is_a_mistake():
    with pytest.raises(ValueError):
        ops.group([], OpBy.NODE)


def test_inside_by_type_and_broken_down():
    p = ops.complete(_profile())
    assert [n.name for n in ops.broken_down(p)] == ["QNN_0"]
    groups = ops.inside_by_type(p, "QNN_0")
    assert [(g.key, g.share) for g in groups] == [("MatMul", pytest.approx(0.75)), ("Add", pytest.approx(0.25))]
    assert p.inside("QNN_0")[0].partition == "QNN_0"  # the profile's own rows are untouched
