"""What a sweep shows: each point's figures, the best points, the table and the CSV.

Every figure is read from the point's run record, with the app's rules for what a
number may be shown as (app.report.facts): a p99 of fewer than 100 inferences is
omitted with its reason, a point with fewer than 30 inferences is never named best,
energy is N/A with the reason when power is not measured. Throughput is per sample
(inferences/s x batch) when every measured point has a batch axis, so a batch sweep
compares like with like; otherwise inferences/s.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.common.fmt import NA, fmt_mj, fmt_ms, fmt_per_joule, fmt_rate, fmt_watts, number
from app.record.schema import RunRecord, RunStatus
from app.record.sweep import PointStatus, SweepPoint, SweepRecord
from app.report import facts
from app.report.efficiency import perf_per_watt
from app.run.throughput import batch_of


@dataclass(frozen=True)
class PointFigures:
    """One point's figures, None where missing (the matching *_reason says why)."""

    point: SweepPoint
    count: int = 0
    p50_s: float | None = None
    p99_s: float | None = None
    p99_reason: str = ""
    inferences_per_s: float | None = None
    batch: int | None = None
    j_per_inference: float | None = None
    inferences_per_j: float | None = None
    mean_power_w: float | None = None
    power_covers: str = ""
    energy_reason: str = ""

    @property
    def measured(self) -> bool:
        return self.count > 0

    @property
    def samples_per_s(self) -> float | None:
        return self.inferences_per_s * self.batch if self.inferences_per_s is not None and self.batch else None

    @property
    def samples_per_j(self) -> float | None:
        return self.inferences_per_j * self.batch if self.inferences_per_j is not None and self.batch else None

    @property
    def rankable(self) -> bool:
        """Completed, with enough inferences for its p50 to be compared."""
        return self.point.status is PointStatus.COMPLETED and facts.can_compare(self.count)


def figures(point: SweepPoint) -> PointFigures:
    r = point.run
    if r is None or not r.measured:
        why = facts.NOT_MEASURED
        return PointFigures(point, p99_reason=why, energy_reason=why)
    count = r.latency.count
    ppw = perf_per_watt(r)
    j_per_inf = number(r.energy.joules_per_inference) if r.energy is not None and ppw.available else None
    return PointFigures(
        point, count, number(r.latency.p50), facts.shown_p99(r),
        facts.p99_omitted_reason(count) if facts.is_small_sample(count) else "",
        number(r.latency.throughput_per_s), _batch(r), j_per_inf, ppw.inferences_per_joule, ppw.mean_power_w,
        ppw.covers, ppw.reason)


def _batch(r: RunRecord) -> int | None:
    if r.throughput is not None and r.throughput.batch:
        return r.throughput.batch
    return batch_of(r.inputs)[0]


def all_figures(record: SweepRecord) -> list[PointFigures]:
    return [figures(p) for p in record.points]


def per_sample(figs: list[PointFigures]) -> bool:
    """Throughput and efficiency per sample: every measured point has a batch size."""
    measured = [f for f in figs if f.measured]
    return bool(measured) and all(f.batch for f in measured)


def rate(f: PointFigures, samples: bool) -> float | None:
    return f.samples_per_s if samples else f.inferences_per_s


def per_joule(f: PointFigures, samples: bool) -> float | None:
    return f.samples_per_j if samples else f.inferences_per_j


@dataclass(frozen=True)
class Best:
    """The best point for one goal, or why there is none."""

    goal: str  # "latency", "throughput", "efficiency"
    point: SweepPoint | None
    value: str  # the winning figure, formatted
    reason: str = ""  # why N/A

    def text(self, record: SweepRecord) -> str:
        if self.point is None:
            return f"best {self.goal}: {NA} ({self.reason})"
        return f"best {self.goal}: {self.point.target_id}, {self.point.setting(record.axes)} ({self.value})"


