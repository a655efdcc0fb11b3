"""Numbers as text: one function per quantity, shared by the CLI, the reports and the desktop app.

Rules, the same for every function here:

* the quantity comes in its base unit: seconds (shown as ms), joules (shown
  as mJ), bytes, events per second, a 0-1 share, a ratio;
* missing is `NA` ("N/A"), never 0: None, NaN, +-infinity, booleans and
  anything that is not a number. `na=` lets a live view show its own
  placeholder (`PENDING`, a dash) for a value not known yet;
* a value that rounds up to the next unit is shown in that unit
  (0.9999995 KiB of bytes is "1.0 KiB", not "1024 B").

Stdlib only: app.common is imported by every layer, the headless ones included.
"""

from __future__ import annotations

import enum
import json
import math
from numbers import Real

NA = "N/A"
PENDING = "\u2014"  # an em dash: a live value not known yet (KPI tiles, an empty history cell)
TIMES = "x"  # speed-up suffix in plain text; the desktop app passes "\u00d7"


def number(value: object) -> float | None:
    """`value` as a finite float, or None when it is missing (None, NaN, inf, a bool, not a number)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _rounds_below(value: float, digits: int, limit: float) -> bool:
    """True when |value| shown with `digits` decimals stays below `limit` (9.9996 with 3 digits does not reach 10)."""
    return round(abs(value), digits) < limit


def fmt_ms(seconds: object, *, compact: bool = False, na: str = NA) -> str:
    """A duration in SECONDS as milliseconds: 0.0012345 -> "1.234 ms", 0.0123 -> "12.3 ms".

    compact (KPI tiles): "123 µs" below 1 ms, "1.23 ms" below 100 ms, "123 ms" above.
    """
    s = number(seconds)
    if s is None:
        return na
    ms = s * 1e3
    if compact:
        if _rounds_below(ms * 1e3, 0, 1000):
            return f"{ms * 1e3:.0f} \u00b5s"
        if _rounds_below(ms, 2, 100):
            return f"{ms:.2f} ms"
        return f"{ms:.0f} ms"
    return f"{ms:.3f} ms" if _rounds_below(ms, 3, 10) else f"{ms:.1f} ms"


def fmt_s(seconds: object, *, na: str = NA) -> str:
    """A time in seconds: 12.34 -> "12.3 s" (onsets, steady-state times)."""
    s = number(seconds)
    return na if s is None else f"{s:.1f} s"


def fmt_rate(per_s: object, *, unit: str = "/s", na: str = NA) -> str:
    """Events per second: 810.45 -> "810/s", 1234.5 -> "1,234/s", 1.69 -> "1.7/s"."""
    v = number(per_s)
    if v is None:
        return na
    return f"{v:.1f}{unit}" if _rounds_below(v, 1, 100) else f"{v:,.0f}{unit}"


def fmt_si(n: object, sep: str = "", *, na: str = NA) -> str:
    """A count with an SI prefix: 184270000 -> "184.27M" (sep=" ": "184.27 M"); below 1000 as is: 42 -> "42"."""
    v = number(n)
    if v is None:
        return na
    if float(f"{abs(v):g}") < 1000:
        return f"{v:g}{sep}" if sep else f"{v:g}"
    for unit, scale in (("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)):
        if _rounds_below(v / scale, 2, 1000) or unit == "T":
            return f"{v / scale:.2f}{sep}{unit}"
    raise AssertionError("unreachable")


def fmt_bytes(n: object, *, na: str = NA) -> str:
    """A size in bytes, binary prefixes: 1536 -> "1.5 KiB", 1023 -> "1023 B"."""
    v = number(n)
    if v is None:
        return na
    if abs(v) < 1024:
        return f"{int(v)} B"
    for unit, scale in (("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40)):
        if _rounds_below(v / scale, 1, 1024) or unit == "TiB":
            return f"{v / scale:.1f} {unit}"
    raise AssertionError("unreachable")


def fmt_share(share: object, *, na: str = NA) -> str:
    """A 0-1 share as a percentage: 0.5 -> "50%". A share that is not exactly 0 or 1 never reads as one:
    0.999 -> ">99%", 0.001 -> "<1%" (a partial CPU fallback must not look like "100%")."""
    v = number(share)
    if v is None:
        return na
    if 0 < v < 1:
        if round(v * 100) >= 100:
            return ">99%"
        if round(v * 100) <= 0:
            return "<1%"
    return f"{v:.0%}"


def fmt_change(ratio: object, *, na: str = NA) -> str:
    """A relative change, signed: 0.3 -> "+30.0%", -0.05 -> "-5.0%" (drift)."""
    v = number(ratio)
    return na if v is None else f"{v:+.1%}"


def fmt_speedup(ratio: object, *, times: str = TIMES, na: str = NA) -> str:
    """A speed-up ratio: 4 -> "4.00x" (times="\u00d7" in the desktop app). Below 0.1 two significant
    digits (0.00086 -> "0.00086x"), so a much slower run never reads "0.00x"; from 1e6 up, 3 significant
    digits (1e300 -> "1e+300x", not 301 digits)."""
    v = number(ratio)
    if v is None:
        return na
    if v and abs(v) >= 1e6:
        return f"{v:.3g}{times}"
    return f"{v:.2f}{times}" if v == 0 or not _rounds_below(v, 2, 0.1) else f"{v:.2g}{times}"


def fmt_error(value: object, *, na: str = NA) -> str:
    """An absolute output error, 3 significant digits: 0.000123456 -> "0.000123"."""
    v = number(value)
    return na if v is None else f"{v:.3g}"


def fmt_cosine(value: object, *, na: str = NA) -> str:
    """A cosine similarity, 6 decimals (0.999999 and 1 must look different)."""
    v = number(value)
    return na if v is None else f"{v:.6f}"


def fmt_mj(joules: object, *, na: str = NA) -> str:
    """An energy in JOULES as millijoules: 0.0005 -> "0.500 mJ"; tiny values keep 3 significant digits."""
    v = number(joules)
    if v is None:
        return na
    mj = v * 1e3
    return f"{mj:.3f} mJ" if mj == 0 or not _rounds_below(mj, 3, 0.01) else f"{mj:.3g} mJ"


def fmt_num(value: object, *, na: str = NA) -> str:
    """A plain number for an axis label: 0 -> "0", 1234.5 -> "1,234" (from 100 up), 0.1234 -> "0.123"."""
    v = number(value)
    if v is None:
        return na
    if v == 0:
        return "0"
    return f"{v:.3g}" if _rounds_below(v, 0, 100) else f"{v:,.0f}"


def fmt_metric(value: object, unit: str, *, na: str = NA) -> str:
    """A telemetry reading in its unit, 4 significant digits; Hz shown as MHz, bytes as MiB, degC as °C."""
    v = number(value)
    if v is None:
        return na
    scale, shown = {"Hz": (1e-6, "MHz"), "bytes": (1 / 2**20, "MiB"), "degC": (1.0, "\u00b0C")}.get(unit, (1.0, unit))
    return f"{v * scale:.4g} {shown}".rstrip()


def fmt_value(value: object, *, na: str = NA) -> str:
    """Any record value as one line: numbers 6 significant digits, objects and lists as sorted JSON."""
    if value is None:
        return na
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, float):
        return na if not math.isfinite(value) else f"{value:.6g}"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def fmt_watts(watts: object, *, na: str = NA) -> str:
    """An average power: 12.345 -> "12.3 W", 0.0456 -> "0.0456 W" (3 significant digits below 1 W)."""
    v = number(watts)
    if v is None:
        return na
    return f"{v:.1f} W" if abs(v) >= 1 else f"{v:.3g} W"


def fmt_per_joule(per_j: object, *, unit: str = " inferences/J", na: str = NA) -> str:
    """Work per joule (perf per watt): 5 -> "5.00 inferences/J", 1234.5 -> "1,234 inferences/J"."""
    v = number(per_j)
    if v is None:
        return na
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:.3g}{unit}" if abs(v) < 1 else f"{v:.2f}{unit}"


def fmt_pct(share: object, *, digits: int = 1, na: str = NA) -> str:
    """An accuracy-like 0-1 value as a percentage with `digits` decimals: 0.9321 -> "93.2%"."""
    v = number(share)
    return na if v is None else f"{v * 100:.{digits}f}%"


def fmt_pp(delta: object, *, na: str = NA) -> str:
    """A difference of two 0-1 values in percentage points, signed: -0.012 -> "-1.2 pp"."""
    v = number(delta)
    return na if v is None else f"{v * 100:+.1f} pp"


def fmt_db(value: object, *, na: str = NA) -> str:
    """A ratio in decibels (SQNR): 35.27 -> "35.3 dB"."""
    v = number(value)
    return na if v is None else f"{v:.1f} dB"


# A precision label's tail listing OpenVINO's ops per runtime precision ("bf16 (runtime ops: f32 6, bf16 3)"):
# written by the OpenVINO engine, left to a tooltip by the results tile.
RUNTIME_OPS_SUFFIX = " (runtime ops: "
