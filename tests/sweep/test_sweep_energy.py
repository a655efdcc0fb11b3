"""Energy and efficiency in a sweep, from recorded power readings through the production probe, sampler and builder.

This machine has no readable RAPL, so a point's energy comes the way tests/throughput/test_perf_per_watt.py
gets it: the real RAPL probe reads the recorded powercap tree of an Intel laptop (12.5 J over 1 s), the
real sampler keeps it, the real RecordBuilder takes the measured window's energy. The sweep then names
the most efficient point from those records and charts energy per inference; a point without power is
a gap with its reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.record.schema import RunStatus
from app.record.sweep import AxisKind, PointStatus, SweepAxis, SweepPoint, SweepRecord
from app.report import sweep as rep
from app.report.sweep_chart import chart_data, missing_notes, sweep_svg
from tests.throughput.test_perf_per_watt import _rapl_readings, _record, _sampler


def _sweep(tmp_path) -> SweepRecord:
    measured = _record(_sampler(_rapl_readings(tmp_path)))  # 250 inferences in 1 s, 12.5 J: 20 per joule
    unmeasured = _record(None)  # no sampler: no power
    axis = SweepAxis(AxisKind.REQUESTS, "requests", [1, 2])
    points = [SweepPoint(0, "ov/cpu", [1], PointStatus.COMPLETED, run=unmeasured),
              SweepPoint(1, "ov/cpu", [2], PointStatus.COMPLETED, run=measured)]
    return SweepRecord(status=RunStatus.COMPLETED, targets=["ov/cpu"], axes=[axis], points=points)


def test_the_most_efficient_point_is_named_from_its_energy(tmp_path):
    record = _sweep(tmp_path)
    best = {b.goal: b for b in rep.best_points(record)}
    assert best["efficiency"].point is record.points[1]
    assert best["efficiency"].text(record) == "best efficiency: ov/cpu, requests=2 (20.00 samples/J)"
    figs = rep.all_figures(record)
    assert figs[1].j_per_inference == pytest.approx(0.05) and figs[1].power_covers == "CPU package (RAPL)"
    assert figs[0].inferences_per_j is None and "no sampler attached" in figs[0].energy_reason
    headers, rows = rep.table(record)
    assert rows[1][headers.index("energy/inference")] == "50.000 mJ"
    assert rows[1][headers.index("power")] == "12.5 W (CPU package (RAPL))" and rows[0][headers.index("power")] == "N/A"


def test_energy_is_charted_where_measured_and_a_gap_with_its_reason_elsewhere(tmp_path):
    record = _sweep(tmp_path)
    data = chart_data(record)
    energy = dict((m.key, lines) for m, lines in data.panels)["energy"]
    assert energy[0].values == [None, pytest.approx(50.0)]
    assert any(n.startswith("N/A in energy (ov/cpu): requests=1: power was not sampled") for n in missing_notes(data))
    svg = ET.fromstring(sweep_svg(record))
    assert any((t.text or "").startswith("energy per inference (mJ)") for t in svg.iter("{http://www.w3.org/2000/svg}text"))
