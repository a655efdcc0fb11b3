"""The History tab: import (menu or drop), rename, delete with undo, reveal; bad run files fail inline."""

from __future__ import annotations

import json

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QDesktopServices

from app.record.history import RunHistory
from tests.gui.conftest import history_files
from tests.gui.test_window import _drop


def _import(qtbot, window, paths) -> tuple[list, list]:
    with qtbot.waitSignal(window.runs_imported, timeout=20_000) as blocker:
        window.history_controller.import_runs([str(p) for p in paths])
    return blocker.args


def test_import_rename_delete_undo(qtbot, window, two_runs, data_dir):
    with qtbot.waitSignal(window.comparison_shown, timeout=20_000):  # 2+ runs imported: compared at once
        done, errors = _import(qtbot, window, two_runs)
    assert len(done) == 2 and errors == []
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10_000)
    assert len(history_files(data_dir)) == 2  # copies in $AIPCPROF_DATA_DIR/runs, nowhere else
    assert window.compare_view.table.rowCount() == 2

    run_id = done[0].id
    item = panel.table.item(panel.row_of(run_id), 0)
    with qtbot.waitSignal(window.history_changed, timeout=10_000):
        item.setText("CPU baseline")  # what an in-place edit does
    assert panel.table.item(panel.row_of(run_id), 0).text() == "CPU baseline"
    assert {e.id: e.display_name for e in RunHistory().list()}[run_id] == "CPU baseline"

    panel.select_ids([run_id])
    with qtbot.waitSignal(window.history_changed, timeout=10_000):
        panel.buttons["delete"].click()
    assert panel.table.rowCount() == 1 and panel.row_of(run_id) == -1
    assert len(history_files(data_dir)) == 1
    assert not panel.undo_banner.isHidden() and "Deleted 1 run" in panel.undo_banner.text()
    with qtbot.waitSignal(window.history_changed, timeout=10_000):
        panel.undo_banner.action.click()
    assert panel.table.rowCount() == 2
    restored = panel.row_of(run_id)
    assert restored >= 0 and panel.table.item(restored, 0).text() == "CPU baseline"  # the name came back too


def test_bad_run_files_dropped_fail_inline(qtbot, window, two_runs, tmp_path):
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"schema": "aipcprof.run", "schema_version": 1, "late', encoding="utf-8")
    future = tmp_path / "future.json"
    data = json.loads(two_runs[0].read_text(encoding="utf-8"))
    data["schema_version"] = 99
    future.write_text(json.dumps(data), encoding="utf-8")
    with qtbot.waitSignal(window.runs_imported, timeout=20_000) as blocker:
        assert _drop(window, future)
    done, errors = blocker.args
    assert done == [] and len(errors) == 1
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "future.json" in window.banner.text() and "newer" in window.banner.text()
    with qtbot.waitSignal(window.runs_imported, timeout=20_000) as blocker:
        assert _drop(window, corrupt)
    assert "corrupt.json" in window.banner.text() and "not valid JSON" in window.banner.text()
    assert window.isVisible()
    done, _ = _import(qtbot, window, [two_runs[1]])  # still alive and importing
    assert len(done) == 1
    qtbot.waitUntil(lambda: window.history_panel.table.rowCount() == 1, timeout=10_000)


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list = []

    @Slot("QUrl")
    def open(self, url) -> None:  # noqa: A003 - QDesktopServices calls this slot by name
        self.urls.append(url)


def test_reveal_opens_the_history_folder(qtbot, window, data_dir):
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        window.history_panel.buttons["reveal"].click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in catcher.urls] == [str(data_dir / "runs")]


def test_panel_formats_seconds_and_shows_a_dash_for_missing(qtbot):
    from app.common import fmt
    from app.record.history import HistoryEntry, UnreadableRun
    from app.record.schema import RunStatus
    from app.views.history_panel import HistoryPanel

    panel = HistoryPanel()
    qtbot.addWidget(panel)
    fast = HistoryEntry(id="a", file="a.json", display_name="fast", p50_s=0.0123, throughput_per_s=1234.5,
                        created_utc="2026-01-02T03:04:05+00:00")
    failed = HistoryEntry(id="b", file="b.json", display_name="failed", status=RunStatus.FAILED)
    panel.set_entries([fast, failed], [UnreadableRun(id="c", file="c.json", reason="<b>not JSON</b>")])
    row = {e.id: panel.row_of(e.id) for e in (fast, failed)}
    cells = {i: [panel.table.item(r, c).text() for c in range(panel.table.columnCount())] for i, r in row.items()}
    assert cells["a"][4:7] == ["12.30 ms", "1,234/s", "completed"]  # p50_s is in seconds
    assert cells["b"][4:7] == [fmt.PENDING, fmt.PENDING, "failed"]
    assert panel.unreadable.text().endswith("c.json: <b>not JSON</b>")  # shown as is: plain text
