"""Run records with operator profiles parsed from the files recorded from the real runtimes
(tests/data/op_profile/, scripts/record_op_profiles.py), through the production parser (app.run.op_profile).

For the views and reports: the profile is what `aipcprof run --op-profile` would have recorded for that
trace; the rest of the record is a real v1 record from tests/data/records/.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.common.targets import Target
from app.engines.base import PerfCount, RawProfile
from app.record import io as rec
from app.record import ops
from app.record.schema import OpProfile, RunRecord
from app.run.op_profile import from_raw

DATA = Path(__file__).resolve().parent / "data"
OPS = DATA / "op_profile"
RECORDS = DATA / "records" / "v1"
CPU = Target(id="ort/cpu", engine="onnxruntime", provider="CPUExecutionProvider", device_type="CPU")
QNN = Target(id="ort/qnn/htp-emulator", engine="onnxruntime", provider="QNNExecutionProvider", device_type="CPU",
             device_name="Hexagon HTP emulator on AMD EPYC", emulated=True)
OV = Target(id="ov/cpu", engine="openvino", provider="CPU", device_type="CPU")


def _ort(name: str, target: Target, csv: bool = False) -> OpProfile:
    parts = OPS / f"{name}.partitions.json"
    partitions = [[tuple(x) for x in p] for p in json.loads(parts.read_text())] if parts.exists() else []
    raw = RawProfile(engine="onnxruntime", trace_path=str(OPS / f"{name}.trace.json"),
                     ep_csv_path=str(OPS / f"{name}.csv") if csv else None, partitions=partitions)
    return from_raw(raw, target, 2, [])


def profile(kind: str) -> OpProfile:
    """'ort_cpu' (conv_net on the CPU EP), 'qnn' (conv_net on the HTP emulator: one fused partition with the
    QNN CSV's per-op rows), 'qnn_two' (two QNN partitions around a CPU node), 'ov_cpu' (OpenVINO CPU)."""
    if kind == "ort_cpu":
        return _ort("ort_cpu_conv_net", CPU)
    if kind == "qnn":
        return _ort("qnn_conv_net", QNN, csv=True)
    if kind == "qnn_two":
        return _ort("qnn_two_partitions", QNN, csv=True)
    if kind == "ov_cpu":
        runs = [[PerfCount(**c) for c in run] for run in json.loads((OPS / "ov_cpu_sample.counts.json").read_text())]
        return from_raw(RawProfile(engine="openvino", perf_counts=runs), OV, 2, [0.001, 0.001, 0.001])
    raise ValueError(kind)


def record(kind: str | None, target_id: str = "ort/cpu", inference_s: float | None = None) -> RunRecord:
    """A real completed record (tests/data/records/v1) carrying the operator profile `kind` (None: none).

    The record's own latency is not the profiled model's: the gap is left unknown unless `inference_s` is given.
    """
    r = rec.load(RECORDS / "completed_ort_cpu.json")
    r.target.id = target_id
    if kind is not None:
        r.op_profile = profile(kind)
        ops.set_gap(r.op_profile, inference_s)
    return r
