"""What a record's numbers may be shown as: decided here once for the app, the CLI and the reports.

* A run that measured nothing (it failed or was stopped before its first
  measured inference) has no placement share and no precision to show: "not
  measured", never the session's "100%" and "fp32".
* A run on a CPU target has no accelerator: its share is "on CPU", not
  "100% on the accelerator".
* A small sample has no trustworthy tail: below MIN_SAMPLES_FOR_P99 the p99 is
  omitted and every statistic carries its count ("n=2"); below
  MIN_SAMPLES_TO_COMPARE no speed-up is computed and the run is never recommended.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.common.fmt import NA, fmt_share, number
from app.record.schema import RunRecord

# A p99 needs ~100 samples before one outlier stops deciding it.
MIN_SAMPLES_FOR_P99 = 100
# A p50 from fewer inferences moves by more than the speed-ups worth reporting.
MIN_SAMPLES_TO_COMPARE = 30

NOT_MEASURED = "not measured"
ON_CPU = "on CPU"


def is_small_sample(count: int) -> bool:
    """Too few inferences for a p99 (and the count goes beside every statistic)."""
    return count < MIN_SAMPLES_FOR_P99


def can_compare(count: int) -> bool:
    """Enough inferences for a speed-up or a recommendation."""
    return count >= MIN_SAMPLES_TO_COMPARE


def count_note(count: int) -> str:
    """"n=2" beside a statistic of a small sample; "" when the sample is large enough."""
    return f"n={count:,}" if 0 < count and is_small_sample(count) else ""


def with_count(text: str, count: int) -> str:
    """`text` with the sample count beside it when the sample is small: "1.234 ms (n=2)"."""
    note = count_note(count)
    return f"{text} ({note})" if note and text != NA else text


def p99_omitted_reason(count: int) -> str:
    return f"too few inferences for a p99 ({count:,} < {MIN_SAMPLES_FOR_P99})"


def shown_p99(r: RunRecord) -> float | None:
    """The p99 to show, in seconds: None below MIN_SAMPLES_FOR_P99."""
    return None if is_small_sample(r.latency.count) else number(r.latency.p99)


def p99_text(r: RunRecord, fmt, *, na: str = NA) -> str:
    """The p99 through `fmt` (seconds -> text), or why it is omitted ("N/A (n=2)")."""
    count = r.latency.count
    if 0 < count and is_small_sample(count):
        return f"{na} (n={count:,})"
    return fmt(shown_p99(r))


def is_cpu_target(r: RunRecord) -> bool:
    """The target's own device is the CPU (ort/cpu, ov/cpu): there is no accelerator to measure a share on.

    Decided by what the session placed nodes on; an EP that runs on the CPU (the QNN HTP emulator, the
    OpenVINO EP) still has a share: the nodes it took versus those that fell back to ORT's CPU kernels."""
    if r.placement is not None:
        return r.placement.on_cpu_by_design
    return r.target.provider in ("CPUExecutionProvider", "CPU")


@dataclass(frozen=True)
class AcceleratorShare:
    """The share of the graph on the target's accelerator, or why there is none to show."""

    value: float | None  # 0-1, only when measured on an accelerator target
    note: str = ""  # ON_CPU, NOT_MEASURED, or "" (then value None means unknown)

    def text(self, *, na: str = NA) -> str:
        if self.value is not None:
            return fmt_share(self.value)
        return self.note or na


def accelerator_share(r: RunRecord) -> AcceleratorShare:
    if not r.measured:
        return AcceleratorShare(None, NOT_MEASURED)
    if is_cpu_target(r):
        return AcceleratorShare(None, ON_CPU)
    share = number(r.placement.accelerator_share) if r.placement else None
    return AcceleratorShare(share)


def shown_precision(r: RunRecord) -> str | None:
    """What the target computed in; None when nothing was measured (the session's type is not a result)."""
    return (r.precision or None) if r.measured else None


def precision_text(r: RunRecord, *, na: str = NA) -> str:
    if not r.measured:
        return NOT_MEASURED
    return r.precision or na
