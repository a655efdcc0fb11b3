"""A real batch sweep (ort/cpu and ov/cpu, batch=1,2,4,8) read back: figures, best points, CSV, charts, the file."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from app.common.errors import UserError
from app.record import sweep as sweep_io
from app.record.sweep import PointStatus, SweepRecord
from app.report import sweep as rep
from app.report.sweep_chart import chart_data, missing_notes, sweep_svg
from tests.sweep.conftest import ITERATIONS

SVG = "{http://www.w3.org/2000/svg}"


def test_every_point_ran_at_its_batch_on_its_target(batch_sweep):
    assert [(p.target_id, p.values) for p in batch_sweep.points] == [
        (t, [b]) for t in ("ort/cpu", "ov/cpu") for b in (1, 2, 4, 8)]
    for p in batch_sweep.points:
        assert p.status is PointStatus.COMPLETED, p.error
        assert p.run.target.id == p.target_id and p.run.latency.count == ITERATIONS
        assert p.run.inputs[0].shape == [p.values[0], 16]
    assert batch_sweep.settings.dims == {} and batch_sweep.settings.iterations == ITERATIONS  # the shared settings
    assert batch_sweep.model.sha256 and batch_sweep.model.name == "dynamic_mlp.onnx"


def test_figures_come_from_each_points_run(batch_sweep):
    figs = rep.all_figures(batch_sweep)
    assert rep.per_sample(figs)  # every point has a batch axis: throughput is per sample
    for f in figs:
        r = f.point.run
        assert f.p50_s == r.latency.p50 and f.batch == f.point.values[0]
        assert f.samples_per_s == pytest.approx(r.latency.throughput_per_s * f.batch)
        assert f.p99_s is None and f.p99_reason == f"too few inferences for a p99 ({ITERATIONS} < 100)"
        assert f.inferences_per_j is None and f.energy_reason  # no sampler in this sweep: N/A with the reason


def test_the_best_points_are_the_extremes_and_efficiency_says_why_it_is_missing(batch_sweep):
    best = {b.goal: b for b in rep.best_points(batch_sweep)}
    fastest = min(batch_sweep.points, key=lambda p: p.run.latency.p50)
    busiest = max(batch_sweep.points, key=lambda p: p.run.latency.throughput_per_s * p.values[0])
    assert best["latency"].point is fastest and best["throughput"].point is busiest
    assert best["efficiency"].point is None and best["efficiency"].reason.startswith("power is not measured")
    assert best["efficiency"].text(batch_sweep).startswith("best efficiency: N/A (power is not measured")
    assert best["latency"].text(batch_sweep).startswith(f"best latency: {fastest.target_id}, batch={fastest.values[0]}")


def test_a_point_below_the_comparable_count_is_never_best(batch_sweep):
    few = SweepRecord.from_json(batch_sweep.to_json())
    for p in few.points:  # the rule, on real records: fewer than 30 inferences cannot be ranked
        p.run.latency.count = 29
    assert all(b.point is None and "30 inferences or more" in b.reason for b in rep.best_points(few))


def test_the_table_and_csv_hold_one_row_per_point(batch_sweep):
    headers, rows = rep.table(batch_sweep)
    assert headers[:3] == ["target", "batch", "status"] and "samples/s" in headers and len(rows) == 8
    assert all(r[2] == "completed" and r[5] == f"N/A (n={ITERATIONS})" for r in rows)
    parsed = list(csv.DictReader(io.StringIO(rep.to_csv(batch_sweep))))
    assert len(parsed) == 8 and [r["target"] for r in parsed] == ["ort/cpu"] * 4 + ["ov/cpu"] * 4
    assert all(r["mj_per_inference"] == "" and r["energy_note"] for r in parsed)  # missing, with its reason


def test_csv_text_cannot_run_as_a_formula():
    assert rep._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and rep._cell("ort/cpu") == "ort/cpu"


def test_the_chart_has_one_line_per_target_and_gaps_instead_of_zeros(batch_sweep):
    data = chart_data(batch_sweep)
    assert data.x_label == "batch" and data.x_values == [1, 2, 4, 8]
    panels = {m.key: lines for m, lines in data.panels}
    assert [line.label for line in panels["p50"]] == ["ort/cpu", "ov/cpu"]
    assert all(v is not None for line in panels["p50"] + panels["throughput"] for v in line.values)
    assert all(v is None for line in panels["p99"] + panels["energy"] for v in line.values)
    notes = missing_notes(data)
    assert f"N/A in p99 (every line): batch=1,2,4,8: too few inferences for a p99 ({ITERATIONS} < 100)" in notes
    svg = ET.fromstring(sweep_svg(batch_sweep, theme="light"))
    assert len(list(svg.iter(f"{SVG}polyline"))) == 4  # 2 targets x (p50, throughput)
    assert len(list(svg.iter(f"{SVG}circle"))) == 16


def test_a_failed_point_is_a_gap_with_its_reason(batch_sweep):
    broken = SweepRecord.from_json(batch_sweep.to_json())
    p = broken.points[2]  # ort/cpu batch=4
    p.status, p.run = PointStatus.FAILED, None
    p.error = sweep_io.RunError("the runtime refused batch 4")
    data = chart_data(broken)
    line = dict((m.key, lines) for m, lines in data.panels)["p50"][0]
    assert line.values[2] is None and line.notes == ["batch=4: failed (the runtime refused batch 4)"]
    svg = ET.fromstring(sweep_svg(broken))
    # ort/cpu's lines stop at batch=4: batch 1-2 joined, batch 8 a dot alone; nothing drawn at 4
    polylines = list(svg.iter(f"{SVG}polyline"))
    assert [len(e.get("points").split()) for e in polylines] == [2, 4, 2, 4]
    assert len(list(svg.iter(f"{SVG}circle"))) == 14


def test_untrusted_names_are_escaped_in_the_svg(batch_sweep):
    hostile = SweepRecord.from_json(batch_sweep.to_json())
    hostile.model.name = "<script>alert(1)</script>\u202e.onnx"
    text = sweep_svg(hostile)
    assert "<script>" not in text and "\u202e" not in text
    ET.fromstring(text)


def test_the_record_round_trips_and_bad_files_are_one_line(batch_sweep, tmp_path):
    path = sweep_io.save(batch_sweep, tmp_path / "s.json")
    again = sweep_io.load(path)
    assert again.to_json() == batch_sweep.to_json()
    (tmp_path / "run.json").write_text(json.dumps({"schema": "aipcprof.run", "schema_version": 2}))
    with pytest.raises(UserError, match="not an AI PC Profiler sweep record"):
        sweep_io.load(tmp_path / "run.json")
    data = batch_sweep.to_json()
    data["points"][0]["values"] = ["one"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"invalid sweep record \(SweepRecord.points\[0\].values\[0\]: expected an "
                                        r"integer"):
        sweep_io.load(tmp_path / "bad.json")
    (tmp_path / "new.json").write_text(json.dumps({**data, "schema_version": 99}))
    with pytest.raises(UserError, match="sweep record version 99 is not one this tool reads"):
        sweep_io.load(tmp_path / "new.json")
