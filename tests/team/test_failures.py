"""Failure is normal: a hung server, auth refused, nobody listening, no MLflow, no server named.

Real sockets and HTTP servers on 127.0.0.1 stand in for the bad servers; the
run stays in the history, the publish is queued, the user gets one line.
"""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.cli import main
from app.record.history import RunHistory
from app.team.pending import PENDING_FILE, PendingQueue
from app.team.server import INSTALL_HINT, resolve, save_uri
from tests.report.conftest import make_record
from tests.team.mlflow_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stored(data_dir) -> str:
    """One run in the (empty) history of this test's data folder: its id."""
    return RunHistory(data_dir / "runs").add(make_record(host="laptop")).id


@pytest.fixture
def hung_server():
    """Accepts connections and reads, never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held, stop = [], threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    sock.close()


class _Refuses(http.server.BaseHTTPRequestHandler):
    def _deny(self):
        body = b'{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="mlflow"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _deny

    def log_message(self, *args):
        pass


@pytest.fixture
def auth_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_a_hung_server_times_out_and_the_publish_is_queued(stored, hung_server, monkeypatch, capsys, data_dir):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    t0 = time.monotonic()
    assert main(["history", "publish", stored, "--to", hung_server]) == 1
    assert time.monotonic() - t0 < 8  # one request's timeout (1 s), not MLflow's retries for minutes
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "timed out" in err[0] and "--pending" in err[0], err
    (item,) = PendingQueue(data_dir / "runs").items()
    assert item.run_id == stored and item.uri == hung_server and item.tries == 1 and "timed out" in item.reason
    assert main(["history", "publish", "--pending"]) == 1  # still hung: still queued, one more try counted
    assert PendingQueue(data_dir / "runs").items()[0].tries == 2
    assert RunHistory(data_dir / "runs").get(stored).host.hostname == "laptop"  # the run is kept


def test_auth_refused_is_said_in_one_line(stored, auth_server, capsys, data_dir):
    assert main(["history", "publish", stored, "--to", auth_server]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "auth refused" in line and "HTTP 401" in line and "MLFLOW_TRACKING_USERNAME" in line
    assert [p.run_id for p in PendingQueue(data_dir / "runs").items()] == [stored]


def test_nobody_listening_is_unreachable_and_every_run_is_queued(data_dir, capsys):
    history = RunHistory(data_dir / "runs")
    ids = [history.add(make_record(host=h, seed=i)).id for i, h in enumerate(("a", "b", "c"))]
    uri = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    assert main(["history", "publish", *ids, "--to", uri]) == 1
    assert time.monotonic() - t0 < 5
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all("unreachable" in line for line in lines)
    assert sorted(p.run_id for p in PendingQueue(history.root).items()) == sorted(ids)


def _without_mlflow(*argv: str, env_dir: Path) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter where `import mlflow` fails, as it does without the extra."""
    code = ("import sys; sys.modules['mlflow'] = None\n"
            "from app.cli import main\nsys.exit(main(sys.argv[1:]))")
    env = {"PATH": "/usr/bin:/bin", "AIPCPROF_DATA_DIR": str(env_dir), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


@pytest.mark.parametrize("argv", [("history", "publish", "X", "--to", "http://127.0.0.1:1"),
                                  ("history", "publish", "--pending"),
                                  ("history", "pull", "--from", "http://127.0.0.1:1"),
                                  ("run", "MODEL", "--publish", "http://127.0.0.1:1", "-n", "5")])
def test_without_mlflow_every_option_says_how_to_get_it(argv, tmp_path):
    from app.common import assets

    argv = [str(assets.path(assets.SAMPLE_MODEL)) if a == "MODEL" else a for a in argv]
    p = _without_mlflow(*argv, env_dir=tmp_path)
    assert p.returncode == 2, p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert INSTALL_HINT in line and "Traceback" not in p.stderr
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").glob("*.json"))  # nothing was run


def test_no_server_named_is_one_line(stored, capsys):
    assert main(["history", "publish", stored]) == 2
    err = capsys.readouterr().err
    assert "no tracking server given" in err and "MLFLOW_TRACKING_URI" in err


def test_the_server_comes_from_the_option_then_the_environment_then_the_setting(monkeypatch, capsys):
    save_uri("http://saved:5000")
    assert resolve(None).uri == "http://saved:5000" and resolve(None).source == "setting"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert resolve(None).uri == "http://env:5000"
    assert resolve("http://opt:5000").uri == "http://opt:5000"
    assert main(["history", "server"]) == 0
    out = capsys.readouterr().out
    assert "http://saved:5000" in out and "overrides" in out


def test_a_broken_queue_file_is_set_aside_not_lost(data_dir, caplog):
    root = data_dir / "runs"
    root.mkdir(parents=True)
    (root / PENDING_FILE).write_text("{not json")
    queue = PendingQueue(root)
    assert queue.items() == []
    assert (root / (PENDING_FILE + ".broken")).read_text() == "{not json"
    queue.add("r1", "http://x", "unreachable")
    data = json.loads((root / PENDING_FILE).read_text())
    assert data["items"][0]["run_id"] == "r1"
    assert RunHistory(root).unreadable() == []  # the queue is not taken for a run file


def test_team_options_belong_to_their_action(capsys):
    assert main(["history", "list", "--to", "http://x"]) == 2
    assert "--to belongs to `history publish`" in capsys.readouterr().err


def test_run_publish_to_a_server_that_is_down_keeps_the_run_and_queues_it(zoo, data_dir, capsys):
    uri = f"http://127.0.0.1:{free_port()}"
    argv = ["run", str(zoo["single_add"]), "-n", "20", "--warmup", "2", "--quiet", "--no-telemetry",
            "--publish", uri]
    assert main(argv) == 0  # the run itself succeeded: its exit status stands
    err = capsys.readouterr().err
    (entry,) = RunHistory(data_dir / "runs").list()
    assert f"run kept in the history as {entry.id}" in err
    (line,) = [x for x in err.splitlines() if "publish of" in x]
    assert "unreachable" in line and "queued" in line
    assert [(p.run_id, p.uri) for p in PendingQueue(data_dir / "runs").items()] == [(entry.id, uri)]


def test_processes_queueing_at_once_lose_no_item(data_dir):
    root = data_dir / "runs"
    code = ("import sys\nfrom app.team.pending import PendingQueue\n"
            "for i in range(5):\n    PendingQueue(sys.argv[1]).add(f'{sys.argv[2]}-{i}', 'http://x', 'unreachable')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root), f"p{n}"], cwd=ROOT) for n in range(8)]
    assert all(p.wait(120) == 0 for p in procs)
    items = PendingQueue(root).items()
    assert sorted(p.run_id for p in items) == sorted(f"p{n}-{i}" for n in range(8) for i in range(5))
    assert not (root / "publish-pending.lock").exists()
