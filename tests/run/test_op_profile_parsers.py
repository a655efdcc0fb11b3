"""The operator-profile parsers on files recorded from the real runtimes (tests/data/op_profile/).

scripts/record_op_profiles.py recorded them here: ONNX Runtime 1.32 CPU EP,
onnxruntime-qnn 2.7 on the HTP emulator, OpenVINO 2026.4 on CPU; each with 2
dropped + 3 kept inferences.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from app.common.targets import Target
from app.engines.base import PerfCount, RawProfile
from app.record.schema import OpSource, OpStatus
from app.run import op_openvino, op_ort, op_qnn
from app.run.op_profile import from_raw

DATA = Path(__file__).resolve().parents[1] / "data" / "op_profile"
CPU = Target(id="ort/cpu", engine="onnxruntime", provider="CPUExecutionProvider", device_type="CPU")
QNN = Target(id="ort/qnn/htp-emulator", engine="onnxruntime", provider="QNNExecutionProvider", device_type="CPU",
             device_name="Hexagon HTP emulator on AMD EPYC", emulated=True)
OV = Target(id="ov/cpu", engine="openvino", provider="CPU", device_type="CPU")


def ov_counts() -> list[list[PerfCount]]:
    return [[PerfCount(**c) for c in run] for run in json.loads((DATA / "ov_cpu_sample.counts.json").read_text())]


def _events(name: str) -> list[dict]:
    return json.loads((DATA / f"{name}.trace.json").read_text())


def _kept_kernels(events: list[dict], drop: int) -> list[dict]:
    """The fixture's own answer, worked out here without the parser: kernel events after the dropped runs."""
    runs = sorted((e["ts"], e["dur"]) for e in events if e.get("name") == "model_run")
    cut = runs[drop - 1][0] + runs[drop - 1][1]
    return [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= cut]


def _ort_raw(name: str, csv: str | None = None) -> RawProfile:
    parts = DATA / f"{name}.partitions.json"
    partitions = [[tuple(x) for x in p] for p in json.loads(parts.read_text())] if parts.exists() else []
    return RawProfile(engine="onnxruntime", trace_path=str(DATA / f"{name}.trace.json"), ep_csv_path=csv,
                      partitions=partitions)


def test_ort_cpu_trace_per_node_totals_match_the_file():
    p = from_raw(_ort_raw("ort_cpu_conv_net"), CPU, 2, [])
    kept = _kept_kernels(_events("ort_cpu_conv_net"), 2)
    assert p.available and p.source is OpSource.ORT_TRACE and p.runs_profiled == 3 and p.warmup_dropped == 2
    assert len(p.top) == len({e["name"] for e in kept}) == 7  # ORT fused each Conv with its Relu (NCHWc)
    for node in p.top:
        mine = [e for e in kept if e["name"] == node.name + "_kernel_time"]
        assert node.calls == 3 == len(mine)
        assert node.total_s == pytest.approx(sum(e["dur"] for e in mine) * 1e-6)
        assert node.time_s == pytest.approx(node.total_s / 3)
        assert node.op_type == mine[0]["args"]["op_name"] and node.device == "CPU"
        assert node.peak_memory_bytes == max(int(e["args"]["mem_in_use_peak"]) for e in mine)
        assert node.output_bytes == int(mine[0]["args"]["output_size"])
    assert p.sum_of_ops_s == pytest.approx(sum(e["dur"] for e in kept) * 1e-6 / 3)
    assert math.fsum(n.share for n in p.top) == pytest.approx(1.0)
    assert {g.key for g in p.by_type} == {e["args"]["op_name"] for e in kept}
    assert next(g for g in p.by_type if g.key == "Conv").nodes == 3
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in _events("ort_cpu_conv_net") if e.get("name") == "model_run")
    per_run = [sum(e["dur"] for e in kept if a <= e["ts"] < b) * 1e-6 for a, b in runs[2:]]
    assert p.sum_of_ops_p50_s == pytest.approx(statistics.median(per_run))
    assert p.profiled_inference_s == pytest.approx(statistics.fmean(b - a for a, b in runs[2:]) * 1e-6)


def test_ort_control_flow_subgraph_nodes_sit_inside_their_if_and_loop():
    p = from_raw(_ort_raw("ort_cpu_control_flow"), CPU, 2, [])
    top = {n.name: n for n in p.top}
    assert set(top) == {"if", "loop"}
    inner = {n.name: n for n in p.nodes if n.partition}
    assert inner["Add_1"].partition == inner["Identity_0"].partition == "loop"
    assert inner["Add_1"].calls == 9  # 3 trips x 3 inferences
    assert inner["Add_0"].partition == "if"
    # the If and Loop spans already include their subgraphs: counted once
    assert p.sum_of_ops_s == pytest.approx((top["if"].total_s + top["loop"].total_s) / 3)


