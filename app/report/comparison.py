"""Compare run records: one row per run, speed-up against a baseline, mismatches flagged.

Also: which settings / versions / host facts differ between the runs (for
highlighting), and a one-line recommendation of the fastest trustworthy target.
What a number may be shown as (not measured, on CPU, too few inferences) is
app.report.facts'; the rows carry it, so every table says the same.
"""

from __future__ import annotations

import csv
import enum
import io
import math
from dataclasses import asdict, dataclass, fields

from app.common.errors import UserError
from app.common.fmt import (
    NA,
    TIMES,
    fmt_cosine,
    fmt_error,
    fmt_mj,
    fmt_ms,
    fmt_pct,
    fmt_per_joule,
    fmt_pp,
    fmt_rate,
    fmt_share,
    fmt_speedup,
    fmt_watts,
    number,
)
from app.common.text import terminal_safe
from app.record.schema import RunMode, RunRecord, RunStatus
from app.record.typed import to_json
from app.report import efficiency, facts
from app.report.accuracy_compare import accuracy_cells, data_warnings
from app.report.conditions import comparison_flags


class CheckState(str, enum.Enum):
    """The output check of a run, as one word."""

    PASSED = "passed"
    FAILED = "failed"
    REFERENCE = "reference"  # this run is the reference (ort/cpu)
    SKIPPED = "skipped"
    NOT_RUN = "not run"

    @property
    def trusted(self) -> bool:
        return self in (CheckState.PASSED, CheckState.REFERENCE)


@dataclass(kw_only=True)
class ComparisonRow:
    """One run in a comparison; field order is the CSV column order."""

    run: str
    model: str
    target: str
    host: str
    status: RunStatus
    inferences: int = 0  # measured inferences: the sample behind every statistic
    p50_ms: float | None
    p99_ms: float | None  # None below facts.MIN_SAMPLES_FOR_P99
    throughput_per_s: float | None
    speedup_vs_baseline: float | None  # None when either run has too few inferences to compare
    accelerator_share: float | None
    placement_note: str = ""  # why accelerator_share is empty: facts.ON_CPU, facts.NOT_MEASURED
    max_abs_error: float | None
    min_cosine: float | None
    output_check: CheckState
    precision: str | None  # None when nothing was measured
    energy_mj_per_inference: float | None
    mode: RunMode = RunMode.LATENCY  # throughput: p50/p99 are latencies under load, throughput the wall rate
    requests: int | None = None  # throughput mode: requests in flight
    inferences_per_joule: float | None = None  # perf per watt (app.report.efficiency)
    mean_power_w: float | None = None  # over the measured window
    power_covers: str = ""  # what that power covers, or why perf per watt is N/A
    accuracy_metric: str = ""  # the eval's headline metric (app.report.accuracy_compare); "" for a plain run
    accuracy: float | None = None  # 0-1
    accuracy_delta_vs_baseline: float | None = None  # accuracy - the baseline's, when scored on the same data
    accuracy_note: str = ""  # why accuracy / its delta is missing

    def cell(self, column: str, *, times: str = TIMES) -> str:
        """The column's value as table text: format_cell, plus why a value is missing or thin."""
        value = getattr(self, column)
        if column == "accelerator_share" and number(value) is None and self.placement_note:
            return self.placement_note
        if column == "precision" and self.inferences == 0:
            return facts.NOT_MEASURED
        if column == "mode" and self.requests:
            return f"{self.mode.value}, {self.requests} in flight"
        if column in ("accuracy", "accuracy_delta_vs_baseline") and value is None and self.accuracy_note:
            return f"{NA} ({self.accuracy_note})"
        if column == "accuracy" and value is not None:
            return f"{self.accuracy_metric} {format_cell(column, value)}"
        text = format_cell(column, value, times=times)
        if column in _SAMPLE_STATS:
            n = self.inferences
            withheld = {"p99_ms": facts.is_small_sample(n), "speedup_vs_baseline": not facts.can_compare(n)}
            if value is None and 0 < n and withheld.get(column):  # left out for the sample's size: say so
                return f"{NA} (n={n:,})"
            return facts.with_count(text, n)
        return text


COLUMNS = tuple(f.name for f in fields(ComparisonRow))
# Statistics of the measured sample: a small sample's count goes beside them.
_SAMPLE_STATS = ("p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline")


@dataclass(frozen=True)
class Difference:
    """A settings / versions / host key whose value is not the same in every run."""

    section: str
    key: str  # flattened, e.g. "power.source"
    values: list  # one per run; None when the run lacks the key


@dataclass(frozen=True)
class Recommendation:
    index: int
    run: str
    target: str
    speedup_vs_baseline: float | None
    p50_ms: float
    baseline: int
    baseline_target: str
    by_rate: bool = False  # the baseline is a throughput run: the highest rate is recommended, not the lowest p50
    rate_per_s: float | None = None


