"""Comparing throughput runs: speed-up by rate, the highest rate recommended, mixed modes flagged."""

from __future__ import annotations

import pytest

from app.common.modes import RunMode
from app.record.io import parse
from app.record.schema import SCHEMA, SCHEMA_VERSION, RunRecord
from app.report.comparison import comparability_warnings, compare_rows, recommendation_line


def _record(target: str, p50: float, rate: float, mode: RunMode, count: int = 500) -> RunRecord:
    """A record as a file holds it (through the same parser): same model and inputs for every run."""
    data = {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": "completed",
        "target": {"id": target}, "model": {"name": "m.onnx", "sha256": "ab"},
        "settings": {"target_id": target, "mode": mode.value},
        "inputs": [{"name": "x", "shape": [1, 4]}],
        "latency": {"count": count, "p50": p50, "p99": p50 * 2, "mean": p50, "throughput_per_s": rate},
        "placement": {"total_nodes": 5, "nodes_by_provider": {"CPU": 5}, "accelerator": "CPU",
                      "accelerator_nodes": 5, "accelerator_share": 1.0},
        "output_check": {"reference": "ort/cpu", "outputs": [{"name": "y", "ok": True, "max_abs_error": 0.0}]},
    }
    if mode is RunMode.THROUGHPUT:
        data["throughput"] = {"concurrency": "async_infer_queue", "requests": 4, "inferences": count,
                              "window_s": count / rate, "inferences_per_s": rate}
    return parse(data, f"{target}.json")


def test_throughput_runs_compare_by_rate_and_the_fastest_rate_is_recommended():
    # b has the lower rate but also the lower p50 under load: by p50 it would wrongly look faster
    runs = [_record("ov/cpu", 0.004, 1000.0, RunMode.THROUGHPUT), _record("ort/cpu", 0.002, 500.0, RunMode.THROUGHPUT),
            _record("ov/gpu", 0.008, 2500.0, RunMode.THROUGHPUT)]
    rows = compare_rows(runs, ["a", "b", "c"])
    assert [row.speedup_vs_baseline for row in rows] == [pytest.approx(1.0), pytest.approx(0.5), pytest.approx(2.5)]
    assert [row.cell("mode") for row in rows] == ["throughput, 4 in flight"] * 3
    line = recommendation_line(runs, ["a", "b", "c"])
    assert line.startswith("Recommended: ov/gpu (c), 2,500 inferences/s in throughput mode, 2.50x the rate of")
    assert comparability_warnings(runs, ["a", "b", "c"]) == []


def test_a_latency_run_against_a_throughput_run_compares_rates_and_is_flagged():
    runs = [_record("ov/cpu", 0.002, 500.0, RunMode.LATENCY), _record("ov/cpu", 0.003, 800.0, RunMode.THROUGHPUT)]
    rows = compare_rows(runs, ["lat", "thr"])
    assert rows[1].speedup_vs_baseline == pytest.approx(1.6)  # by p50 it would read 0.67x
    (warning,) = comparability_warnings(runs, ["lat", "thr"])
    assert "thr: measured in throughput mode, lat in latency mode" in warning
    # each mode is recommended among its own: a p50 under load never competes with one-at-a-time p50s
    faster_p50 = [runs[0], _record("ov/cpu", 0.001, 800.0, RunMode.THROUGHPUT)]
    assert recommendation_line(faster_p50, ["lat", "thr"]).startswith("Recommended: ov/cpu (lat), p50 2.000 ms")
    assert recommendation_line(faster_p50, ["lat", "thr"], baseline=1).startswith(
        "Recommended: ov/cpu (thr), 800 inferences/s in throughput mode - the baseline itself")


def test_latency_runs_still_compare_by_p50():
    runs = [_record("ov/cpu", 0.004, 250.0, RunMode.LATENCY), _record("ort/cpu", 0.002, 500.0, RunMode.LATENCY)]
    assert compare_rows(runs, ["a", "b"])[1].speedup_vs_baseline == pytest.approx(2.0)
    assert compare_rows(runs, ["a", "b"])[1].cell("mode") == "latency"


def test_too_few_inferences_get_no_rate_speed_up():
    runs = [_record("ov/cpu", 0.004, 1000.0, RunMode.THROUGHPUT),
            _record("ort/cpu", 0.002, 500.0, RunMode.THROUGHPUT, count=5)]
    row = compare_rows(runs, ["a", "b"])[1]
    assert row.speedup_vs_baseline is None and row.cell("speedup_vs_baseline") == "N/A (n=5)"
