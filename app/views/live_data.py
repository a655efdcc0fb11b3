"""What the live charts show, as ring buffers on one time axis (seconds since run start).

Fed in batches from one GUI timer (latency batches from the worker, samples
from the sampler); the charts read contiguous slices. No Qt here: this is the
part the responsiveness benchmark and unit tests can drive directly.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from app.record.schema import Phase
from app.views.ringbuffer import RingBuffer

LATENCY_CAPACITY = 1_000_000  # raw points kept (16 s at 60k/s, 17 min at 1k/s); older ones fall off
AGG_CAPACITY = 200_000  # per-batch aggregates: ~2.7 h at 20 batches/s
SERIES_CAPACITY = 100_000  # per telemetry metric: 2.7 h at 10 Hz
ROLLING_WINDOW_S = 2.0  # rolling p50/p99 over the last 2 s of inferences...
ROLLING_MIN_POINTS = 20  # ...but never fewer than 20 inferences

# Chart category of each charted telemetry metric (the sampler also reports per-core
# utilisation, frequency, energy counters...: those go to the record, not the charts).
CATEGORY = {"util": "utilisation", "worker_util": "utilisation", "cpu_util": "utilisation", "power": "power",
            "power_avg": "power", "temp": "temperature", "mem_used": "memory", "mem_dedicated": "memory",
            "rss": "memory"}
METRIC_LABEL = {"util": "utilisation", "worker_util": "utilisation by the worker", "cpu_util": "CPU (% of all cores)",
                "power": "power",
                "power_avg": "power (avg)", "temp": "temperature", "mem_used": "memory used",
                "mem_dedicated": "dedicated memory", "rss": "memory (RSS)"}


@dataclass
class Series:
    key: str  # "device/metric"
    label: str  # "CPU utilisation"
    category: str
    unit: str
    buffer: RingBuffer
    status: str = "ok"
    reason: str = ""
    source: str = ""
    scale: float = 1.0  # bytes -> GiB for memory
    ever_ok: bool = False  # had a value at least once: gets a curve (else only a 'why missing' label)


@dataclass
class PhaseSpan:
    name: Phase
    t0: float  # seconds since run start
    t1: float | None = None  # None while running


@dataclass
class GenSpan:
    """A generative model's measured generation on the time axis: prefill, then decode (seconds)."""

    prompt_tokens: int
    prefill_t0: float
    prefill_t1: float  # the prompt is through; the first token follows
    decode_t0: float  # the first token in hand
    decode_t1: float  # the last token


TEXT_CHARS = 4000  # the live text pane keeps the last this many characters