# Sections compared key by key for the "what differs" view.
DIFF_SECTIONS = ("settings", "versions", "host")
# Keys that always differ in a cross-target comparison or change from run to run
# without meaning anything (the target column already shows the target).
DIFF_IGNORED = {"settings": {"target_id"}, "host": {"power.reason", "power.battery_percent"}}


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _speedup(base_p50: float | None, p50: float | None) -> float | None:
    """baseline p50 / p50, or None unless both are positive and finite and so is the ratio
    (an infinite, zero or negative p50 in a hand-edited record is N/A, never "0.00x")."""
    if base_p50 is None or p50 is None or not base_p50 > 0 or not p50 > 0:
        return None
    ratio = base_p50 / p50
    return ratio if math.isfinite(ratio) and ratio > 0 else None


def _by_rate(base: RunRecord, r: RunRecord) -> bool:
    """A throughput run on either side: compare the rates (a p50 under load is not a one-at-a-time p50;
    inferences per second mean the same in both modes)."""
    return efficiency.is_throughput(base) or efficiency.is_throughput(r)


def _rate_speedup(base: RunRecord, r: RunRecord) -> float | None:
    """This run's rate / the baseline's, when both measured enough inferences to compare."""
    if not (facts.can_compare(base.latency.count) and facts.can_compare(r.latency.count)):
        return None
    b, v = _finite(base.latency.throughput_per_s), _finite(r.latency.throughput_per_s)
    return _speedup(v, b)  # v / b, with the same checks as a p50 ratio


def _worst_output(r: RunRecord) -> tuple[float | None, float | None]:
    outs = [o for o in (r.output_check.outputs if r.output_check else []) if o.max_abs_error is not None]
    if not outs:
        return None, None
    cosines = [o.cosine_similarity for o in outs if o.cosine_similarity is not None]
    return max(o.max_abs_error for o in outs), (min(cosines) if cosines else None)


def output_check_state(r: RunRecord) -> CheckState:
    oc = r.output_check
    if oc is None:
        return CheckState.NOT_RUN
    if oc.outputs:
        return CheckState.PASSED if all(o.ok for o in oc.outputs) else CheckState.FAILED
    if oc.skipped:
        return CheckState.REFERENCE if oc.reference and r.target_id == oc.reference else CheckState.SKIPPED
    return CheckState.NOT_RUN


def energy_per_inference(r: RunRecord) -> float | None:
    """Joules per inference, or None."""
    if r.energy is None or not r.energy.available:
        return None
    return _finite(r.energy.joules_per_inference)


def compare_rows(records: list[RunRecord], names: list[str], baseline: int = 0) -> list[ComparisonRow]:
    if not records:
        raise UserError("compare needs at least one run file.")
    if not 0 <= baseline < len(records):
        raise UserError(f"--baseline {baseline}: must be between 0 and {len(records) - 1}.",
                        hint="Runs are numbered from 0 in the order given.")
    base = records[baseline]
    base_p50 = _finite(base.latency.p50) if facts.can_compare(base.latency.count) else None
    rows = []
    for name, r in zip(names, records, strict=True):
        p50, p99 = _finite(r.latency.p50), facts.shown_p99(r)
        comparable = base_p50 and p50 and facts.can_compare(r.latency.count)
        max_err, min_cos = _worst_output(r)
        jpi = energy_per_inference(r)
        share = facts.accelerator_share(r)
        rows.append(ComparisonRow(
            run=name, model=r.model.display_name, target=r.target_id, host=r.host.hostname, status=r.status,
            inferences=r.latency.count,
            p50_ms=_finite(p50 * 1e3) if p50 is not None else None,
            p99_ms=_finite(p99 * 1e3) if p99 is not None else None,
            throughput_per_s=_finite(r.latency.throughput_per_s),
            speedup_vs_baseline=(_rate_speedup(base, r) if _by_rate(base, r) else
                                 _speedup(base_p50, p50) if comparable else None),
            accelerator_share=share.value, placement_note=share.note,
            max_abs_error=max_err, min_cosine=min_cos, output_check=output_check_state(r),
            precision=facts.shown_precision(r), energy_mj_per_inference=jpi * 1e3 if jpi is not None else None,
            **_mode_and_power(r),
            **_accuracy_fields(r, base),
        ))
    return rows


def _mode_and_power(r: RunRecord) -> dict:
    ppw = efficiency.perf_per_watt(r)
    return {"mode": r.settings.mode, "requests": r.throughput.requests if r.throughput else None,
            "inferences_per_joule": ppw.inferences_per_joule, "mean_power_w": ppw.mean_power_w,
            "power_covers": ppw.covers if ppw.available else f"{NA}: {ppw.reason}"}


