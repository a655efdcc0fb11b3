import csv
import io

import numpy as np
import pytest

from app.common.errors import UserError
from app.record.io import parse
from app.record.schema import SCHEMA, SCHEMA_VERSION, RunRecord
from app.report.comparison import comparability_warnings, compare_rows, format_table, to_csv
from app.run.output_check import compare_arrays


def _record(target, p50, sha="abc", shape=(1, 4), share=1.0, status="completed") -> RunRecord:
    """A partial record (only what a comparison reads), through the same parser as a file."""
    return parse({
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "status": status,
        "model": {"name": "m.onnx", "sha256": sha},
        "target": {"id": target},
        "host": {"hostname": "pc"},
        "inputs": [{"name": "x", "shape": list(shape)}],
        # 200 inferences: enough for a p99 and a speed-up (app.report.facts); the statistics are what matters here
        "latency": {"count": 200, "p50": p50, "p99": p50 * 2, "throughput_per_s": 1 / p50},
        "placement": {"accelerator_share": share},
        "output_check": {"outputs": [{"name": "y", "max_abs_error": 0.01, "cosine_similarity": 0.999}]},
        "energy": {"available": False, "reason": "none"},
    }, f"{target}.json")


def test_speedup_vs_chosen_baseline():
    recs = [_record("ort/cpu", 0.004), _record("ort/qnn/npu", 0.001)]
    rows = compare_rows(recs, ["a", "b"], baseline=0)
    assert rows[0].speedup_vs_baseline == pytest.approx(1.0)
    assert rows[1].speedup_vs_baseline == pytest.approx(4.0)
    rows = compare_rows(recs, ["a", "b"], baseline=1)
    assert rows[0].speedup_vs_baseline == pytest.approx(0.25)
    table = format_table(rows)
    assert "4.00x" not in table and "0.25x" in table
    assert rows[0].energy_mj_per_inference is None


def test_bad_baseline_index():
    with pytest.raises(UserError, match="--baseline 5"):
        compare_rows([_record("ort/cpu", 0.001)], ["a"], baseline=5)


def test_different_models_and_shapes_are_flagged():
    recs = [_record("ort/cpu", 0.004), _record("ov/cpu", 0.003, sha="zzz", shape=(2, 4), status="cancelled")]
    w = comparability_warnings(recs, ["a", "b"])
    assert any("different model" in x for x in w)
    assert any("different input shapes" in x for x in w)
    assert any("cancelled" in x for x in w)
    assert comparability_warnings([recs[0], _record("ov/cpu", 0.002)], ["a", "c"]) == []


def test_csv_has_header_and_empty_cells_for_missing():
    text = to_csv(compare_rows([_record("ort/cpu", 0.002)], ["a"]))
    header, _ = text.strip().splitlines()
    assert header.startswith("run,model,target")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["energy_mj_per_inference"] == row["inferences_per_joule"] == ""  # missing -> empty cell, not 0
    assert row["power_covers"].startswith("N/A: ")  # and why


def test_compare_arrays_detects_wrong_output():
    ref = np.linspace(-1, 1, 100).astype(np.float32)
    ok = compare_arrays("y", ref + 1e-4, ref)
    assert ok["ok"] and ok["max_abs_error"] == pytest.approx(1e-4, rel=1e-2)
    bad = compare_arrays("y", -ref, ref)
    assert not bad["ok"] and bad["cosine_similarity"] == pytest.approx(-1.0)
    shape = compare_arrays("y", ref[:10], ref)
    assert not shape["ok"] and "shape" in shape["problem"]
    nan = compare_arrays("y", np.where(ref > 0.5, np.nan, ref), ref)
    assert not nan["ok"] and nan["nonfinite_mismatch"] > 0
