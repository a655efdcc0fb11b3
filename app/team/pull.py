"""Runs on the tracking server: list them, and pull their records into the local history.

Only runs this tool published completely (tag `aipcprof.published` = complete)
are listed. Pulling reads the `record.json` artifact, and a server is as
untrusted as any file from elsewhere: the artifact's size is checked before it
is downloaded, and the record goes through app.record.io.load (schema,
version, types, nesting depth) exactly as `aipcprof history import` does. A
record that fails is rejected with one line naming the server run and the
reason, and nothing of it is stored; the others are pulled. The history keeps
no duplicates (same content hash: the existing run comes back).
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record import io as rec
from app.record.history import HistoryEntry, RunHistory
from app.team import mapping as mp
from app.team.server import classify

_SHA_RE = re.compile(r"^[0-9a-fA-F]{8,64}$")
PAGE = 500
MAX_LISTED = 5000  # runs listed from one server at most (a listing, not an export)


@dataclass(frozen=True)
class ServerRun:
    """A run on the tracking server, as the History tab's "Team server" source lists it."""

    server_run_id: str
    experiment: str  # the model's file name
    name: str
    host: str
    target: str
    status: str
    p50_s: float | None
    throughput_per_s: float | None
    created_ms: int
    fingerprint: str
    model_sha256: str


@dataclass
class PullReport:
    uri: str
    added: list[HistoryEntry] = field(default_factory=list)
    existing: list[HistoryEntry] = field(default_factory=list)  # already in the local history
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (server run id, one line why)


def _metric(run: Any, key: str, scale: float = 1.0) -> float | None:
    v = run.data.metrics.get(key)
    return float(v) * scale if isinstance(v, (int, float)) and math.isfinite(v) else None


def _server_run(run: Any, experiment: str) -> ServerRun:
    tags = run.data.tags
    return ServerRun(
        server_run_id=run.info.run_id, experiment=experiment, name=tags.get("mlflow.runName", run.info.run_id),
        host=tags.get(mp.TAG_HOST, ""), target=tags.get(mp.TAG_TARGET, ""), status=tags.get(mp.TAG_STATUS, ""),
        p50_s=_metric(run, "latency_p50_ms", 1e-3), throughput_per_s=_metric(run, "throughput_per_s"),
        created_ms=int(run.info.start_time or 0), fingerprint=tags.get(mp.TAG_FINGERPRINT, ""),
        model_sha256=tags.get(mp.TAG_MODEL_SHA, ""))


def _filter(model: str | None) -> tuple[str | None, str]:
    """(experiment name or None, run filter) for --model SHA|NAME."""
    done = f"tags.`{mp.TAG_COMPLETE}` = 'complete'"
    if model and _SHA_RE.match(model):
        return None, f"{done} and tags.`{mp.TAG_MODEL_SHA}` LIKE '{model.lower()}%'"
    return (model or None), done


def list_runs(client: Any, model: str | None = None) -> list[ServerRun]:
    """The server's runs published by this tool, newest first; `model`: a sha256 (prefix) or a file name."""
    name, where = _filter(model)
    if name is not None:
        exp = client.get_experiment_by_name(name)
        experiments = [exp] if exp is not None else []
    else:
        experiments = list(client.search_experiments(max_results=1000))
    names = {e.experiment_id: e.name for e in experiments}
    found: list[ServerRun] = []
    if not names:
        return found
    token = None
    while len(found) < MAX_LISTED:
        page = client.search_runs(list(names), filter_string=where, max_results=PAGE,
                                  order_by=["attributes.start_time DESC"], page_token=token)
        found += [_server_run(r, names.get(r.info.experiment_id, "")) for r in page]
        token = page.token
        if not token:
            break
    return found


def _fetch_record(client: Any, server_run_id: str, folder: Path):
    """The run's record.json, downloaded and validated; UserError naming the run when it is not a good one."""
    where = f"MLflow run {server_run_id}"
    files = {f.path: f for f in client.list_artifacts(server_run_id)}
    info = files.get(mp.RECORD_ARTIFACT)
    if info is None or info.is_dir:
        raise UserError(f"{where}: has no {mp.RECORD_ARTIFACT} artifact.")
    if info.file_size is not None and info.file_size > rec.MAX_RECORD_BYTES:
        raise UserError(f"{where}: {mp.RECORD_ARTIFACT} is {info.file_size / 2**20:.0f} MiB, over the "
                        f"{rec.MAX_RECORD_BYTES // 2**20} MiB limit of a run record.")
    path = Path(client.download_artifacts(server_run_id, mp.RECORD_ARTIFACT, str(folder)))
    try:
        return rec.load(path)
    except UserError as e:  # name the server run, not the temporary file
        raise UserError(f"{where}: {e.message.replace(str(path), mp.RECORD_ARTIFACT)}") from None


def pull_runs(history: RunHistory, client: Any, uri: str, *, model: str | None = None,
              server_run_ids: list[str] | None = None) -> PullReport:
    """Store the server's runs (all, a model's, or the given ones) in `history`.

    A network failure stops the pull (ServerError); a bad record is rejected and the pull goes on.
    """
    report = PullReport(uri)
    try:
        ids = server_run_ids if server_run_ids is not None else [r.server_run_id for r in list_runs(client, model)]
    except Exception as e:
        raise classify(e, uri) from None
    known = {e.fingerprint for e in history.list()}
    with tempfile.TemporaryDirectory(prefix="aipcprof-pull-") as tmp:
        for i, server_run_id in enumerate(ids):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            try:
                record = _fetch_record(client, server_run_id, folder)
            except UserError as e:
                report.rejected.append((server_run_id, e.message))
                continue
            except Exception as e:
                raise classify(e, uri) from None
            entry = history.add(record, imported_from=f"{uri} (MLflow run {server_run_id})")
            (report.existing if entry.fingerprint in known else report.added).append(entry)
            known.add(entry.fingerprint)
    return report
