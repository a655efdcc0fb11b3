"""Fixtures for the team tests (docs/team.md): a real MLflow tracking server, an empty data folder.

The server (tests/team/mlflow_server.py) starts once per module (it takes
several seconds) and is stopped in teardown. Skipped where MLflow is not
installed (it is in the `test` extra).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlflow", reason="the team tests need MLflow (pip install aipc-profiler[test])")

from tests.team.mlflow_server import MlflowServer  # noqa: E402


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty user data folder; no MLFLOW_TRACKING_URI from the environment; short request timeouts."""
    d = tmp_path / "data"
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(d))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return d