def best_points(record: SweepRecord) -> list[Best]:
    """The lowest p50, the highest throughput and the most work per joule, among rankable points."""
    figs = all_figures(record)
    samples = per_sample(figs)
    unit = "samples" if samples else "inferences"
    ranked = [f for f in figs if f.rankable]
    few = (f"no completed point measured {facts.MIN_SAMPLES_TO_COMPARE} inferences or more"
           if any(f.measured for f in figs) else "no point was measured")
    out = []
    for goal, key, fmt, sign in (
            ("latency", lambda f: f.p50_s, lambda v: f"p50 {fmt_ms(v)}", -1),
            ("throughput", lambda f: rate(f, samples), lambda v: fmt_rate(v, unit=f" {unit}/s"), 1),
            ("efficiency", lambda f: per_joule(f, samples), lambda v: fmt_per_joule(v, unit=f" {unit}/J"), 1)):
        have = [f for f in ranked if key(f) is not None]
        if not have:
            out.append(Best(goal, None, "", _energy_reason(figs) if goal == "efficiency" and ranked else few))
            continue
        win = max(have, key=lambda f: sign * key(f))  # type: ignore[operator]
        out.append(Best(goal, win.point, fmt(key(win))))
    return out


def _energy_reason(figs: list[PointFigures]) -> str:
    reasons = list(dict.fromkeys(f.energy_reason for f in figs if f.measured and f.energy_reason))
    return "power is not measured: " + "; ".join(reasons) if reasons else "power is not measured"


# -- the table and the CSV -----------------------------------------------------------------------------

def status_text(p: SweepPoint, running: bool = False) -> str:
    """'completed', 'failed: why', 'cancelled (partial)'; a point not run is 'pending' while the sweep runs."""
    if p.status is PointStatus.FAILED:
        return f"failed: {p.error.message}" if p.error else "failed"
    if p.status is PointStatus.NOT_RUN:
        return "pending" if running else "not run (sweep stopped)"
    return "cancelled (partial)" if p.status is PointStatus.CANCELLED else p.status.value


def table(record: SweepRecord) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the sweep, formatted: one row per point, N/A with a short why."""
    figs = all_figures(record)
    samples = per_sample(figs)
    unit = "samples" if samples else "inferences"
    running = record.status is RunStatus.RUNNING
    headers = ["target", *[a.name for a in record.axes], "status", "n", "p50", "p99", f"{unit}/s",
               "energy/inference", f"{unit}/J", "power"]
    rows = []
    for f in figs:
        p = f.point
        p99 = fmt_ms(f.p99_s) if f.p99_s is not None else (f"{NA} (n={f.count})" if f.measured else NA)
        rows.append([p.target_id, *[str(v) for v in p.values], status_text(p, running), f"{f.count:,}" if f.measured else "",
                     fmt_ms(f.p50_s), p99, fmt_rate(rate(f, samples), unit=""), fmt_mj(f.j_per_inference),
                     fmt_per_joule(per_joule(f, samples), unit=""), _power(f)])
    return headers, rows


def _power(f: PointFigures) -> str:
    return f"{fmt_watts(f.mean_power_w)} ({f.power_covers})" if f.mean_power_w is not None else NA


CSV_COLUMNS = ("target", "status", "error", "inferences", "p50_ms", "p99_ms", "p99_note", "inferences_per_s",
               "batch", "samples_per_s", "mj_per_inference", "inferences_per_j", "mean_power_w", "power_covers",
               "energy_note")


def to_csv(record: SweepRecord) -> str:
    """One row per point, numbers in plain units (empty: missing, the *_note column says why)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*[a.name for a in record.axes], *CSV_COLUMNS])
    for f in all_figures(record):
        p = f.point
        w.writerow([*p.values, _cell(p.target_id), p.status.value, _cell(p.error.message if p.error else ""),
                    f.count, _num(f.p50_s, 1e3), _num(f.p99_s, 1e3), _cell(f.p99_reason), _num(f.inferences_per_s),
                    f.batch or "", _num(f.samples_per_s), _num(f.j_per_inference, 1e3), _num(f.inferences_per_j),
                    _num(f.mean_power_w), _cell(f.power_covers), _cell(f.energy_reason)])
    return buf.getvalue()


def _num(v: float | None, scale: float = 1.0) -> str:
    return "" if v is None else f"{v * scale:.6g}"


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a target id or an error message may start with '=')."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_lines(record: SweepRecord) -> list[str]:
    """The best points, then what went wrong (failed points, a stopped sweep)."""
    lines = [b.text(record) for b in best_points(record)]
    failed = record.of_status(PointStatus.FAILED)
    if failed:
        lines.append(f"{len(failed)} of {len(record.points)} points failed; the sweep went on")
    not_run = record.of_status(PointStatus.NOT_RUN, PointStatus.CANCELLED)
    if not_run:
        lines.append(f"stopped: {len(not_run)} of {len(record.points)} points not (fully) run; finished points kept")
    return lines
