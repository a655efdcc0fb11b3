"""app.common.fmt: one formatter per quantity, base units in, N/A for anything missing."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.common import fmt
from app.common.fmt import (
    NA,
    PENDING,
    fmt_bytes,
    fmt_change,
    fmt_cosine,
    fmt_error,
    fmt_metric,
    fmt_mj,
    fmt_ms,
    fmt_num,
    fmt_rate,
    fmt_s,
    fmt_share,
    fmt_si,
    fmt_speedup,
    fmt_value,
    number,
)

NUMERIC = [fmt_ms, fmt_s, fmt_rate, fmt_si, fmt_bytes, fmt_share, fmt_change, fmt_speedup, fmt_error, fmt_cosine,
           fmt_mj, fmt_num, lambda v, **k: fmt_metric(v, "W", **k)]
MISSING = [None, math.nan, math.inf, -math.inf, np.nan, np.float32("nan"), True, "12", [1.0]]


@pytest.mark.parametrize("value", MISSING, ids=repr)
@pytest.mark.parametrize("f", NUMERIC)
def test_missing_is_na_never_zero(f, value):
    assert f(value) == NA
    assert f(value, na=PENDING) == PENDING


def test_number():
    assert number(3) == 3.0 and number(np.float64(0.5)) == 0.5 and number(np.int64(7)) == 7.0
    assert all(number(v) is None for v in MISSING)


def test_ms_takes_seconds():
    assert fmt_ms(0.0012345) == "1.234 ms"
    assert fmt_ms(0.0123) == "12.3 ms"
    assert fmt_ms(0) == "0.000 ms"
    assert fmt_ms(1.5) == "1500.0 ms"
    assert fmt_ms(np.float64(0.004)) == "4.000 ms"


def test_ms_unit_boundaries():
    assert fmt_ms(0.0099994) == "9.999 ms"
    assert fmt_ms(0.0099996) == "10.0 ms"  # would read "10.000 ms" with three decimals
    assert fmt_ms(0.010) == "10.0 ms"


def test_ms_compact_for_tiles():
    assert fmt_ms(123e-6, compact=True) == "123 \u00b5s"
    assert fmt_ms(0.9994e-3, compact=True) == "999 \u00b5s"
    assert fmt_ms(0.9996e-3, compact=True) == "1.00 ms"  # not "1000 µs"
    assert fmt_ms(0.0123, compact=True) == "12.30 ms"
    assert fmt_ms(0.099996, compact=True) == "100 ms"  # not "100.00 ms"
    assert fmt_ms(0.250, compact=True) == "250 ms"
    assert fmt_ms(None, compact=True, na=PENDING) == PENDING


def test_rate():
    assert fmt_rate(1.69) == "1.7/s"
    assert fmt_rate(99.94) == "99.9/s"
    assert fmt_rate(99.96) == "100/s"
    assert fmt_rate(810.45) == "810/s"
    assert fmt_rate(12345.6) == "12,346/s"
    assert fmt_rate(0) == "0.0/s"
    assert fmt_rate(810.45, unit=" inferences/s") == "810 inferences/s"


def test_si():
    assert fmt_si(184_270_000) == "184.27M"
    assert fmt_si(184_270_000, sep=" ") == "184.27 M"
    assert fmt_si(4_720_000) == "4.72M"
    assert fmt_si(999) == "999" and fmt_si(42, sep=" ") == "42 "
    assert fmt_si(999_999) == "1.00M"  # not "1000.00K"
    assert fmt_si(999.996) == "999.996" and fmt_si(999.9999) == "1.00K"  # ":g" would print "1000"
    assert fmt_si(1e12) == "1.00T" and fmt_si(2.5e15) == "2500.00T"
    assert fmt_si(-2_000) == "-2.00K"
    assert fmt_si(0) == "0"


def test_bytes():
    assert fmt_bytes(0) == "0 B" and fmt_bytes(1023) == "1023 B"
    assert fmt_bytes(1024) == "1.0 KiB" and fmt_bytes(1536) == "1.5 KiB"
    assert fmt_bytes(2**20 - 1) == "1.0 MiB"  # not "1024.0 KiB"
    assert fmt_bytes(2**34) == "16.0 GiB"
    assert fmt_bytes(3 * 2**40) == "3.0 TiB"


def test_share_never_rounds_a_partial_share_to_all_or_nothing():
    assert fmt_share(0.0) == "0%" and fmt_share(1.0) == "100%" and fmt_share(0.5) == "50%"
    assert fmt_share(0.994) == "99%"
    assert fmt_share(0.999) == ">99%"  # one node on the CPU out of 1000 is not "100%"
    assert fmt_share(0.004) == "<1%"  # one node on the NPU out of 1000 is not "0%"
    assert fmt_share(0.006) == "1%"


def test_ratios_errors_energy():
    assert fmt_speedup(4) == "4.00x" and fmt_speedup(0.25, times="\u00d7") == "0.25\u00d7"
    assert fmt_change(0.3) == "+30.0%" and fmt_change(-0.05) == "-5.0%"
    assert fmt_error(0.000123456) == "0.000123" and fmt_error(1.0) == "1"
    assert fmt_cosine(0.9999994) == "0.999999" and fmt_cosine(1) == "1.000000"
    assert fmt_mj(0.0005) == "0.500 mJ" and fmt_mj(0.002) == "2.000 mJ" and fmt_mj(0) == "0.000 mJ"
    assert fmt_mj(2e-7) == "0.0002 mJ"  # not "0.000 mJ"
    assert fmt_s(12.34) == "12.3 s"


def test_num_and_metric():
    assert fmt_num(0) == "0" and fmt_num(0.1234) == "0.123" and fmt_num(99.4) == "99.4"
    assert fmt_num(99.6) == "100" and fmt_num(1234.5) == "1,234"
    assert fmt_metric(2.4e9, "Hz") == "2400 MHz"
    assert fmt_metric(3 * 2**20, "bytes") == "3 MiB"
    assert fmt_metric(51.25, "degC") == "51.25 \u00b0C"
    assert fmt_metric(12.345678, "W") == "12.35 W"
    assert fmt_metric(5, "") == "5"


def test_value():
    assert fmt_value(None) == NA and fmt_value(math.nan) == NA and fmt_value(None, na=PENDING) == PENDING
    assert fmt_value(0.1) == "0.1" and fmt_value(600.0) == "600" and fmt_value(2) == "2"
    assert fmt_value({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert fmt_value("<b>") == "<b>"  # escaping is the HTML writer's job
    from app.record.schema import RunStatus

    assert fmt_value(RunStatus.COMPLETED) == "completed"


def test_stdlib_only():
    """app.common is imported by every layer: fmt pulls in nothing from app or third parties."""
    code = ("import sys\nbefore = set(sys.modules)\nimport app.common.fmt\n"
            "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
            "assert new <= {'app'} | set(sys.stdlib_module_names), new\n"
            "assert not [m for m in sys.modules if m.startswith('app.') and not m.startswith('app.common')]\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert fmt.__doc__
