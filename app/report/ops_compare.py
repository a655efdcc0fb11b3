"""The op-type difference of a comparison: the baseline's operator profile against another run's.

One place for the comparison view, the PNG export, the SVG charts and the HTML
report: which two runs are compared, each op type's time in both (largest
change first, app.record.ops.type_changes) or why nothing can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.common.fmt import NA, fmt_speedup
from app.record import ops
from app.record.ops import OpTypeChange
from app.record.schema import RunRecord

TOP_TYPES = 8  # op types in a chart (the HTML table has them all)


@dataclass(frozen=True)
class TypeDiff:
    """Op types of run `a` (the baseline) against run `b`; `message` says why there are no changes."""

    a: int
    b: int  # -1: no second run with a profile
    names: tuple[str, str]
    changes: list[OpTypeChange] = field(default_factory=list)
    message: str = ""
    note: str = ""  # read with the changes: e.g. the two engines name their op types differently


def ratio_text(c: OpTypeChange, name_b: str, times: str = "\u00d7") -> str:
    """'3.96× faster on ov/cpu', '2.00× slower on ov/cpu', 'only in one run' (c.ratio is a / b)."""
    if c.ratio is None:
        return "only in one run" if (c.a_s is None) != (c.b_s is None) else NA
    if c.ratio >= 1:
        return f"{fmt_speedup(c.ratio, times=times)} faster on {name_b}"
    return f"{fmt_speedup(1 / c.ratio, times=times)} slower on {name_b}"


def _why_not(r: RunRecord) -> str:
    p = r.op_profile
    if p is None:
        return "no operator profile (run without Operator profile / --op-profile)"
    if not p.available:
        return f"operator profile unavailable: {p.reason or 'no reason recorded'}"
    return "" if p.by_type else "no timed operator"


def profiled(records: list[RunRecord]) -> list[int]:
    """The runs whose operator profile has op-type times (their top operators can be shown)."""
    return [i for i, r in enumerate(records) if not _why_not(r)]


def candidates(records: list[RunRecord], baseline: int) -> list[int]:
    """The runs other than the baseline whose operator profile has op-type times."""
    return [i for i, r in enumerate(records) if i != baseline and not _why_not(r)]


def type_diff(records: list[RunRecord], names: list[str], baseline: int, other: int | None = None,
              top: int | None = TOP_TYPES) -> TypeDiff | None:
    """The baseline against `other` (default: the first other run with a profile); None when no run asked
    for an operator profile at all (nothing to explain)."""
    if all(r.op_profile is None for r in records):
        return None
    others = candidates(records, baseline)
    b = other if other in others else (others[0] if others else -1)
    pair = (names[baseline], names[b] if b >= 0 else "?")
    why = _why_not(records[baseline])
    if why:
        return TypeDiff(baseline, b, pair, message=f"The baseline {names[baseline]} has {why}: pick a baseline "
                                                   "with an operator profile.")
    if b < 0:
        reasons = "; ".join(f"{names[i]}: {_why_not(r)}" for i, r in enumerate(records) if i != baseline)
        return TypeDiff(baseline, b, pair, message=f"No other run has an operator profile to compare with "
                                                   f"({reasons}).")
    pa, pb = records[baseline].op_profile, records[b].op_profile
    changes = ops.type_changes(pa, pb, top)
    note = ""
    if not ops.model_type_times(pa).keys() & ops.model_type_times(pb).keys():
        engines = f" ({pa.engine or '?'} and {pb.engine or '?'})" if pa.engine != pb.engine else ""
        note = (f"No op type in common{engines}: none of the runtime's nodes could be traced back to a node "
                "of the model.") if engines else "No op type in common."
    return TypeDiff(baseline, b, pair, changes, note=note)
