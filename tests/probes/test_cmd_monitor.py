"""`aipcprof monitor`: formatting, N/A (reason) for missing values, JSON lines, option checks."""

from __future__ import annotations

import argparse
import io
import json
import re

import pytest

from app.cli import cmd_monitor
from app.common.errors import UserError
from app.probes.model import missing, reading


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cmd_monitor.add_arguments(parser)
    return parser.parse_args(list(argv))


class FakeSampler:
    def __init__(self, samples):
        self.samples = samples
        self.started = self.stopped = False

    def start(self):
        self.started = True

    def stop(self):
        self.stopped = True

    def drain(self):
        out, self.samples = self.samples, []
        return out


SAMPLES = [
    reading("cpu", "util", 12.34, "%", "psutil", t_ns=1, kind="CPU"),
    reading("cpu", "util_core0", 80.0, "%", "psutil", t_ns=1, kind="CPU"),
    reading("cpu", "util_core1", 20.0, "%", "psutil", t_ns=1, kind="CPU"),
    reading("cpu", "freq", 2.45e9, "Hz", "psutil", t_ns=1, kind="CPU"),
    missing("cpu", "power", "W", "unsupported", "no RAPL powercap zones", "powercap", t_ns=1, kind="CPU"),
    missing("pci:0000:00:0b.0", "util", "%", "not_ready", "first reading", "intel_vpu", t_ns=1, kind="NPU"),
]


def test_table_shows_na_with_reason_and_never_zero_for_missing():
    out = io.StringIO()
    rc = cmd_monitor.run(_args("--interval", "0.05", "--duration", "0.05"), sampler=FakeSampler(list(SAMPLES)), out=out)
    text = out.getvalue()
    assert rc == 0
    assert "cpu/power" in text and "N/A (unsupported: no RAPL powercap zones)" in text
    assert "N/A (not_ready: first reading)" in text
    assert "12.3 %" in text and "2.45 GHz" in text
    assert re.search(r"cpu/util_cores +max 80\.0 % \(core 0\), mean 50\.0 % over 2", text)
    assert "util_core0" not in text
    power_line = next(line for line in text.splitlines() if "cpu/power" in line)
    assert " 0" not in power_line.replace("0000", "")
    assert "\x1b[" not in text  # not a terminal: no redraw codes


def test_json_lines():
    out = io.StringIO()
    sampler = FakeSampler(list(SAMPLES))
    cmd_monitor.run(_args("--interval", "0.04", "--duration", "0.1", "--json"), sampler=sampler, out=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) >= 2
    first = json.loads(lines[0])
    assert first["readings"]["cpu/power"]["value"] is None
    assert first["readings"]["cpu/power"]["status"] == "unsupported"
    assert first["readings"]["cpu/util"]["value"] == pytest.approx(12.34)
    assert sampler.started and sampler.stopped


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_invalid_interval_is_a_user_error_naming_the_option(value):
    with pytest.raises(UserError) as err:
        cmd_monitor.run(_args("--interval", value), sampler=FakeSampler([]))
    assert "--interval" in str(err.value) and "\n" not in str(err.value)


def test_negative_duration_is_a_user_error():
    with pytest.raises(UserError, match="--duration"):
        cmd_monitor.run(_args("--duration", "-2"), sampler=FakeSampler([]))


def test_real_sampler_short_run():
    out = io.StringIO()
    assert cmd_monitor.run(_args("--interval", "0.2", "--duration", "0.45"), out=out) == 0
    text = out.getvalue()
    assert text.count("aipcprof monitor") >= 2 and "cpu/util" in text


def test_format_value_units():
    assert cmd_monitor.format_value(3 << 30, "bytes") == "3.0 GiB"
    assert cmd_monitor.format_value(800e6, "Hz") == "800 MHz"
    assert cmd_monitor.format_value(45.25, "degC") == "45.2 °C"
    assert cmd_monitor.format_value(12500.0, "J") == "12.50 kJ"
    assert cmd_monitor.format_value(1.0, "bool") == "yes"