@dataclass
class LiveData:
    t0_ns: int = 0
    latency: RingBuffer = field(default_factory=lambda: RingBuffer(LATENCY_CAPACITY))  # x s, y ms
    p50: RingBuffer = field(default_factory=lambda: RingBuffer(AGG_CAPACITY))
    p99: RingBuffer = field(default_factory=lambda: RingBuffer(AGG_CAPACITY))
    throughput: RingBuffer = field(default_factory=lambda: RingBuffer(AGG_CAPACITY))
    series: dict[str, Series] = field(default_factory=dict)
    phases: list[PhaseSpan] = field(default_factory=list)
    count: int = 0  # measured inferences so far (a generative model: decode steps)
    generations: list[GenSpan] = field(default_factory=list)  # a generative model's measured generations
    text: str = ""  # a generative model's text as it streams (untrusted: plain text), the last TEXT_CHARS
    text_version: int = 0
    # Logical CPUs: the worker's CPU time (the sampler's % of one core) is charted as % of all of them,
    # the unit of the CPU utilisation beside it.
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    _last_end_s: float | None = None
    version: int = 0  # bumped on every change, so charts skip redraws when nothing moved

    def reset(self, t0_ns: int) -> None:
        """New run: clear every buffer in place (no reallocation, so RSS stays flat)."""
        self.t0_ns = t0_ns
        for rb in (self.latency, self.p50, self.p99, self.throughput):
            rb.clear()
        for s in self.series.values():
            s.buffer.clear()
        self.phases.clear()
        self.count = 0
        self.generations.clear()
        self.text = ""
        self.text_version += 1
        self._last_end_s = None
        self.version += 1

    def seconds(self, t_ns) -> np.ndarray | float:
        return (np.asarray(t_ns, dtype=np.int64) - self.t0_ns) / 1e9

    # -- latency ---------------------------------------------------------
    def add_latencies(self, starts_ns: np.ndarray, durations_ns: np.ndarray) -> None:
        if starts_ns.size == 0:
            return
        x = self.seconds(starts_ns)
        y_ms = durations_ns / 1e6
        self.latency.append(x, y_ms)
        self.count += int(starts_ns.size)
        end_s = float(np.max(x + y_ms / 1e3))  # requests in flight: the last to start need not end last
        # Completed inferences per wall second between batch ends (gaps included).
        begin = self._last_end_s if self._last_end_s is not None else float(x[0])
        if end_s > begin:
            self.throughput.append(np.array([end_s]), np.array([starts_ns.size / (end_s - begin)]))
        self._last_end_s = end_s
        self._rolling(float(x[-1]))
        self.version += 1

    def _rolling(self, now_s: float) -> None:
        xs, ys = self.latency.view(20_000)  # bounds the percentile cost per batch
        i = int(np.searchsorted(xs, now_s - ROLLING_WINDOW_S))
        i = min(i, max(0, xs.size - ROLLING_MIN_POINTS))
        window = ys[i:]
        if window.size:
            p50, p99 = np.percentile(window, [50, 99])
            self.p50.append(np.array([now_s]), np.array([p50]))
            self.p99.append(np.array([now_s]), np.array([p99]))

    # -- a generative model ----------------------------------------------
    def add_generation(self, prompt_tokens: int, prefill_t0_ns: int, prefill_t1_ns: int, first_token_ns: int,
                       last_token_ns: int) -> None:
        sec = self.seconds
        self.generations.append(GenSpan(prompt_tokens, float(sec(prefill_t0_ns)), float(sec(prefill_t1_ns)),
                                        float(sec(first_token_ns)), float(sec(last_token_ns))))
        self.version += 1

    def add_text(self, prompt_tokens: int, iteration: int, text: str, new_generation: bool) -> None:
        if new_generation:
            text = f"\n[prompt {prompt_tokens} tokens, generation {iteration + 1}]\n{text}"
        self.text = (self.text + text)[-TEXT_CHARS:]
        self.text_version += 1

    # -- phases ----------------------------------------------------------
    def phase_started(self, name: Phase, t_ns: int) -> None:
        self.phases.append(PhaseSpan(name, float(self.seconds(t_ns))))
        self.version += 1

    def phase_ended(self, name: Phase, t0_ns: int, t1_ns: int) -> None:
        for span in reversed(self.phases):
            if span.name == name and span.t1 is None:
                span.t0, span.t1 = float(self.seconds(t0_ns)), float(self.seconds(t1_ns))
                break
        else:
            self.phases.append(PhaseSpan(name, float(self.seconds(t0_ns)), float(self.seconds(t1_ns))))
        self.version += 1

    def close_open_phases(self, now_ns: int) -> None:
        """Run ended (error, cancel, crash): stop shading at the end instead of growing forever."""
        for span in self.phases:
            if span.t1 is None:
                span.t1 = float(self.seconds(now_ns))
        self.version += 1

    # -- telemetry -------------------------------------------------------
    def add_samples(self, samples: list, keep: bool = True) -> None:
        """Samples from the sampler: statuses always, values only while a run is live (`keep`)."""
        if not samples:
            return
        grouped: dict[str, list] = {}
        changed = False  # idle ticks that bring only the same statuses leave the version alone: no redraw
        for s in samples:
            category = CATEGORY.get(s.metric)
            if category is None or (s.metric == "cpu_util" and s.device != "worker"):
                continue  # the sampler's own CPU (its overhead) goes to the record, not the charts
            series = self.series.get(f"{s.device}/{s.metric}")
            if series is None:
                series = self._new_series(s, category)
                changed = True
            reason = getattr(s, "reason", "") or ""
            if (series.status, series.reason) != (s.status, reason):
                series.status, series.reason, changed = s.status, reason, True
            series.ever_ok = series.ever_ok or s.status == "ok"
            series.source = getattr(s, "source", "") or series.source
            if keep:
                grouped.setdefault(series.key, []).append(s)
        for key, group in grouped.items():
            series = self.series[key]
            t = np.fromiter((s.t_ns for s in group), dtype=np.int64, count=len(group))
            v = np.fromiter((s.value for s in group), dtype=float, count=len(group)) * series.scale
            series.buffer.append(self.seconds(t), v)  # NaN stays NaN: a gap, never a fake zero
        if changed or grouped:
            self.version += 1

    def _new_series(self, s, category: str) -> Series:
        kind = getattr(s, "kind", "") or ""
        who = {"MEMORY": "System", "SYSTEM": "Platform"}.get(kind, kind or s.device)
        if s.device == "worker":
            who = "Worker process"
        same = [x for x in self.series.values() if x.label.startswith(f"{who} ") and x.category == category]
        label = f"{who} {METRIC_LABEL.get(s.metric, s.metric)}"
        if same and who == kind:  # a second GPU/NPU: say which
            label = f"{who} ({s.device}) {METRIC_LABEL.get(s.metric, s.metric)}"
        unit, scale = s.unit, 1.0
        if s.unit == "bytes":
            unit, scale = "GiB", 1.0 / 2**30
        elif s.metric == "cpu_util" and s.device == "worker":
            scale = 1.0 / max(1, self.cpus)  # % of one core -> % of all cores
        series = Series(f"{s.device}/{s.metric}", label, category, unit, RingBuffer(SERIES_CAPACITY),
                        scale=scale)
        self.series[series.key] = series
        return series

    def missing(self) -> list[Series]:
        """Metrics that have no value now, with why (for the 'unsupported — reason' labels)."""
        return [s for s in self.series.values() if s.status not in ("ok", "not_ready", "stale")]

    def latest_latency_ms(self) -> float:
        return self.latency.last_y()

    def rolling(self) -> tuple[float, float]:
        return self.p50.last_y(), self.p99.last_y()

    def throughput_now(self) -> float:
        xs, ys = self.throughput.view(10)
        return float(np.nanmean(ys)) if ys.size else math.nan


def peak_decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~max_points points keeping each bin's min and max at their true x (spikes survive).

    pyqtgraph's own peak mode works on lines; for a scatter of a million
    latency points it would still build a million spots, so we decimate first.
    """
    n = x.size
    if n <= max_points or max_points < 4:
        return x, y
    ds = int(np.ceil(n / (max_points // 2)))
    m = (n // ds) * ds
    blocks = y[:m].reshape(-1, ds)
    base = np.arange(0, m, ds)
    # unique(): sorted, and a flat bin (argmin == argmax) gives its point once
    idx = np.unique(np.concatenate([base + blocks.argmin(axis=1), base + blocks.argmax(axis=1), np.arange(m, n)]))
    return x[idx], y[idx]
