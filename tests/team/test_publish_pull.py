"""Publish from two machines to a real MLflow server, pull into a third, compare (docs/team.md).

The records are real ort/cpu runs; the two "machines" are two history folders
whose records carry different host names (one PC runs the tests).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from app.cli import main
from app.record.history import RunHistory, fingerprint
from app.record.schema import RunRecord, RunStatus
from app.report.comparison import compare_rows
from app.team import mapping as mp
from app.team.pending import PendingQueue
from app.team.publish import find_run, publish_pending, publish_runs
from app.team.pull import list_runs, pull_runs
from app.team.server import Failure, client


def _real_run(model_path, threads: int) -> RunRecord:
    from app.run.runner import ProfileRun
    from app.run.runspec import RunSpec

    run = ProfileRun(RunSpec(model_path=str(model_path), target_id="ort/cpu", warmup=2, iterations=40,
                             threads=threads))
    run.start()
    try:
        record = run.wait()
    finally:
        run.close()
    assert record.status is RunStatus.COMPLETED, record.error
    return record


@pytest.fixture(scope="module")
def machine_records(zoo) -> dict[str, RunRecord]:
    """Two real runs standing for two machines: the host name is what tells them apart."""
    out = {}
    for host, threads in (("snapdragon-laptop", 1), ("ryzen-desktop", 2)):
        r = _real_run(zoo["conv_net"], threads)
        r.host = dataclasses.replace(r.host, hostname=host)
        out[host] = r
    return out


def _server_runs_with(c, record: RunRecord) -> list:
    exp = c.get_experiment_by_name(record.model.display_name)
    return list(c.search_runs([exp.experiment_id], f"tags.`{mp.TAG_FINGERPRINT}` = '{fingerprint(record)}'"))


def test_two_machines_publish_a_third_pulls_and_compares(mlflow_server, machine_records, tmp_path, monkeypatch,
                                                         capsys):
    uri = mlflow_server.uri
    for i, (host, record) in enumerate(machine_records.items()):
        history = RunHistory(tmp_path / f"machine{i}")
        entry = history.add(record, name=f"conv on {host}")
        report = publish_runs(history, [entry.id], uri)
        assert [p.run_id for p in report.published] == [entry.id] and not report.queued

    c = client(uri)
    sha = next(iter(machine_records.values())).model.sha256
    listed = list_runs(c, model=sha[:12])
    assert {r.host for r in listed} >= set(machine_records)
    for r in listed:
        assert r.experiment == "conv_net.onnx" and r.model_sha256 == sha

    # The third machine pulls through the command line, from $MLFLOW_TRACKING_URI.
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(tmp_path / "machine3"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main(["history", "pull", "--model", "conv_net.onnx"]) == 0
    out = capsys.readouterr().out
    assert out.count("pulled ") == len(listed), out
    third = RunHistory(tmp_path / "machine3" / "runs")
    by_host = {e.host: e for e in third.list()}
    assert set(machine_records) <= set(by_host)

    records = [third.get(by_host[h].id) for h in machine_records]
    for original, pulled in zip(machine_records.values(), records):
        assert fingerprint(pulled) == fingerprint(original)  # every figure intact, to the bit
        assert pulled.history.imported_from.startswith(uri)
    rows = compare_rows(records, [by_host[h].display_name for h in machine_records])
    assert [row.host for row in rows] == list(machine_records)
    for row, original in zip(rows, machine_records.values()):
        assert row.p50_ms == pytest.approx(original.latency.p50 * 1e3, rel=1e-12)
        assert row.throughput_per_s == pytest.approx(original.latency.throughput_per_s, rel=1e-12)
        assert row.inferences == original.latency.count == 40

    # Pulling again stores nothing twice.
    assert main(["history", "pull", "--from", uri]) == 0
    assert "already here" in capsys.readouterr().out
    assert len(third.list()) == len(by_host)


def test_the_mlflow_run_holds_the_figures_params_tags_and_artifacts(mlflow_server, machine_records, tmp_path):
    record = machine_records["snapdragon-laptop"]
    history = RunHistory(tmp_path / "h")
    entry = history.add(record)
    publish_runs(history, [entry.id], mlflow_server.uri)
    c = client(mlflow_server.uri)
    (run,) = _server_runs_with(c, record)
    m, p, t = run.data.metrics, run.data.params, run.data.tags
    assert m["latency_p50_ms"] == pytest.approx(record.latency.p50 * 1e3)
    assert m["latency_p99_ms"] == pytest.approx(record.latency.p99 * 1e3)
    assert m["throughput_per_s"] == pytest.approx(record.latency.throughput_per_s)
    assert "energy_mj_per_inference" not in m  # not measured here: missing, never 0
    assert "energy" in t["aipcprof.missing"]
    assert p["target"] == "ort/cpu" and p["host"] == "snapdragon-laptop" and p["settings.threads"] == "1"
    assert p["versions.onnxruntime"] == record.versions["onnxruntime"]
    assert t["status"] == "completed" and t["precision"] == record.precision and t["fallback"] == "none"
    assert t[mp.TAG_RECORD_ID] == entry.id and t[mp.TAG_COMPLETE] == "complete"
    assert run.info.status == "FINISHED"
    series = c.get_metric_history(run.info.run_id, "latency_ms")
    assert len(series) == record.latency.count == 40  # fewer than MAX_SERIES_POINTS: every inference
    assert series[3].value == pytest.approx(record.latency.samples[3] * 1e3)
    names = {f.path for f in c.list_artifacts(run.info.run_id)}
    assert {mp.RECORD_ARTIFACT, mp.REPORT_ARTIFACT} <= names


def test_republishing_updates_the_same_run(mlflow_server, machine_records, tmp_path):
    record = machine_records["ryzen-desktop"].copy()
    record.host = dataclasses.replace(record.host, hostname="republish-host")  # a record no other test publishes
    h1, h2 = RunHistory(tmp_path / "one"), RunHistory(tmp_path / "two")
    e1 = h1.add(record)
    first = publish_runs(h1, [e1.id], mlflow_server.uri).published[0]
    h1.rename(e1.id, "renamed after publishing")
    again = publish_runs(h1, [e1.id], mlflow_server.uri).published[0]
    c = client(mlflow_server.uri)
    (run,) = _server_runs_with(c, record)
    assert run.data.tags["mlflow.runName"] == "renamed after publishing"  # the name is updated
    e2 = h2.add(record)  # the same record, from another history folder
    other = publish_runs(h2, [e2.id], mlflow_server.uri).published[0]
    assert not first.updated and again.updated and other.updated
    assert first.server_run_id == again.server_run_id == other.server_run_id
    (run,) = _server_runs_with(c, record)  # still one run
    assert len(c.get_metric_history(run.info.run_id, "latency_ms")) == record.latency.count  # not doubled


class _StopsServerOnUpload:
    """The real client; the server is taken down just before the artifacts go up (mid-publish)."""

    def __init__(self, real, server) -> None:
        self._real, self._server = real, server

    def __getattr__(self, name):
        return getattr(self._real, name)

    def log_artifacts(self, *args, **kwargs):
        self._server.stop()
        return self._real.log_artifacts(*args, **kwargs)


def test_server_stopped_mid_publish_keeps_and_queues_the_run_then_retry_publishes_once(
        mlflow_server, zoo, tmp_path):
    record = _real_run(zoo["conv_net"], 1)
    record.host = dataclasses.replace(record.host, hostname="dev-kit")
    history = RunHistory(tmp_path / "h")
    entry = history.add(record)
    uri = mlflow_server.uri
    try:
        report = publish_runs(history, [entry.id], uri, client=_StopsServerOnUpload(client(uri), mlflow_server))
    finally:
        mlflow_server.start()  # same port, same store
    assert not report.published and [q[0] for q in report.queued] == [entry.id]
    assert Failure.UNREACHABLE.value in report.queued[0][1]
    assert history.get(entry.id).latency.p50 == record.latency.p50  # the local run is kept
    assert [(p.run_id, p.uri) for p in PendingQueue(history.root).items()] == [(entry.id, uri)]

    c = client(uri)
    (half,) = _server_runs_with(c, record)  # created before the stop, not complete
    assert mp.TAG_COMPLETE not in half.data.tags

    (retry,) = publish_pending(history)
    assert [p.run_id for p in retry.published] == [entry.id] and retry.published[0].updated
    assert PendingQueue(history.root).items() == []
    (run,) = _server_runs_with(c, record)  # exactly one MLflow run
    assert run.info.run_id == half.info.run_id and run.data.tags[mp.TAG_COMPLETE] == "complete"
    assert len(c.get_metric_history(run.info.run_id, "latency_ms")) == record.latency.count
    assert publish_pending(history) == []  # nothing left to retry


def test_a_hostile_record_on_the_server_is_rejected_and_the_rest_pulled(mlflow_server, machine_records, tmp_path,
                                                                        capsys):
    c = client(mlflow_server.uri)
    exp = c.get_experiment_by_name("hostile.onnx") or c.create_experiment("hostile.onnx")
    exp_id = exp if isinstance(exp, str) else exp.experiment_id
    good = machine_records["snapdragon-laptop"].to_json()
    bad_type = {**good, "latency": {**good["latency"], "p50": "fast"}}
    docs = {"bad_type": json.dumps(bad_type),  # a wrong type deep inside
            "deep": '{"schema": "aipcprof.run", "x": ' + "[" * 5000 + "]" * 5000 + "}",  # a nesting bomb
            "not_json": "<html>login</html>"}  # what a proxy's login page looks like
    for name, text in docs.items():
        run = c.create_run(exp_id, tags={mp.TAG_COMPLETE: "complete", mp.TAG_FINGERPRINT: name})
        path = tmp_path / "art" / name / mp.RECORD_ARTIFACT
        path.parent.mkdir(parents=True)
        path.write_text(text)
        c.log_artifact(run.info.run_id, str(path))
    history = RunHistory(tmp_path / "third")
    report = pull_runs(history, c, mlflow_server.uri, model="hostile.onnx")
    assert report.added == [] and len(report.rejected) == 3
    for server_run_id, line in report.rejected:
        assert line.startswith(f"MLflow run {server_run_id}: ") and "aipcprof-pull-" not in line  # no temp path
    assert any("latency.p50" in line for _, line in report.rejected)
    assert history.list() == [] and history.unreadable() == []  # nothing of them stored

    assert main(["history", "pull", "--from", mlflow_server.uri, "--model", "hostile.onnx"]) == 1
    err = capsys.readouterr().err
    assert err.count("rejected MLflow run") == 3 and "Traceback" not in err


def test_existing_run_found_by_fingerprint(mlflow_server, machine_records, tmp_path):
    record = machine_records["snapdragon-laptop"]
    history = RunHistory(tmp_path / "h")
    entry = history.add(record)
    published = publish_runs(history, [entry.id], mlflow_server.uri).published[0]
    c = client(mlflow_server.uri)
    exp = c.get_experiment_by_name(record.model.display_name)
    assert find_run(c, exp.experiment_id, fingerprint(record)).info.run_id == published.server_run_id
    assert find_run(c, exp.experiment_id, "0" * 64) is None


def test_run_publish_keeps_the_run_and_publishes_it_with_the_reports(mlflow_server, zoo, data_dir, capsys):
    argv = ["run", str(zoo["single_add"]), "-n", "25", "--warmup", "2", "--quiet", "--no-telemetry",
            "--json", "--publish", mlflow_server.uri]
    assert main(argv) == 0
    captured = capsys.readouterr()
    record = RunRecord.from_json(json.loads(captured.out))  # stdout stays the record alone with --json
    (entry,) = RunHistory(data_dir / "runs").list()
    assert f"run kept in the history as {entry.id}" in captured.err and "published" in captured.err
    c = client(mlflow_server.uri)
    (run,) = _server_runs_with(c, record)
    names = {f.path: f for f in c.list_artifacts(run.info.run_id)}
    assert {mp.RECORD_ARTIFACT, mp.REPORT_ARTIFACT, mp.PNG_ARTIFACT} <= set(names)
    png = Path(c.download_artifacts(run.info.run_id, mp.PNG_ARTIFACT, str(data_dir)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