def test_qnn_partition_broken_down_from_the_ep_csv():
    p = from_raw(_ort_raw("qnn_conv_net", str(DATA / "qnn_conv_net.csv")), QNN, 2, [])
    (part,) = p.top
    assert part.status is OpStatus.PARTITION and part.provider == "QNNExecutionProvider"
    assert part.device == "Hexagon HTP emulator"
    assert p.sources == [OpSource.ORT_TRACE, OpSource.QNN_CSV] and not p.reason
    partitions = json.loads((DATA / "qnn_conv_net.partitions.json").read_text())
    assert part.members == [name for name, _ in partitions[0]]
    inside = {n.name: n for n in p.inside(part.name)}
    assert {"relu0", "conv0_token_1", "fc", "Input", "Output"} <= set(inside)
    assert inside["fc"].op_type == "Gemm" and inside["Input"].op_type == "(input)"
    assert inside["conv0_token_1"].cycles == 0  # QNN reports the fused Conv's work on its Relu
    blocks = op_qnn.parse_csv((DATA / "qnn_conv_net.csv").read_text())[2:]
    accel = statistics.fmean(b.counters[op_qnn.ACCEL_TIME][0] for b in blocks)
    assert math.fsum(n.time_s for n in inside.values()) == pytest.approx(accel)
    assert inside["relu0"].cycles == pytest.approx(statistics.fmean(
        next(o.cycles for o in b.ops if o.name == "relu0") for b in blocks))
    counters = {c.name: c for c in p.ep_counters}
    assert counters["Accelerator (execute) time"].value == pytest.approx(accel)
    assert counters["Time for HVX + HMX power on and acquire"].unit == "s"
    assert any("emulator" in n for n in p.notes) and any("0 cycles" in n for n in p.notes)


def test_qnn_two_partitions_get_their_own_ops():
    p = from_raw(_ort_raw("qnn_two_partitions", str(DATA / "qnn_two_partitions.csv")), QNN, 2, [])
    parts = [n for n in p.top if n.status is OpStatus.PARTITION]
    assert len(parts) == 2
    by_members = {tuple(n.members): n for n in parts}
    assert set(by_members) == {("mm0", "relu0"), ("mm1", "relu1")}
    for members, node in by_members.items():
        assert set(members) <= {m.name for m in p.inside(node.name)}
    sinh = next(n for n in p.top if n.name == "sinh")
    assert sinh.device == "CPU" and sinh.status is OpStatus.EXECUTED
    assert {g.key for g in p.by_device} == {"CPU (CPUExecutionProvider)",
                                           "Hexagon HTP emulator (QNNExecutionProvider)"}


def test_qnn_csv_that_does_not_match_the_runs_is_said_not_guessed(tmp_path):
    text = (DATA / "qnn_two_partitions.csv").read_text().splitlines()
    cut = max(i for i, line in enumerate(text) if ",EXECUTE," in line)
    short = tmp_path / "short.csv"
    short.write_text("\n".join(text[:cut]) + "\n")  # the last graph execution is gone
    p = from_raw(_ort_raw("qnn_two_partitions", str(short)), QNN, 2, [])
    assert "could not be matched" in p.reason and "report as one node each" in p.reason
    assert OpSource.QNN_CSV not in p.sources and not [n for n in p.nodes if n.partition]
    assert sorted(tuple(n.members) for n in p.top if n.status is OpStatus.PARTITION) == [
        ("mm0", "relu0"), ("mm1", "relu1")]  # members still from ORT's assignment