def _accuracy_fields(r: RunRecord, base: RunRecord) -> dict:
    cells = accuracy_cells(r, base)
    return {"accuracy_metric": cells.metric, "accuracy": cells.value, "accuracy_delta_vs_baseline": cells.delta,
            "accuracy_note": cells.note}


def _shapes(r: RunRecord) -> list[tuple[str, list[int] | None]]:
    return [(i.name, i.shape) for i in r.inputs]


def comparability_warnings(records: list[RunRecord], names: list[str], baseline: int = 0) -> list[str]:
    """Runs of different models or inputs are flagged, never silently compared."""
    warnings = []
    base, base_name = records[baseline], names[baseline]
    others = [(n, r) for i, (n, r) in enumerate(zip(names, records, strict=True)) if i != baseline]
    for name, r in others:
        if r.model.sha256 != base.model.sha256:
            warnings.append(f"{name}: a different model from {base_name} (sha256 differs).")
        if _shapes(r) != _shapes(base):
            warnings.append(f"{name}: different input shapes from {base_name}: {_shapes(r)} vs {_shapes(base)}.")
        if r.status is not RunStatus.COMPLETED:
            warnings.append(f"{name}: run {r.status.value}; its numbers are partial.")
        if r.settings.mode is not base.settings.mode:
            warnings.append(f"{name}: measured in {r.settings.mode} mode, {base_name} in {base.settings.mode} mode; "
                            "latencies under load and one-at-a-time latencies are not the same measure.")
    if base.status is not RunStatus.COMPLETED:
        warnings.append(f"{base_name}: run {base.status.value}; its numbers are partial.")
    return warnings + data_warnings(records, names, baseline) + comparison_flags(records, names, baseline)


