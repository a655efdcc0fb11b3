"""Throughput mode, the parent's side: the rate of a run with several requests in flight.

In throughput mode requests overlap, so 1 / mean latency is not the rate: the rate is
the completed inferences over the wall-clock window from the first request's start to
the last one's end. `finish_throughput` writes it into the record's `throughput`
section (with samples/s when the inputs share a batch axis) and makes
`latency.throughput_per_s` that same rate, so every reader of the record (summary,
results panel, comparison) shows the rate under load. `latency` keeps the per-request
latencies, queueing included: the latency distribution under load.
"""

from __future__ import annotations

from app.record.schema import InputInfo, RunRecord

BATCH_AXIS = 0


def batch_of(inputs: list[InputInfo]) -> tuple[int | None, str]:
    """(samples per inference, why unknown): axis 0, when every input has at least 2 axes and the same size there."""
    if not inputs:
        return None, "the inputs are not known"
    shapes = [i.shape for i in inputs]
    if any(s is None or len(s) < 2 for s in shapes):
        return None, "an input has fewer than 2 axes, so it has no batch axis"
    sizes = {s[BATCH_AXIS] for s in shapes}  # type: ignore[index]
    if len(sizes) != 1:
        return None, f"the inputs differ on axis 0 ({', '.join(str(n) for n in sorted(sizes))}), so it is not a batch"
    (size,) = sizes
    if size < 1:
        return None, "axis 0 has no size"
    return int(size), ""


def finish_throughput(r: RunRecord, t0_ns: int | None, end_ns: int | None) -> None:
    """Fill `r.throughput` (set by the worker's RequestsStarted) from the measured latencies; no-op in latency mode."""
    tp = r.throughput
    if tp is None:
        return
    count = r.latency.count
    tp.inferences = count
    tp.batch, tp.batch_reason = batch_of(r.inputs)
    if not count or t0_ns is None or end_ns is None or end_ns <= t0_ns:
        tp.window_s = tp.inferences_per_s = tp.samples_per_s = None
        r.latency.throughput_per_s = None
        return
    tp.window_s = (end_ns - t0_ns) / 1e9
    tp.inferences_per_s = count / tp.window_s
    tp.samples_per_s = tp.inferences_per_s * tp.batch if tp.batch else None
    r.latency.throughput_per_s = tp.inferences_per_s
