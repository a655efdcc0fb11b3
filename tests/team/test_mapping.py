"""A record as an MLflow run (app.team.mapping): figures, what is missing, the bounded latency series."""

from __future__ import annotations

import numpy as np
import pytest

from app.record.schema import RunStatus
from app.team import mapping as mp
from tests.report.conftest import make_record


def test_a_long_series_is_bounded_to_peaks_of_buckets():
    r = make_record(n=5000)
    r.latency.samples = np.arange(5000, dtype=float) * 1e-6  # 0, 1, 2 ... us
    r.latency.samples[1234] = 1.0  # one spike of 1 s
    points, note = mp.latency_series(r)
    assert len(points) == mp.MAX_SERIES_POINTS
    assert [p.step for p in points[:3]] == [0, 5, 10]
    assert points[1].value == pytest.approx(9e-3)  # max of samples 5..9 (us) in ms
    assert max(p.value for p in points) == pytest.approx(1000.0) and points[246].step == 1230  # the spike kept
    assert "max of each 5 consecutive inferences" in note and "1,000 points for 5,000" in note


def test_a_strided_record_counts_inferences_in_steps():
    r = make_record(n=300)
    r.latency.samples_stride = 4  # each stored sample is already the max of 4 inferences
    points, note = mp.latency_series(r)
    assert len(points) == 300 and points[2].step == 8
    assert "max of each 4" in note


def test_short_series_is_every_inference_and_missing_figures_are_not_logged():
    r = make_record(n=50)
    data = mp.to_mlflow(r, "id1", "f" * 64, "name")
    keys = {p.key for p in data.metrics}
    assert "energy_mj_per_inference" not in keys and "accuracy" not in keys
    assert data.tags["aipcprof.missing"].startswith("energy: no power source")
    assert data.tags["aipcprof.latency_series"] == "every inference (50 points)"
    assert data.experiment == "m.onnx" and data.tags[mp.TAG_MODEL_SHA] == "abc"
    assert data.params["host"] == "pc" and data.params["settings.iterations"] == "50"


def test_energy_and_status_and_odd_option_names():
    r = make_record(energy_j=0.004, status="failed")
    r.settings.ep_options = {"weird key<>|": "v"}
    data = mp.to_mlflow(r, "id1", "f" * 64, "name")
    metrics = {p.key: p.value for p in data.metrics if p.step == 0 and p.key != "latency_ms"}
    assert metrics["energy_mj_per_inference"] == pytest.approx(4.0)
    assert data.tags["status"] == RunStatus.FAILED.value and "aipcprof.partial" in data.tags
    assert "settings.ep_options.weird key___" in data.params


def test_an_eval_logs_its_headline_accuracy_and_a_missing_one_says_why():
    from app.record.accuracy_schema import Accuracy, ClassificationMetrics, Task

    r = make_record()
    r.accuracy = Accuracy(task=Task.CLASSIFICATION, classification=ClassificationMetrics(samples=100, top1=0.93))
    metrics = {p.key: p.value for p in mp.to_mlflow(r, "i", "f", "n").metrics}
    assert metrics["accuracy"] == pytest.approx(0.93)
    r.accuracy = Accuracy(task=Task.CLASSIFICATION, classification=ClassificationMetrics(samples=0, top1=None))
    data = mp.to_mlflow(r, "i", "f", "n")
    assert "accuracy" not in {p.key for p in data.metrics} and "accuracy: top-1 not scored" in data.tags[
        "aipcprof.missing"]
