"""The History tab's "Team server" source against a real MLflow server: list, pull, compare two hosts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from app.record.history import RunHistory  # noqa: E402
from app.record.schema import RunStatus  # noqa: E402
from app.team.publish import publish_runs  # noqa: E402
from app.views.compare_tables import RUN_COLUMNS  # noqa: E402
from tests.gui.conftest import load_model, settings, window  # noqa: E402,F401  (fixtures)
from tests.team.test_publish_pull import _real_run  # noqa: E402

HOSTS = ("snapdragon-x-laptop", "core-ultra-desktop")


@pytest.fixture(scope="module")
def published(mlflow_server, zoo, tmp_path_factory) -> list:
    """Two real conv_net runs published from two 'machines' (history folders with their own host names)."""
    records = []
    for i, host in enumerate(HOSTS):
        r = _real_run(zoo["conv_net"], i + 1)
        r.host = dataclasses.replace(r.host, hostname=host)
        history = RunHistory(tmp_path_factory.mktemp(f"machine{i}"))
        assert publish_runs(history, [history.add(r).id], mlflow_server.uri).published
        records.append(r)
    return records


def test_team_source_lists_pulls_and_compares_two_hosts(qtbot, window, mlflow_server, published, zoo):  # noqa: F811
    load_model(qtbot, window, zoo["conv_net"])
    panel = window.team_panel
    window.history_sources.setCurrentWidget(panel)
    panel.uri.setText(mlflow_server.uri)
    panel.list_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=30_000)
    assert {panel.table.item(r, 1).text() for r in range(2)} == set(HOSTS)
    assert "sha256" in panel.scope.text() and "2 runs from 2 machines" in panel.status.text()

    panel.select_all()
    with qtbot.waitSignal(window.history_controller.comparison_shown, timeout=30_000) as shown:
        panel.compare_button.click()
    assert shown.args == [2]
    view = window.compare_view
    assert sorted(r.host.hostname for r in view.records) == sorted(HOSTS)
    for r in view.records:
        original = next(p for p in published if p.host.hostname == r.host.hostname)
        assert r.latency.p50 == original.latency.p50 and r.status is RunStatus.COMPLETED
    host_col = [h for _, h in RUN_COLUMNS].index("Host")
    assert {view.table.item(r, host_col).text() for r in range(view.table.rowCount())} >= set(HOSTS)
    assert "Pulled 2 new runs" in panel.status.text()
    assert len(window.history.list()) == 2  # in the local history now


def test_an_unreachable_server_is_an_inline_line_and_the_window_stays_responsive(qtbot, window):  # noqa: F811
    from tests.team.mlflow_server import free_port

    panel = window.team_panel
    panel.uri.setText(f"http://127.0.0.1:{free_port()}")
    panel.list_button.click()
    qtbot.waitUntil(lambda: "Could not list the runs" in panel.status.text(), timeout=15_000)
    assert "unreachable" in panel.status.text() and panel.list_button.isEnabled()


def test_publish_from_this_pc_goes_off_the_gui_thread_to_the_server(qtbot, window, mlflow_server, tmp_path):  # noqa: F811
    from app.record.history import fingerprint
    from app.team import mapping as mp
    from app.team.server import client
    from tests.report.conftest import make_record

    record = make_record(host="gui-publisher", seed=7)
    entry = window.history.add(record)
    window.history_controller.refresh(select=[entry.id])
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.selected_ids() == [entry.id], timeout=10_000)
    window.team_panel.uri.setText(mlflow_server.uri)
    assert panel.buttons["publish"].isEnabled()
    panel.buttons["publish"].click()
    c = client(mlflow_server.uri)
    where = f"tags.`{mp.TAG_FINGERPRINT}` = '{fingerprint(record)}' and tags.`{mp.TAG_COMPLETE}` = 'complete'"

    def published() -> bool:
        exp = c.get_experiment_by_name("m.onnx")
        return exp is not None and len(c.search_runs([exp.experiment_id], where)) == 1

    qtbot.waitUntil(published, timeout=60_000)
    # the same three artifacts as `aipcprof history publish`: the PNG was drawn in a spawned process
    exp = c.get_experiment_by_name("m.onnx")
    run = c.search_runs([exp.experiment_id], where)[0]
    assert {mp.RECORD_ARTIFACT, mp.REPORT_ARTIFACT, mp.PNG_ARTIFACT} <= {a.path for a in c.list_artifacts(run.info.run_id)}
    png = Path(c.download_artifacts(run.info.run_id, mp.PNG_ARTIFACT, str(tmp_path)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    assert QImage(str(png)).size().toTuple() == (1600, 1000)


def test_opening_another_model_lists_its_runs_on_the_same_server(qtbot, window, mlflow_server, published, zoo):  # noqa: F811
    panel = window.team_panel
    window.views.setCurrentWidget(window.history_sources)
    window.history_sources.setCurrentWidget(panel)
    panel.uri.setText(mlflow_server.uri)
    panel.list_button.click()  # no model open: every model's runs
    qtbot.waitUntil(lambda: "every model" in panel.scope.text() and panel.table.rowCount() >= 2, timeout=30_000)
    load_model(qtbot, window, zoo["single_add"])  # nothing of it on the server
    qtbot.waitUntil(lambda: "single_add" in panel.scope.text(), timeout=30_000)
    assert panel.table.rowCount() == 0 and "No runs on" in panel.status.text()


def test_an_import_brings_this_pc_in_front(qtbot, window, tmp_path):  # noqa: F811
    from app.record import io as rec
    from tests.report.conftest import make_record

    path = rec.save(make_record(host="elsewhere"), tmp_path / "run.json")
    window.history_sources.setCurrentWidget(window.team_panel)
    with qtbot.waitSignal(window.runs_imported, timeout=15_000):
        window.history_controller.import_runs([str(path)])
    assert window.history_sources.currentWidget() is window.history_panel
