"""Text from a model or a run record is shown literally, never as rich text.

A QLabel on Qt's default AutoText renders anything that looks like HTML: a model
named '<img src="/dev/zero">' would make Qt read /dev/zero. Every label that shows
record text must be plain text (or escape it), every tooltip escaped, and the
text must still be there for the user to read. Also: the results banners come
from the warnings' kinds, never from their wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QWidget

from app.record import io as rec
from app.record.history import RunHistory, UnreadableRun, default_name
from app.record.schema import RunError, RunRecord, WarningKind

# Not src="/dev/zero" itself: were a label to regress to rich text, Qt would read that file until the
# test process runs out of memory. Any <img> shows the same bug, and the asserts catch it before a paint.
EVIL = '<img src="/nonexistent/aipcprof.png"><b>x</b>'
DATA = Path(__file__).resolve().parents[1] / "data" / "records" / "v1"


def _evil(name: str, **extra) -> RunRecord:
    r = rec.load(DATA / f"{name}.json")
    r.model.name = f"model{EVIL}.onnx"
    r.model.graph_name = f"graph{EVIL}"
    r.model.producer = f"producer{EVIL}"
    r.target.device_name = f"device{EVIL}"
    r.host.hostname = f"host{EVIL}"
    r.host.cpu = f"cpu{EVIL}"
    r.precision = f"fp32{EVIL}"
    for out in r.output_check.outputs:  # none in the reference run (ort/cpu)
        out.name = f"output{EVIL}"
    r.warn(WarningKind.NOTHING_ON_ACCELERATOR, f"nothing ran{EVIL}")
    r.warn(WarningKind.OUTPUT_MISMATCH, f"mismatch{EVIL}")
    r.warn(WarningKind.OTHER, f"other{EVIL}")
    for key, value in extra.items():
        setattr(r, key, value)
    return r


def _displayed(widget: QWidget) -> str:
    """Everything `widget` shows as text; fails on a label or tooltip that would render record markup."""
    shown = []
    for w in [widget, *widget.findChildren(QWidget)]:
        assert "<img" not in w.toolTip(), f"{w!r}: tooltips are rich text: record text must be escaped"
        if isinstance(w, QLabel):
            text = w.text()
            if w.textFormat() == Qt.TextFormat.PlainText:
                shown.append(text)
                continue
            assert "<img" not in text and "<b>x</b>" not in text, \
                f"{w.objectName() or w!r} shows record text as rich text: {text[:120]!r}"
            if w.textFormat() == Qt.TextFormat.RichText or QtGui.Qt.mightBeRichText(text):
                doc = QTextDocument()
                doc.setHtml(text)
                text = doc.toPlainText()
            shown.append(text)
        elif isinstance(w, QTableWidget):
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    item = w.item(r, c)
                    if item is not None:
                        assert "<img" not in item.toolTip(), f"table item tooltip not escaped: {item.toolTip()!r}"
                        shown.append(item.text())  # items never render markup
            for c in range(w.columnCount()):
                head = w.horizontalHeaderItem(c)
                if head is not None:
                    shown.append(head.text())
        elif isinstance(w, QComboBox):
            shown += [w.itemText(i) for i in range(w.count())]
    return "\n".join(shown)


def test_results_panel_shows_record_text_literally(qtbot):
    from app.views.results_panel import ResultsPanel

    a = _evil("completed_qnn_emulator", error=RunError(f"failed{EVIL}", hint=f"hint{EVIL}"))
    b = _evil("completed_ort_cpu")
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 900)
    panel.show()
    panel.show_record(a, saved_path=f"/runs/{EVIL}.json")
    panel.show_comparison([a, b])
    shown = _displayed(panel)
    for text in (a.model.name, a.model.graph_name, a.model.producer, a.target.device_name, a.host.cpu,
                 a.precision, a.output_check.outputs[0].name, a.error.message, a.error.hint,
                 *(w.text for w in a.warnings), f"/runs/{EVIL}.json"):
        assert text in shown, text
    for label in (panel.subtitle, panel.warnings, panel.tiles["precision"].value, panel.error_banner.message,
                  panel.error_banner.hint, panel.output_banner.hint):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_history_panel_shows_record_text_literally(qtbot, tmp_path):
    from app.views.history_panel import HistoryPanel

    history = RunHistory(tmp_path / "runs")
    history.add(_evil("completed_ort_cpu"))
    history.add(_evil("completed_qnn_emulator"), name=f"named{EVIL}")
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_entries(history.list(), [UnreadableRun(id="bad", file=f"bad{EVIL}.json", reason=f"broken{EVIL}")])
    shown = _displayed(panel)
    for text in (f"model{EVIL}.onnx", f"host{EVIL}", f"named{EVIL}", f"bad{EVIL}.json", f"broken{EVIL}",
                 default_name(history.get(history.list()[-1].id))):
        assert text in shown, text
    assert panel.unreadable.textFormat() == Qt.TextFormat.PlainText


@pytest.mark.parametrize("figure", [False, True], ids=["view", "png_figure"])
def test_comparison_shows_record_text_literally(qtbot, figure):
    from app.views.compare_view import CompareView
    from app.views.export import ComparisonFigure

    a, b = _evil("completed_ort_cpu"), _evil("completed_qnn_emulator")
    b.model.sha256 = "0" * 64  # not like-for-like: the warning quotes the run names
    names = [default_name(a), f"named{EVIL}"]
    if figure:
        widget = ComparisonFigure([a, b], names, 0, dark=False)
    else:
        widget = CompareView()
        widget.set_runs([a, b], names)
        widget.show_all.setChecked(True)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    shown = _displayed(widget)
    for text in (a.model.name, a.target_id, b.target_id, a.host.hostname, names[1], "different model"):
        assert text in shown, text
    assert widget.title.textFormat() == Qt.TextFormat.PlainText
    if not figure:
        assert widget.warnings.isVisible() and names[1] in widget.warning_text()
        assert a.host.cpu in shown  # the "what differs" table (shown-all) carries host facts
    legend = [label.text for _, label in widget.cdf.legend.items]  # pyqtgraph legend labels are HTML
    assert legend and all("<img" not in t for t in legend), legend


def _banners(r: RunRecord, qtbot):
    from app.views.results_panel import ResultsPanel

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_record(r)
    return panel


def test_results_banners_follow_warning_kinds(qtbot):
    clean = rec.load(DATA / "completed_qnn_emulator.json")
    panel = _banners(clean, qtbot)
    assert panel.placement_banner.isHidden() and panel.output_banner.isHidden()

    worded = clean.copy()  # the words of a placement warning, but not its kind: no banner
    worded.warn(WarningKind.OTHER, "NOTHING RAN ON QNNExecutionProvider: 0 of 13 nodes were placed there")
    panel = _banners(worded, qtbot)
    assert panel.placement_banner.isHidden()

    nothing = clean.copy()
    nothing.warn(WarningKind.NOTHING_ON_ACCELERATOR, "anything")
    panel = _banners(nothing, qtbot)
    assert panel.placement_banner.isVisible() and panel.placement_banner.level == "error"
    assert "Nothing ran on QNNExecutionProvider" in panel.placement_banner.text()

    partial = clean.copy()
    partial.placement.accelerator_nodes, partial.placement.accelerator_share = 10, 10 / 13
    partial.warn(WarningKind.PARTIAL_FALLBACK, "anything")
    panel = _banners(partial, qtbot)
    assert panel.placement_banner.isVisible() and panel.placement_banner.level == "warning"
    assert "10 of 13 nodes (77%)" in panel.placement_banner.text()

    mismatch = clean.copy()
    mismatch.warn(WarningKind.OUTPUT_MISMATCH, "output 'y' differs from the CPU reference (cosine 0.2).")
    panel = _banners(mismatch, qtbot)
    assert panel.placement_banner.isHidden()
    assert panel.output_banner.isVisible() and "cosine 0.2" in panel.output_banner.text()
