"""Perf per watt from recorded power readings, through the production probe, sampler and record code.

This machine has no readable RAPL; the recorded powercap tree of an Intel laptop
(tests/data/sysfs/intel_npu_laptop, 12.5 J between its two snapshots) stands in for it:
the real RAPL probe reads it, the real sampler keeps the series, the real RecordBuilder
takes the measured window's energy, and the summary, the HTML report and the comparison
show inferences per joule and the average power with what the power covers.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from app.common.modes import RunMode
from app.common.targets import Target
from app.probes.linux_rapl import RaplPowercapProbe
from app.probes.model import Probe
from app.probes.sampler import Sampler
from app.record import io as rec
from app.record.schema import InputInfo, Phase
from app.report import efficiency
from app.report.comparison import compare_rows, power_lines
from app.report.html import render_report
from app.report.text import format_run
from app.run.builder import RecordBuilder
from app.run.runspec import RunSpec

DATA = Path(__file__).resolve().parents[1] / "data" / "sysfs" / "intel_npu_laptop"
S = 1_000_000_000
T0 = 7 * S


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class _Replay(Probe):
    """Hands the sampler what the RAPL probe read, with the probe's own timestamps."""

    name = "replay"
    period_s = 10.0

    def __init__(self, samples) -> None:
        self.samples = samples

    def read(self):
        out, self.samples = self.samples, []
        return out


def _rapl_readings(tmp_path: Path) -> list:
    """The RAPL probe reading the laptop's powercap tree twice, 1 s apart."""
    root, clock = tmp_path / "root", _Clock()
    shutil.copytree(DATA / "snap0", root)
    probe = RaplPowercapProbe(root, clock=clock)
    samples = probe.read()
    shutil.copytree(DATA / "snap1", root, dirs_exist_ok=True)
    clock.now += S
    return samples + probe.read()


def _sampler(samples) -> Sampler:
    s = Sampler([_Replay(samples)], cpu_budget=None)
    s.start()
    deadline = time.monotonic() + 5
    while not s.series() and time.monotonic() < deadline:
        time.sleep(0.005)
    s.stop()
    return s


def _record(sampler, mode: RunMode = RunMode.THROUGHPUT, target: Target | None = None):
    """250 inferences measured over [T0, T0 + 1 s] (4 ms each, back to back), built by the real builder."""
    b = RecordBuilder(RunSpec(model_path="m.onnx", target_id=target.id if target else "ov/cpu", mode=mode), target)
    b.set_inputs([InputInfo(name="image", dtype="float32", shape=[1, 3, 8, 8])])
    b.phase(Phase.MEASURE, T0, T0 + S, {})
    starts = T0 + np.arange(250, dtype=np.int64) * 4_000_000
    b.add_latencies(starts, np.full(250, 4_000_000, np.int64))
    return b.finish(sampler)


def test_inferences_per_joule_and_average_power_with_what_they_cover(tmp_path):
    r = _record(_sampler(_rapl_readings(tmp_path)))
    e = r.energy
    assert e.available and e.covers == "CPU package (RAPL)" and e.method == "energy counter"
    assert e.energy_j == pytest.approx(12.5) and e.mean_power_w == pytest.approx(12.5)
    ppw = efficiency.perf_per_watt(r)
    assert ppw.inferences_per_joule == pytest.approx(20.0) and ppw.mean_power_w == pytest.approx(12.5)
    line = "perf per watt: 20.00 inferences/J, 12.5 W average over 1.0 s (CPU package (RAPL))"
    assert line in format_run(r)
    back = rec.load(rec.save(r, tmp_path / "run.json"))  # the file keeps it
    assert efficiency.perf_per_watt(back) == ppw


def test_the_comparison_and_the_report_show_it_with_its_label(tmp_path):
    measured = _record(_sampler(_rapl_readings(tmp_path)))
    unmeasured = _record(None)
    rows = compare_rows([measured, unmeasured], ["with RAPL", "no sampler"])
    assert rows[0].inferences_per_joule == pytest.approx(20.0) and rows[0].mean_power_w == pytest.approx(12.5)
    assert rows[0].power_covers == "CPU package (RAPL)" and rows[0].cell("inferences_per_joule") == "20.00/J"
    assert rows[1].inferences_per_joule is None and rows[1].cell("inferences_per_joule") == "N/A"
    assert rows[1].power_covers == "N/A: power was not sampled (no sampler attached to this run)"
    assert power_lines(rows) == [
        "perf per watt (with RAPL): 20.00 inferences/J at 12.5 W average, covers CPU package (RAPL)",
        "perf per watt (no sampler): N/A: power was not sampled (no sampler attached to this run)"]
    html = render_report([measured, unmeasured], ["with RAPL", "no sampler"])
    assert "20.00 inferences/J, 12.5 W average over 1.0 s (CPU package (RAPL))" in html
    assert "N/A (power was not sampled (no sampler attached to this run))" in html


def test_no_power_source_is_na_with_the_probes_reason(tmp_path):
    (tmp_path / "sys" / "class").mkdir(parents=True)  # no powercap zones: a VM, like this machine
    probe = RaplPowercapProbe(tmp_path, clock=_Clock())
    r = _record(_sampler(probe.read()))
    ppw = efficiency.perf_per_watt(r)
    assert not ppw.available and "no RAPL powercap zones" in ppw.reason
    assert f"energy, perf per watt: N/A ({ppw.reason})" in format_run(r)
    assert "perf per watt: 0" not in format_run(r)  # never a zero for a missing reading


def test_a_device_without_its_own_power_source_gets_the_whole_platforms_labelled_so(tmp_path):
    """The laptop's NPU has no power reading, its platform has (RAPL psys: 21 J in the 1 s window)."""
    npu = Target(id="ov/npu", engine="openvino", provider="NPU", device_type="NPU")
    r = _record(_sampler(_rapl_readings(tmp_path)), target=npu)
    e = r.energy
    assert e.available and e.device_type == "NPU" and e.covers == "whole platform (RAPL psys)"
    assert e.energy_j == pytest.approx(21.0) and "upper bound on what the NPU used" in e.note
    assert ("perf per watt: 11.90 inferences/J, 21.0 W average over 1.0 s (whole platform (RAPL psys))"
            in format_run(r))