def test_openvino_counts_kernels_precisions_fused_and_not_run():
    runs = ov_counts()
    p = from_raw(RawProfile(engine="openvino", perf_counts=runs), OV, 2, [0.001, 0.002, 0.003])
    assert p.source is OpSource.OPENVINO_PERF_COUNTS and p.runs_profiled == 3
    nodes = {n.name: n for n in p.top}
    relu = nodes["stage0/relu"]
    assert relu.status is OpStatus.FUSED and relu.time_s is None and relu.exec_type == "undef"
    assert nodes["image"].status is OpStatus.NOT_RUN and nodes["image"].time_s is None
    conv = nodes["stage0/conv/WithoutBiases"]
    assert conv.exec_type == next(i.exec_type for i in runs[2] if i.node_name == conv.name)
    assert conv.precision == op_openvino.precision_of(conv.exec_type) != ""
    # OpenVINO reports running means: after inference k, the mean of inferences 1..k
    def mean_after(k: int, name: str) -> float:
        return next(i.real_time_s for i in runs[k - 1] if i.node_name == name)

    assert conv.calls == 3
    assert conv.total_s == pytest.approx(5 * mean_after(5, conv.name) - 2 * mean_after(2, conv.name))
    for n in (n for n in p.top if n.calls):  # each kept inference's time, undone from the running means
        per_run = [k * mean_after(k, n.name) - (k - 1) * mean_after(k - 1, n.name) for k in (3, 4, 5)]
        assert n.total_s == pytest.approx(sum(per_run), abs=3e-6)  # the means are rounded to 1 us
    executed = [i.node_name for i in runs[-1] if i.status == "EXECUTED"]
    assert p.sum_of_ops_s == pytest.approx(sum(5 * mean_after(5, n) - 2 * mean_after(2, n) for n in executed) / 3)
    assert p.sum_of_ops_p50_s is None and any("running mean" in n for n in p.notes)
    assert p.profiled_inference_s == pytest.approx(0.002)
    assert "Relu" not in {g.key for g in p.by_type}  # fused: its time is in the Convolution


def test_openvino_nodes_named_by_the_model_nodes_they_came_from():
    originals = json.loads((DATA / "ov_cpu_sample.originals.json").read_text())
    raw = RawProfile(engine="openvino", perf_counts=ov_counts(), originals=originals)
    p = from_raw(raw, OV, 2, [], str(Path(__file__).resolve().parents[2] / "resources" / "sample_model.onnx"))
    nodes = {n.name: n for n in p.top}
    conv = nodes["stage0/conv/WithoutBiases"]  # 'stage0/conv' + the suffix OpenVINO added, and the fused Relu
    assert (conv.op_type, conv.model_op_type, conv.members) == ("Convolution", "Conv", ["stage0/conv", "stage0/relu"])
    fc = nodes["logits"]  # named after the Gemm's output tensor
    assert (fc.model_op_type, fc.members) == ("Gemm", ["head/fc"])
    reorder = next(n for n in p.top if n.op_type == "Reorder")  # OpenVINO's own: no model node, no type guessed
    assert reorder.members == [] and reorder.model_op_type == ""
    assert nodes["head/flatten"].model_op_type == "Flatten"


@pytest.mark.parametrize(("exec_type", "precision"), [("brgconv_avx512_bf16", "bf16"), ("jit_avx512_FP32", "f32"),
                                                      ("ref_any_I8", "i8"), ("undef", ""), ("gemm_f16", "f16")])
def test_precision_from_exec_type(exec_type, precision):
    assert op_openvino.precision_of(exec_type) == precision


def test_no_profiler_is_unavailable_with_a_reason():
    p = from_raw(None, CPU, 2, [])
    assert not p.available and "gives no per-operator data" in p.reason and p.nodes == []


def test_bad_files_are_errors_naming_the_problem(tmp_path):
    with pytest.raises(op_ort.TraceError, match="not JSON"):
        op_ort.load_events("{oops", "t.json")
    with pytest.raises(op_ort.TraceError, match="not a Chrome trace"):
        op_ort.load_events('{"a": 1}', "t.json")
    with pytest.raises(op_ort.TraceError, match="holds 5 inferences; 5 were to be dropped"):
        op_ort.parse_trace(_events("ort_cpu_conv_net"), 5, lambda p: "CPU")
    with pytest.raises(op_qnn.QnnCsvError, match="no column"):
        op_qnn.parse_csv("a,b\n1,2\n")
    with pytest.raises(op_openvino.PerfCountError, match="unknown status"):
        op_openvino.parse_counts([[PerfCount("x", "Add", "jit_f32", "MAYBE", 0.0, 0.0)]], 0, "CPU")
    with pytest.raises(op_openvino.PerfCountError, match="not a duration"):
        op_openvino.parse_counts([[PerfCount("x", "Add", "jit_f32", "EXECUTED", math.nan, 0.0)]], 0, "CPU")


def test_qnn_op_names():
    assert op_qnn.op_name("relu0:OpId_26 (cycles)") == "relu0"
    assert op_qnn.op_name("Input OpId_2 (cycles)") == "Input"
    assert op_qnn.op_name("a:b:OpId_3 (us)") == "a:b"
