"""record_section: telemetry summaries and energy per inference on synthetic series."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from app.probes.model import Probe, missing, reading
from app.probes.sampler import Sampler

S = 1_000_000_000
T0 = 50 * S  # an arbitrary perf_counter origin


class ReplayProbe(Probe):
    """Emits a prepared list of samples on its first read (timestamps are the samples' own)."""

    name = "replay"
    period_s = 10.0

    def __init__(self, samples):
        self.samples = samples

    def read(self):
        out, self.samples = self.samples, []
        return out


def _sampler(samples) -> Sampler:
    s = Sampler([ReplayProbe(samples)], cpu_budget=None)
    s.start()
    for _ in range(200):  # the replay is read at the first tick
        if s.series():
            break
        time.sleep(0.005)
    s.stop()
    return s


def _constant(device, metric, unit, value_at, *, kind="CPU", scope="CPU package (RAPL)", start=-0.5, end=2.5):
    ts = np.arange(start, end + 1e-9, 0.1)
    return [reading(device, metric, value_at(t), unit, "test", t_ns=T0 + int(round(t * S)), kind=kind, scope=scope)
            for t in ts]


def test_constant_10_w_for_2_s_over_100_inferences_is_0_2_j_each():
    s = _sampler(_constant("cpu", "power", "W", lambda t: 10.0))
    telemetry, energy = s.record_section(T0, T0 + 2 * S, 100, "CPU")
    assert energy["available"] is True
    assert energy["method"] == "power integral"
    assert energy["energy_j"] == pytest.approx(20.0)
    assert energy["joules_per_inference"] == pytest.approx(0.2)
    assert energy["inferences_per_joule"] == pytest.approx(5.0)
    assert energy["covers"] == "CPU package (RAPL)" and energy["source"] == "test"
    summary = telemetry["series"]["cpu/power"]["summary"]
    assert summary["time_weighted_mean"] == pytest.approx(10.0) and summary["max"] == 10.0
    json.dumps(telemetry, allow_nan=False)
    json.dumps(energy, allow_nan=False)


def test_energy_counter_is_preferred_over_power():
    samples = _constant("cpu", "energy", "J", lambda t: 10.0 * (t + 0.5))  # a counter rising at 10 W
    samples += _constant("cpu", "power", "W", lambda t: 25.0)  # a disagreeing power series
    _, energy = _sampler(samples).record_section(T0, T0 + 2 * S, 100, "cpu")
    assert energy["method"] == "energy counter"
    assert energy["joules_per_inference"] == pytest.approx(0.2)
    assert energy["series"] == ["cpu/energy"]


def test_energy_counter_interpolates_between_reads():
    samples = _constant("pci:0000:01:00.0", "energy", "J", lambda t: 30.0 * (t + 0.5), kind="GPU",
                        scope="GPU board (NVML)")
    _, energy = _sampler(samples).record_section(T0 + S // 20, T0 + S + S // 20, 60, "GPU")  # off-grid window
    assert energy["energy_j"] == pytest.approx(30.0)
    assert energy["covers"] == "GPU board (NVML)"


def test_two_cpu_packages_add_up_and_partial_coverage_is_flagged():
    samples = _constant("cpu", "power", "W", lambda t: 10.0)
    samples += _constant("cpu:pkg1", "power", "W", lambda t: 6.0, start=1.0)  # started late
    _, energy = _sampler(samples).record_section(T0, T0 + 2 * S, 64, "CPU")
    assert energy["energy_j"] == pytest.approx(32.0)
    assert energy["coverage"] == pytest.approx(0.5)
    assert "extrapolated" in energy["note"]


def test_no_source_for_the_device_type_says_why():
    samples = _constant("cpu", "power", "W", lambda t: 10.0)
    samples.append(missing("pci:0000:00:0b.0", "power", "W", "unsupported", "no NPU power source", "test",
                           t_ns=T0 + S, kind="NPU"))
    _, energy = _sampler(samples).record_section(T0, T0 + 2 * S, 100, "NPU")
    assert energy["available"] is False and "no NPU power source" in energy["reason"]
    _, gpu = _sampler(samples).record_section(T0, T0 + 2 * S, 100, "GPU")
    assert gpu["available"] is False and "GPU" in gpu["reason"]


def test_telemetry_series_are_downsampled_with_nulls_for_missing():
    samples = _constant("cpu", "util", "%", lambda t: 50.0 if abs(t - 1.0) > 0.01 else 99.0, start=0.0, end=2.0)
    samples[5] = missing("cpu", "util", "%", "error", "read failed", "test", t_ns=samples[5].t_ns, kind="CPU")
    telemetry, _ = _sampler(samples).record_section(T0, T0 + 2 * S, 1, "CPU", max_points=5)
    entry = telemetry["series"]["cpu/util"]
    assert entry["stride"] == 5 and len(entry["values"]) == 5
    assert max(v for v in entry["values"] if v is not None) == 99.0  # the spike survives
    assert entry["unit"] == "%" and entry["status"] == "ok"
    assert entry["t_s"][0] == 0.0
    assert telemetry["window"]["duration_s"] == pytest.approx(2.0)


def test_zero_inferences_gives_no_per_inference_number():
    _, energy = _sampler(_constant("cpu", "power", "W", lambda t: 10.0)).record_section(T0, T0 + S, 0, "CPU")
    assert energy["joules_per_inference"] is None and energy["energy_j"] == pytest.approx(10.0)
    assert not math.isnan(energy["mean_power_w"])


def test_nvml_average_power_is_the_last_resort():
    samples = _constant("pci:0000:01:00.0", "power_avg", "W", lambda t: 40.0, kind="GPU", scope="GPU board (NVML)")
    samples.append(missing("pci:0000:01:00.0", "energy", "J", "unsupported", "not supported", "test",
                           t_ns=T0, kind="GPU"))
    _, energy = _sampler(samples).record_section(T0, T0 + S, 80, "GPU")
    assert energy["available"] and energy["joules_per_inference"] == pytest.approx(0.5)
    assert "1 s average" in energy["method"]
