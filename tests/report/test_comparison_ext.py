"""Differences, recommendation, output-check state, energy keys, CSV columns."""

from __future__ import annotations

import csv
import io

import pytest

from app.record import io as rec
from app.record.schema import Energy, PowerInfo, RunRecord, TargetInfo
from app.report.comparison import (
    COLUMNS,
    CheckState,
    comparability_warnings,
    compare_rows,
    differences,
    differing_keys,
    energy_per_inference,
    output_check_state,
    recommendation,
    recommendation_line,
    to_csv,
)
from tests.report.conftest import record_json


def test_output_check_states(record_factory):
    assert output_check_state(record_factory(ok=True)) == "passed"
    assert output_check_state(record_factory(ok=False)) == "failed"
    assert output_check_state(record_factory("ort/cpu", ok=None)) == "reference"
    assert output_check_state(record_factory("ov/npu", ok=None)) == "skipped"
    assert output_check_state(RunRecord(TargetInfo("ov/npu"), output_check=None)) == "not run"
    assert output_check_state(record_factory(ok=True)) is CheckState.PASSED  # an enum that reads as its word


def test_energy_reads_both_key_spellings(record_factory):
    # Version-1 readers also took "j_per_inference"; loading a version-1 record keeps that value.
    v1 = {**record_json(), "schema_version": 1, "energy": {"available": True, "j_per_inference": 0.002}}
    assert energy_per_inference(rec.parse(v1, "v1.json")) == 0.002  # j_per_inference (probes)
    r = record_factory()
    r.energy = Energy(available=True, joules_per_inference=0.003)  # docs/run-record.md
    assert energy_per_inference(r) == 0.003
    r.energy = Energy(available=False, joules_per_inference=0.003)
    assert energy_per_inference(r) is None
    rows = compare_rows([record_factory(energy_j=0.002)], ["a"])
    assert rows[0].energy_mj_per_inference == pytest.approx(2.0)


def test_differences_name_settings_versions_and_host(record_factory):
    a, b, c = record_factory("ort/cpu"), record_factory("ov/npu"), record_factory("ort/qnn/npu")
    b.settings.threads = 4
    b.settings.ep_options = {"htp_performance_mode": "burst"}
    c.versions["onnxruntime"] = "1.24.0"
    c.host.hostname = "laptop"
    c.host.power = PowerInfo(source="battery", battery_percent=35)
    diffs = {(d.section, d.key): d.values for d in differences([a, b, c])}
    assert diffs[("settings", "threads")] == [None, 4, None]
    assert diffs[("settings", "ep_options.htp_performance_mode")] == [None, "burst", None]
    assert diffs[("versions", "onnxruntime")] == ["1.23.0", "1.23.0", "1.24.0"]
    assert diffs[("host", "power.source")] == ["AC", "AC", "battery"]
    assert ("settings", "target_id") not in diffs  # the target column already says it
    assert ("host", "power.battery_percent") not in diffs  # changes run to run
    keys = differing_keys([a, b, c])
    assert keys["settings"] == {"threads", "ep_options.htp_performance_mode"}
    assert keys["host"] == {"hostname", "power.source"} and keys["versions"] == {"onnxruntime"}
    assert differences([a, record_factory("ov/cpu")]) == []


def test_recommendation_picks_fastest_trustworthy_run(record_factory):
    recs = [
        record_factory("ort/cpu", 0.010, ok=None),  # the reference: trusted
        record_factory("ort/qnn/npu", 0.001, ok=False),  # fastest, but wrong outputs
        record_factory("ort/openvino/npu", 0.002, share=0.0),  # nothing ran on the NPU
        record_factory("ov/gpu", 0.0015, sha="other"),  # a different model
        record_factory("ort/dml/gpu0", 0.0018, status="cancelled"),
        record_factory("ov/npu", 0.004),  # the one to pick
        record_factory("ort/vitisai/npu", 0.003, share=None),  # placement unknown
    ]
    names = [f"run{i}" for i in range(len(recs))]
    best = recommendation(recs, names, baseline=0)
    assert best.index == 5 and best.target == "ov/npu"
    assert best.speedup_vs_baseline == pytest.approx(2.5)
    line = recommendation_line(recs, names, 0)
    assert line.startswith("Recommended: ov/npu (run5)") and "2.50x faster than the baseline ort/cpu" in line


def test_recommendation_when_baseline_wins_or_nothing_qualifies(record_factory):
    recs = [record_factory("ort/cpu", 0.001, ok=None), record_factory("ov/npu", 0.004)]
    assert "the baseline itself" in recommendation_line(recs, ["a", "b"], 0)
    assert "1.00x" not in recommendation_line(recs, ["a", "b"], 0)
    slow_line = recommendation_line([record_factory("ov/npu", 0.001, ok=False), record_factory("ov/cpu", 0.004)],
                                    ["a", "b"], 0)
    assert "4.00x slower than the baseline ov/npu" in slow_line
    none = [record_factory("ov/npu", 0.001, ok=False), record_factory("ov/gpu", 0.002, share=0.0)]
    assert recommendation(none, ["a", "b"]) is None
    assert recommendation_line(none, ["a", "b"]).startswith("No recommendation")


def test_comparability_warnings_default_and_chosen_baseline(record_factory):
    recs = [record_factory("ort/cpu"), record_factory("ov/cpu", sha="zzz"), record_factory("ov/npu")]
    default = comparability_warnings(recs, ["a", "b", "c"])
    assert default == comparability_warnings(recs, ["a", "b", "c"], 0)
    assert default == ["b: a different model from a (sha256 differs)."]
    flipped = comparability_warnings(recs, ["a", "b", "c"], baseline=1)
    assert "a: a different model from b (sha256 differs)." in flipped
    assert "c: a different model from b (sha256 differs)." in flipped


def test_csv_columns_and_missing_cells(record_factory):
    rows = compare_rows([record_factory("ort/cpu", ok=None), record_factory("ov/npu", energy_j=0.001)], ["a", "b"])
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(parsed[0].keys()) == COLUMNS
    assert "output_check" in COLUMNS and COLUMNS[-6:] == ("energy_mj_per_inference", "mode", "requests",
                                                          "inferences_per_joule", "mean_power_w", "power_covers")
    assert parsed[0]["output_check"] == "reference" and parsed[1]["output_check"] == "passed"
    assert parsed[0]["energy_mj_per_inference"] == "" and float(parsed[1]["energy_mj_per_inference"]) == 1.0
    assert float(parsed[1]["speedup_vs_baseline"]) == pytest.approx(1.0)
