"""The --trace Chrome trace (app.report.chrome_trace) from recorded runtime profiles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.common.targets import Target
from app.engines.base import RawProfile
from app.record.schema import (
    PhaseTiming,
    RunRecord,
    TargetInfo,
    Telemetry,
    TelemetrySeries,
    TelemetryWindow,
)
from app.report.chrome_trace import LAYOUT_EP, LAYOUT_OV, build
from app.run.op_profile import from_raw
from tests.run.test_op_profile_parsers import ov_counts

DATA = Path(__file__).resolve().parents[1] / "data" / "op_profile"
QNN = Target(id="ort/qnn/htp-emulator", engine="onnxruntime", provider="QNNExecutionProvider", device_type="CPU",
             device_name="Hexagon HTP emulator on AMD EPYC", emulated=True)
OV = Target(id="ov/cpu", engine="openvino", provider="CPU", device_type="CPU")
T0 = 1_000_000_000  # perf_counter_ns of the first phase


def _record(profile, target: Target) -> RunRecord:
    r = RunRecord(target=TargetInfo(id=target.id), op_profile=profile)
    r.phases = {"load": PhaseTiming(0.01, T0, T0 + 10_000_000),
                "measure": PhaseTiming(0.02, T0 + 10_000_000, T0 + 30_000_000)}
    profile.t0_ns = T0 + 40_000_000
    r.telemetry = Telemetry(available=True, window=TelemetryWindow(T0 + 10_000_000, T0 + 30_000_000, 0.02),
                            series={"cpu/util": TelemetrySeries(device="cpu", metric="util", unit="%",
                                                                t_s=np.array([0.0, 0.01, 0.02]),
                                                                values=np.array([50.0, np.nan, 70.0]))})
    return r


def test_qnn_trace_has_ort_events_ep_rows_inside_partitions_and_counters():
    events = json.loads((DATA / "qnn_conv_net.trace.json").read_text())
    raw = RawProfile(engine="onnxruntime", trace_path=str(DATA / "qnn_conv_net.trace.json"),
                     ep_csv_path=str(DATA / "qnn_conv_net.csv"),
                     partitions=[[tuple(x) for x in p] for p in json.loads(
                         (DATA / "qnn_conv_net.partitions.json").read_text())])
    profile = from_raw(raw, QNN, 2, [])
    doc = build(_record(profile, QNN), events)
    out = doc["traceEvents"]
    json.dumps(doc, allow_nan=False)  # plain JSON, no NaN
    parts = [e for e in out if e.get("cat") == "Node" and "QNNExecutionProvider" in e["name"]]
    assert len(parts) == 5  # every profiled execution, warm-up included: it is a timeline
    first = min(parts, key=lambda e: e["ts"])
    assert first["ts"] == pytest.approx(40_000 + next(e["ts"] for e in events if e.get("cat") == "Node"))
    rows = [e for e in out if e.get("cat") == "EP op"]
    inside = [e for e in rows if first["ts"] <= e["ts"] < first["ts"] + first["dur"]]
    assert sum(e["dur"] for e in inside) == pytest.approx(first["dur"])
    assert all(e["args"]["layout"] == LAYOUT_EP for e in rows)
    counters = [e for e in out if e["ph"] == "C"]
    assert [e["args"]["util"] for e in counters] == [50.0, 70.0]  # the missing sample is left out, not 0
    assert [e["ts"] for e in counters] == [10_000, 30_000]
    assert {e["name"] for e in out if e.get("cat") == "phase"} == {"load", "measure"}
    assert any("emulator" in n for n in doc["otherData"]["notes"])


def test_openvino_trace_lays_out_one_inference_and_says_so():
    profile = from_raw(RawProfile(engine="openvino", perf_counts=ov_counts()), OV, 2, [0.002])
    out = build(_record(profile, OV), None)["traceEvents"]
    nodes = [e for e in out if e.get("cat") == "Node"]
    executed = [n for n in profile.top if n.time_s]
    assert [e["name"] for e in nodes] == [n.name for n in sorted(executed, key=lambda n: n.order)]
    assert all(e["args"]["layout"] == LAYOUT_OV for e in nodes)
    assert nodes[0]["ts"] == pytest.approx(40_000)
    assert nodes[1]["ts"] == pytest.approx(nodes[0]["ts"] + nodes[0]["dur"])


def test_record_without_profile_still_makes_a_trace():
    r = RunRecord(target=TargetInfo(id="ort/cpu"))
    assert build(r)["traceEvents"][0]["ph"] == "M"