def flatten(d: dict | None, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}, "c": {}} -> {"a.b": 1}; an empty dict counts as absent, lists stay whole."""
    out: dict[str, object] = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _section_json(r: RunRecord, section: str) -> dict:
    return to_json(getattr(r, section))


def differences(records: list[RunRecord]) -> list[Difference]:
    """Every settings / versions / host key whose value is not the same in all runs, section then key order."""
    found = []
    for section in DIFF_SECTIONS:
        flat = [flatten(_section_json(r, section)) for r in records]
        keys = sorted(set().union(*flat) - DIFF_IGNORED.get(section, set()))
        for key in keys:
            values = [f.get(key) for f in flat]
            if any(v != values[0] for v in values[1:]):
                found.append(Difference(section, key, values))
    return found


def differing_keys(records: list[RunRecord]) -> dict[str, set[str]]:
    """section -> the flattened keys that differ, e.g. {"settings": {"threads"}}; for highlighting."""
    out: dict[str, set[str]] = {s: set() for s in DIFF_SECTIONS}
    for d in differences(records):
        out[d.section].add(d.key)
    return out


def recommendation(records: list[RunRecord], names: list[str], baseline: int = 0) -> Recommendation | None:
    """The fastest run that can be trusted, or None.

    Trusted: completed with at least facts.MIN_SAMPLES_TO_COMPARE inferences,
    same model and inputs as the baseline, output check passed (or it is the
    reference), and a non-zero share of nodes on its target (a CPU target runs
    on its own device by definition).
    """
    rows = compare_rows(records, names, baseline)
    base = records[baseline]
    by_rate = efficiency.is_throughput(base)
    candidates = []
    for i, (row, r) in enumerate(zip(rows, records, strict=True)):
        share = row.accelerator_share
        on_target = row.placement_note == facts.ON_CPU or (share is not None and share > 0)
        if (row.status is RunStatus.COMPLETED and row.p50_ms and row.output_check.trusted and on_target
                and facts.can_compare(row.inferences) and _same_workload(r, base)):
            rate = row.throughput_per_s  # each mode against its own: a p50 under load is not a latency run's
            if not by_rate and not efficiency.is_throughput(r):
                candidates.append((row.p50_ms, i))
            elif by_rate and rate and efficiency.is_throughput(r):
                candidates.append((-rate, i))
    if not candidates:
        return None
    _, best = min(candidates)
    row = rows[best]
    return Recommendation(index=best, run=row.run, target=row.target, speedup_vs_baseline=row.speedup_vs_baseline,
                          p50_ms=row.p50_ms, baseline=baseline, baseline_target=rows[baseline].target,
                          by_rate=by_rate, rate_per_s=row.throughput_per_s)


def _same_workload(r: RunRecord, base: RunRecord) -> bool:
    return r.model.sha256 == base.model.sha256 and _shapes(r) == _shapes(base)


def recommendation_line(records: list[RunRecord], names: list[str], baseline: int = 0) -> str:
    rec = recommendation(records, names, baseline)
    if rec is None and records[baseline].genai is not None:  # no output check to trust a generative run by
        return ("No recommendation for generative runs: compare their TTFT, decode tokens/s and J/token per "
                "prompt length.")
    if rec is None:
        small = [n for n, r in zip(names, records, strict=True)
                 if r.status is RunStatus.COMPLETED and not facts.can_compare(r.latency.count)]
        if small:
            return (f"No recommendation: {', '.join(small)} measured fewer than {facts.MIN_SAMPLES_TO_COMPARE} "
                    "inferences, too few to compare; run longer.")
        kind = "throughput-mode run" if efficiency.is_throughput(records[baseline]) else "run"
        return (f"No recommendation: no completed {kind} of the baseline's model passed its output check "
                "with nodes on its target.")
    named = rec.target if rec.run == rec.target else f"{rec.target} ({rec.run})"  # the app names runs by target
    line = (f"Recommended: {named}, {fmt_rate(rec.rate_per_s, unit=' inferences/s')} in throughput mode"
            if rec.by_rate else f"Recommended: {named}, p50 {fmt_ms(rec.p50_ms / 1e3)}")
    if rec.index == baseline:
        return line + " - the baseline itself is the fastest trustworthy run."
    speedup = rec.speedup_vs_baseline
    if not speedup:
        vs = "compared with"
    elif speedup >= 1:
        vs = f"{fmt_speedup(speedup)} {'the rate of' if rec.by_rate else 'faster than'}"
    else:  # the baseline is faster but not trustworthy (output mismatch, nothing on its target, ...)
        vs = f"{fmt_speedup(1 / speedup)} slower than"
    base = rec.baseline_target if names[baseline] == rec.baseline_target else \
        f"{rec.baseline_target} ({names[baseline]})"
    return line + f", {vs} the baseline {base}."


# ComparisonRow field -> its text; the fields in ms / mJ are converted back to the base unit fmt takes.
_CELL_FORMATS = {
    "p50_ms": lambda v, _: fmt_ms(v / 1e3),
    "p99_ms": lambda v, _: fmt_ms(v / 1e3),
    "throughput_per_s": lambda v, _: fmt_rate(v),
    "speedup_vs_baseline": lambda v, times: fmt_speedup(v, times=times),
    "accelerator_share": lambda v, _: fmt_share(v),
    "max_abs_error": lambda v, _: fmt_error(v),
    "min_cosine": lambda v, _: fmt_cosine(v),
    "energy_mj_per_inference": lambda v, _: fmt_mj(v / 1e3),
    "inferences_per_joule": lambda v, _: fmt_per_joule(v, unit="/J"),
    "mean_power_w": lambda v, _: fmt_watts(v),
    "accuracy": lambda v, _: fmt_pct(v),
    "accuracy_delta_vs_baseline": lambda v, _: fmt_pp(v),
}


def format_cell(column: str, value: object, *, times: str = TIMES) -> str:
    """A ComparisonRow value as table text, the same in the CLI table, the HTML report and the app
    (which passes times="\u00d7"); missing is N/A, never 0."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if column in _CELL_FORMATS:
        return NA if number(value) is None else _CELL_FORMATS[column](value, times)
    return NA if value is None else str(value)


def format_table(rows: list[ComparisonRow]) -> str:
    shown = ("target", "mode", "p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline", "accelerator_share",
             "max_abs_error", "precision", "inferences_per_joule", "run")
    headers = ("target", "mode", "p50", "p99", "throughput", "speed-up", "on accel", "max err", "precision",
               "perf/W", "run")
    if any(row.accuracy_metric for row in rows):  # evals: accuracy beside the speed
        shown, headers = (*shown[:-1], "accuracy", "accuracy_delta_vs_baseline", "run"), \
            (*headers[:-1], "accuracy", "Δ accuracy", "run")
    table = [headers] + [tuple(terminal_safe(row.cell(k)) for k in shown) for row in rows]  # record text
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)


def power_lines(rows: list[ComparisonRow]) -> list[str]:
    """What each run's perf per watt covers, or why it is N/A; runs with the same text share a line."""
    by_text: dict[str, list[str]] = {}
    for row in rows:
        power = (f"{fmt_per_joule(row.inferences_per_joule)} at {fmt_watts(row.mean_power_w)} average, "
                 f"covers {row.power_covers}" if row.inferences_per_joule is not None else row.power_covers)
        by_text.setdefault(power, []).append(row.run)
    return [f"perf per watt ({', '.join(runs)}): {text}" for text, runs in by_text.items()]


def to_csv(rows: list[ComparisonRow]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else to_json(v)) for k, v in asdict(row).items()})
    return buf.getvalue()
