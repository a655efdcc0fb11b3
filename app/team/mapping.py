"""A run record as an MLflow run: experiment, params, metrics, tags (pure data, no MLflow import).

One MLflow run per profiling run, in an experiment named after the model file;
the model's sha256 is a tag of the run (two files of one name that differ are
told apart by it). What is missing from the record is missing here: a figure
the run did not measure is not logged (never 0), and the tag `aipcprof.missing`
says which and why.

The latency series is logged as the stepped metric `latency_ms` (step = the
index of the first inference it stands for). MLflow keeps every point of a
metric's history in its database, so the series is bounded: at most
MAX_SERIES_POINTS points, each the maximum of a bucket of consecutive samples
(peaks stay visible, as in the record's own `samples_stride` buckets); the tag
`aipcprof.latency_series` says how many inferences each point covers.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

import numpy as np

from app import __version__
from app.record.schema import RunRecord, RunStatus, WarningKind
from app.record.typed import to_json
from app.report.comparison import energy_per_inference, flatten

MAX_SERIES_POINTS = 1000  # points of the stepped latency metric per run
MAX_PARAM_CHARS = 6000  # MLflow's limit on a param value (its database column)
MAX_TAG_CHARS = 5000
# MLflow accepts letters, digits, _ - . space and /; a "/" could make a key a path MLflow refuses ("a/../b"),
# so it is replaced too.
_KEY_RE = re.compile(r"[^A-Za-z0-9_\-. ]")

# Tags this tool sets (the `aipcprof.` prefix keeps them apart from MLflow's and the team's own).
TAG_FINGERPRINT = "aipcprof.fingerprint"  # the record's content hash: the run's identity (idempotent publish)
TAG_RECORD_ID = "aipcprof.record_id"  # the run's id in the publishing machine's history
TAG_MODEL_SHA = "aipcprof.model_sha256"
TAG_HOST = "aipcprof.host"
TAG_STATUS, TAG_TARGET = "status", "target"  # the run's status and target id, as plain tags for the MLflow UI
TAG_COMPLETE = "aipcprof.published"  # "complete" once every part (metrics, artifacts) is on the server
RECORD_ARTIFACT = "record.json"
REPORT_ARTIFACT = "report.html"
PNG_ARTIFACT = "report.png"


@dataclass(frozen=True)
class Point:
    key: str
    value: float
    step: int = 0


@dataclass
class MlflowRunData:
    """What one run record becomes on the tracking server."""

    experiment: str
    run_name: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Point] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    timestamp_ms: int = 0  # every metric's timestamp: the run's start, so a republish logs identical points


def safe_key(key: str) -> str:
    """A param / metric / tag key MLflow accepts (model-given option names may hold anything)."""
    return _KEY_RE.sub("_", key)[:250] or "_"


def _text(value: object, limit: int) -> str:
    text = "" if value is None else str(value.value if hasattr(value, "value") else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def _params(r: RunRecord) -> dict[str, str]:
    t, h = r.target, r.host
    out = {"target": r.target_id, "engine": t.engine, "ep": t.provider, "device_type": r.device_type,
           "device_name": t.device_name, "runtime_version": t.runtime_version, "ep_version": t.ep_version,
           "host": h.hostname, "host.os": f"{h.os} {h.os_version}".strip(), "host.machine": h.machine,
           "host.cpu": h.cpu, "host.ram_bytes": h.ram_bytes, "host.logical_cpus": h.logical_cpus,
           "host.power": h.power.source, "model.name": r.model.display_name, "model.sha256": r.model.sha256,
           "tool.version": r.tool.version}
    settings = {k: v for k, v in flatten(to_json(r.settings)).items() if k != "target_id"}
    out.update({f"settings.{k}": v for k, v in settings.items()})
    out.update({f"versions.{k}": v for k, v in r.versions.items()})
    return {safe_key(k): _text(v, MAX_PARAM_CHARS) for k, v in out.items() if v not in (None, "")}


def _ms(v: float | None) -> float | None:
    v = _finite(v)
    return None if v is None else v * 1e3


def _figures(r: RunRecord) -> tuple[dict[str, float | None], dict[str, str]]:
    """name -> value (None: not measured), and why the missing ones are missing."""
    lat, why = r.latency, {}
    figures: dict[str, float | None] = {
        "latency_p50_ms": _ms(lat.p50), "latency_p90_ms": _ms(lat.p90), "latency_p99_ms": _ms(lat.p99),
        "latency_mean_ms": _ms(lat.mean), "latency_min_ms": _ms(lat.min), "latency_max_ms": _ms(lat.max),
        "inferences": float(lat.count) if lat.count else None,
        "throughput_per_s": _finite(lat.throughput_per_s),
    }
    if not r.measured:
        why["latency"] = "nothing measured"
    if r.throughput is not None:
        figures["throughput_inferences_per_s"] = _finite(r.throughput.inferences_per_s)
        figures["throughput_samples_per_s"] = _finite(r.throughput.samples_per_s)
    jpi = energy_per_inference(r)
    figures["energy_mj_per_inference"] = None if jpi is None else jpi * 1e3
    e = r.energy
    figures["inferences_per_joule"] = _finite(e.inferences_per_joule) if e and e.available else None
    figures["mean_power_w"] = _finite(e.mean_power_w) if e and e.available else None
    if jpi is None:
        why["energy"] = (e.reason if e is not None and e.reason else "no energy reading") or "unavailable"
    if r.placement is not None:
        figures["accelerator_share"] = _finite(r.placement.accelerator_share)
    if r.accuracy is not None:
        name, value = r.accuracy.headline
        figures["accuracy"] = _finite(value)
        if value is None:
            why["accuracy"] = f"{name} not scored"
    return figures, why


def latency_series(r: RunRecord, limit: int = MAX_SERIES_POINTS) -> tuple[list[Point], str]:
    """The stepped latency metric (ms) and a line saying how it was bounded."""
    samples = np.asarray(r.latency.samples, dtype=float)
    if samples.size == 0:
        return [], "no samples in the record"
    stride = max(1, r.latency.samples_stride)
    bucket = max(1, math.ceil(samples.size / limit))
    pad = (-samples.size) % bucket
    peaks = np.concatenate([samples, np.full(pad, -np.inf)]).reshape(-1, bucket).max(axis=1)  # nan stays nan
    points = [Point("latency_ms", float(v) * 1e3, i * bucket * stride)
              for i, v in enumerate(peaks) if math.isfinite(v)]
    per_point = bucket * stride
    if per_point == 1:
        note = f"every inference ({len(points):,} points)"
    else:
        note = (f"max of each {per_point:,} consecutive inferences ({len(points):,} points for "
                f"{r.latency.count:,} inferences)")
    return points, note


def fallback(r: RunRecord) -> str:
    if r.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR):
        return "all on CPU"
    if r.warnings_of(WarningKind.PARTIAL_FALLBACK):
        return "partial"
    return "none" if r.measured else "unknown"


def _start_ms(r: RunRecord) -> int:
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(r.created_utc)
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp() * 1000)


def to_mlflow(r: RunRecord, record_id: str, fingerprint: str, name: str) -> MlflowRunData:
    """The MLflow run for record `record_id` (its content hash `fingerprint`), shown as `name`."""
    figures, why = _figures(r)
    series, series_note = latency_series(r)
    stamp = _start_ms(r)
    metrics = [Point(k, v) for k, v in figures.items() if v is not None] + series
    tags = {
        TAG_STATUS: r.status.value, "fallback": fallback(r), "precision": r.precision or "not measured",
        TAG_TARGET: r.target_id, "host": r.host.hostname,
        TAG_FINGERPRINT: fingerprint, TAG_RECORD_ID: record_id, TAG_MODEL_SHA: r.model.sha256 or "",
        TAG_HOST: r.host.hostname, "aipcprof.tool_version": __version__,
        "aipcprof.latency_series": series_note,
        "mlflow.runName": name,
    }
    if why:
        tags["aipcprof.missing"] = "; ".join(f"{k}: {v}" for k, v in why.items())
    if r.error is not None:
        tags["error"] = r.error.message
    if r.status is not RunStatus.COMPLETED:
        tags["aipcprof.partial"] = "the run did not complete; its figures cover what was measured"
    return MlflowRunData(experiment=r.model.display_name, run_name=name, params=_params(r), metrics=metrics,
                         tags={safe_key(k): _text(v, MAX_TAG_CHARS) for k, v in tags.items()}, timestamp_ms=stamp)


def published_copy(r: RunRecord) -> RunRecord:
    """The record as it goes on the server: the local path it was imported from stays on this machine."""
    out = r.copy()
    if out.history is not None:
        out.history = dataclasses.replace(out.history, imported_from=None)
    return out
