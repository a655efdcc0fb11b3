"""Publish stored runs to an MLflow tracking server; queue the ones that fail.

Idempotent: the MLflow run of a record is found by the tag
`aipcprof.fingerprint` (the record's content hash, app.record.history.fingerprint),
set when the run is created, so a republish, a retry after a failure half-way,
or the same record published from two machines updates one MLflow run. A run
whose publish completed (tag `aipcprof.published` = complete) gets only its
tags and artifacts again (the name may have changed); one left half-way gets
everything again: params and tags are set to the same values, and every metric
point carries the run's start time as timestamp, so the server's store drops
the points it already has instead of doubling them.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.record import io as rec
from app.record.history import RunHistory, default_name, fingerprint
from app.record.schema import RunRecord, RunStatus
from app.report.html import render_report
from app.team import mapping as mp
from app.team.pending import PendingQueue
from app.team.server import Failure, ServerError, classify
from app.team.server import client as open_client

log = logging.getLogger(__name__)
PngRenderer = Callable[[RunRecord, str, Path], None]  # record, name, where to write the PNG
_BATCH = 100  # params / tags per log_batch call (MLflow's limit)
_METRIC_BATCH = 1000
_END_STATUS = {RunStatus.COMPLETED: "FINISHED", RunStatus.CANCELLED: "KILLED"}  # anything else: FAILED


@dataclass
class Published:
    run_id: str  # the local history id
    server_run_id: str
    updated: bool  # True: the server already had this run (updated, not duplicated)


@dataclass
class PublishReport:
    uri: str
    published: list[Published] = field(default_factory=list)
    queued: list[tuple[str, str]] = field(default_factory=list)  # (run id, why it failed: one line)


def _experiment_id(client: Any, name: str, model_sha: str | None) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is None:
        try:
            return client.create_experiment(name, tags={mp.TAG_MODEL_SHA: model_sha or ""})
        except Exception:  # another machine created it in between: take theirs
            exp = client.get_experiment_by_name(name)
            if exp is None:
                raise
    return exp.experiment_id


def find_run(client: Any, experiment_id: str, fp: str) -> Any | None:
    """The server's run of the record with content hash `fp`, or None."""
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{mp.TAG_FINGERPRINT}` = '{fp}'",
                              max_results=2)
    return runs[0] if runs else None


def _log_all(client: Any, run_id: str, data: mp.MlflowRunData) -> None:
    from mlflow.entities import Metric, Param

    params = [Param(k, v) for k, v in data.params.items()]
    for i in range(0, len(params), _BATCH):
        client.log_batch(run_id, params=params[i:i + _BATCH])
    metrics = [Metric(p.key, p.value, data.timestamp_ms, p.step) for p in data.metrics]
    for i in range(0, len(metrics), _METRIC_BATCH):
        client.log_batch(run_id, metrics=metrics[i:i + _METRIC_BATCH])
    _log_tags(client, run_id, data.tags)


def _log_tags(client: Any, run_id: str, tags: dict[str, str]) -> None:
    from mlflow.entities import RunTag

    items = [RunTag(k, v) for k, v in tags.items()]
    for i in range(0, len(items), _BATCH):
        client.log_batch(run_id, tags=items[i:i + _BATCH])


def _artifacts(client: Any, run_id: str, record: RunRecord, name: str, png: PngRenderer | None) -> None:
    with tempfile.TemporaryDirectory(prefix="aipcprof-publish-") as tmp:
        folder = Path(tmp)
        (folder / mp.RECORD_ARTIFACT).write_text(rec.dumps(mp.published_copy(record)) + "\n", encoding="utf-8")
        (folder / mp.REPORT_ARTIFACT).write_text(render_report([record], [name]), encoding="utf-8")
        if png is not None:
            try:
                png(record, name, folder / mp.PNG_ARTIFACT)
            except Exception as e:  # the picture is a convenience: the record and the HTML report still go up
                log.warning("no %s for %s: %s: %s", mp.PNG_ARTIFACT, name, e.__class__.__name__, e)
        client.log_artifacts(run_id, str(folder))


def publish_record(client: Any, record: RunRecord, record_id: str, *, png: PngRenderer | None = None) -> Published:
    """Log one record (see the module doc); MLflow / HTTP exceptions pass through to the caller."""
    fp = fingerprint(record)
    name = (record.history.name if record.history else "") or default_name(record)
    data = mp.to_mlflow(record, record_id, fp, name)
    exp_id = _experiment_id(client, data.experiment, record.model.sha256)
    run = find_run(client, exp_id, fp)
    existed = run is not None
    if run is None:
        run = client.create_run(exp_id, start_time=data.timestamp_ms or None, run_name=name,
                                tags={k: data.tags[k] for k in (mp.TAG_FINGERPRINT, mp.TAG_RECORD_ID)})
    server_id, complete = run.info.run_id, run.data.tags.get(mp.TAG_COMPLETE) == "complete"
    if complete:
        _log_tags(client, server_id, data.tags)
    else:
        _log_all(client, server_id, data)
    _artifacts(client, server_id, record, name, png)
    client.set_tag(server_id, mp.TAG_COMPLETE, "complete")
    client.set_terminated(server_id, _END_STATUS.get(record.status, "FAILED"))
    return Published(record_id, server_id, updated=existed)


def publish_runs(history: RunHistory, run_ids: list[str], uri: str, *, png: PngRenderer | None = None,
                 client: Any = None) -> PublishReport:
    """Publish each run; one that fails is queued (PendingQueue) with the reason, the others go on.

    A server that cannot be reached at all fails every run the same way: after the
    first such failure the rest are queued without trying (no N timeouts in a row).
    """
    ids = [history.resolve(i) for i in run_ids]  # every id checked before anything is sent
    records = {i: history.get(i) for i in ids}  # an unreadable record is a UserError now, not a queued publish
    client = client if client is not None else open_client(uri)
    queue, report = PendingQueue(history.root), PublishReport(uri)
    down: ServerError | None = None
    for run_id in ids:
        if down is not None:
            queue.add(run_id, uri, down.line)
            report.queued.append((run_id, down.line))
            continue
        try:
            report.published.append(publish_record(client, records[run_id], run_id, png=png))
        except Exception as e:  # MlflowException, requests errors: a normal failure, the run stays queued
            err = e if isinstance(e, ServerError) else classify(e, uri)
            queue.add(run_id, uri, err.line)
            report.queued.append((run_id, err.line))
            down = err if err.kind is not Failure.SERVER else None  # one bad record does not stop the rest
            continue
        queue.remove(run_id, uri)
    return report


def publish_pending(history: RunHistory, *, png: PngRenderer | None = None, uri: str | None = None,
                    client_for: Callable[[str], Any] = open_client) -> list[PublishReport]:
    """Retry every queued publish (to the server each was meant for, or `uri` when given)."""
    by_uri: dict[str, list[str]] = {}
    queue = PendingQueue(history.root)
    for item in queue.items():
        if uri is not None and item.uri != uri:
            continue
        by_uri.setdefault(item.uri, []).append(item.run_id)
    reports = []
    known = {e.id for e in history.list()}
    for server_uri, ids in by_uri.items():
        gone = [i for i in ids if i not in known]  # deleted from the history since: nothing left to publish
        for run_id in gone:
            queue.remove(run_id, server_uri)
        live = [i for i in ids if i in known]
        if live:
            reports.append(publish_runs(history, live, server_uri, png=png, client=client_for(server_uri)))
    return reports
