"""Text from a model can never make the desktop app read a file (#1).

Qt renders a QLabel on its default AutoText, and every tooltip, as rich text: a producer name like
'<img src="/dev/zero">' made the window read /dev/zero (4 GB RSS in 14 s), and '<img src="x.fifo">'
hung it. Here every string a model carries (file name, producer, graph and node names, doc strings,
metadata, input/output and symbolic-dim names, a custom domain and op) holds '<img src=TRAP>', where
TRAP is a FIFO that counts whoever opens it (tests/hostile/fifo_watch.py): a regression fails the
test instead of hanging it. The real window opens the model, runs it on ort/cpu, shows the results,
the history and a comparison, then the failing custom-op model; every widget is painted and every
tooltip shown, and:

(a) every label, button, group box, table/tree item and tooltip that shows the text shows it
    literally (plain text, or escaped rich text);
(b) nothing outside the model is ever opened (the trap never had a reader);
(c) `aipcprof gui MODEL --screenshot s.png --quit` finishes with such a model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from onnx import TensorProto, helper

from tests import model_zoo
from tests.hostile.fifo_watch import POSIX_ONLY, FifoWatch

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6 import QtGui  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QAction, QTextDocument  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QTableWidget,
    QTabWidget,
    QToolTip,
    QTreeWidget,
    QWidget,
)

from app.record.schema import RunStatus  # noqa: E402
from tests.gui.conftest import load_model  # noqa: E402  (also puts QStandardPaths in test mode)

ROOT = Path(__file__).resolve().parents[2]
RELATIVE = '<img src="trap.fifo">'  # in the file name (no "/" allowed there): resolved against the cwd

pytestmark = POSIX_ONLY


@pytest.fixture
def main_window(qtbot, tmp_path, monkeypatch):
    """The real window, offscreen; its settings and run history in tmp_path (as tests/gui do)."""
    from app.views.main_window import MainWindow

    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(tmp_path / "data"))
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat), sample_model=None)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.targets_loaded, timeout=30_000):
        w.start_background()
    yield w
    w.close()


@pytest.fixture
def trap(tmp_path, monkeypatch):
    folder = tmp_path / "cwd"
    folder.mkdir()
    watch = FifoWatch(folder / "trap.fifo")
    monkeypatch.chdir(folder)  # so src="trap.fifo" names the trap too
    yield watch
    watch.stop()


def _evil(trap: FifoWatch) -> str:
    return f'<img src="{trap.path}"><b>x</b>'


def _hostile_model(evil: str, custom_op: bool = False):
    """y = x + 1 where every string a model can carry holds `evil`; with custom_op, an op no runtime has."""
    dim = f"batch{evil}"  # a symbolic dim name is model text too
    x = helper.make_tensor_value_info(f"x{evil}", TensorProto.FLOAT, [dim, 4])
    y = helper.make_tensor_value_info(f"y{evil}", TensorProto.FLOAT, [dim, 4])
    x.doc_string = y.doc_string = f"io doc{evil}"
    one = helper.make_tensor(f"one{evil}", TensorProto.FLOAT, [1], [1.0])
    domain = f"custom{evil}"
    node = (helper.make_node(f"Op{evil}", [f"x{evil}"], [f"y{evil}"], name=f"node{evil}", domain=domain)
            if custom_op else helper.make_node("Add", [f"x{evil}", f"one{evil}"], [f"y{evil}"], name=f"node{evil}"))
    node.doc_string = f"node doc{evil}"
    graph = helper.make_graph([node], f"graph{evil}", [x], [y], [] if custom_op else [one], doc_string=f"graph doc{evil}")
    opsets = [helper.make_opsetid("", model_zoo.OPSET)] + ([helper.make_opsetid(domain, 1)] if custom_op else [])
    m = helper.make_model(graph, opset_imports=opsets, producer_name=f"producer{evil}",
                          producer_version=f"1.0{evil}", doc_string=f"model doc{evil}", domain=f"org{evil}")
    m.ir_version = model_zoo.IR_VERSION
    helper.set_model_props(m, {f"key{evil}": f"value{evil}", "author": f"me{evil}"})
    return m


def _save(model, folder: Path, stem: str) -> Path:
    path = folder / f"{stem}{RELATIVE}.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def _raw(text: str) -> bool:
    """The text carries markup that would be rendered (not escaped)."""
    return "<img" in text or "<b>x</b>" in text


def _check_widget(w: QWidget, shown: list[str], problems: list[str]) -> None:
    where = f"{type(w).__name__} {w.objectName() or ''}".strip()
    if _raw(w.toolTip()):
        problems.append(f"{where}: tooltip not escaped: {w.toolTip()[:100]!r}")
    if isinstance(w, QLabel):
        text = w.text()
        if w.textFormat() == Qt.TextFormat.PlainText:
            shown.append(text)
            return
        if _raw(text):
            problems.append(f"{where}: label renders model text as rich text: {text[:100]!r}")
        if w.textFormat() == Qt.TextFormat.RichText or QtGui.Qt.mightBeRichText(text):
            doc = QTextDocument()  # never given unescaped markup here: the check above failed first
            doc.setHtml(text if not _raw(text) else "")
            text = doc.toPlainText()
        shown.append(text)
    elif isinstance(w, QAbstractButton):
        shown.append(w.text())  # buttons never render markup
    elif isinstance(w, QGroupBox):
        shown.append(w.title())
    elif isinstance(w, QComboBox):
        for i in range(w.count()):
            shown.append(w.itemText(i))
            if _raw(str(w.itemData(i, Qt.ItemDataRole.ToolTipRole) or "")):
                problems.append(f"{where}: item tooltip not escaped")
    elif isinstance(w, QTabWidget):
        for i in range(w.count()):
            shown.append(w.tabText(i))
            if _raw(w.tabToolTip(i)):
                problems.append(f"{where}: tab tooltip not escaped")
    elif isinstance(w, QTableWidget):
        for r in range(w.rowCount()):
            for c in range(w.columnCount()):
                item = w.item(r, c)
                if item is not None:
                    shown.append(item.text())  # items never render markup
                    if _raw(item.toolTip()):
                        problems.append(f"{where}: item ({r}, {c}) tooltip not escaped: {item.toolTip()[:100]!r}")
    elif isinstance(w, QTreeWidget):
        stack = [w.topLevelItem(i) for i in range(w.topLevelItemCount())]
        while stack:
            item = stack.pop()
            stack += [item.child(i) for i in range(item.childCount())]
            for c in range(w.columnCount()):
                shown.append(item.text(c))
                if _raw(item.toolTip(c)):
                    problems.append(f"{where}: tree item tooltip not escaped: {item.toolTip(c)[:100]!r}")


def _audit(window) -> tuple[str, list[str]]:
    """Everything the window shows as text, and every place it would render model markup."""
    shown: list[str] = []
    problems: list[str] = []
    for w in [window, *window.findChildren(QWidget)]:
        _check_widget(w, shown, problems)
    for action in window.findChildren(QAction):
        shown.append(action.text())
        if _raw(action.toolTip()):
            problems.append(f"QAction {action.text()!r}: tooltip not escaped")
    return "\n".join(shown), problems


def _render_everything(qtbot, window) -> None:
    """Paint every tab, then show every tooltip for real: whatever Qt would load, it loads now."""
    for tabs in (window.views, window.tabs):
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            qtbot.wait(30)
            window.grab()
    tips = [(w, w.toolTip()) for w in window.findChildren(QWidget) if w.toolTip()]
    for table in window.findChildren(QTableWidget):
        tips += [(table, table.item(r, c).toolTip()) for r in range(table.rowCount())
                 for c in range(table.columnCount()) if table.item(r, c) and table.item(r, c).toolTip()]
    tips += [(window, a.toolTip()) for a in window.findChildren(QAction) if a.toolTip()]
    for widget, text in tips:
        QToolTip.showText(widget.mapToGlobal(QPoint(2, 2)), text, widget)
        QApplication.processEvents()
    QToolTip.hideText()


def _run(qtbot, window, timeout_ms: int = 120_000):
    with qtbot.waitSignal(window.all_runs_finished, timeout=timeout_ms) as blocker:
        window.run_action.trigger()
    return blocker.args[0]


def test_model_text_is_shown_literally_and_never_loads_a_file(qtbot, main_window, trap, tmp_path):
    window = main_window
    evil = _evil(trap)
    folder = tmp_path / "models"
    folder.mkdir()
    good = _save(_hostile_model(evil), folder, "hostile")
    custom = _save(_hostile_model(evil, custom_op=True), folder, "custom")

    load_model(qtbot, window, good)
    assert window.setup_panel.select_target("ort/cpu")
    window.setup_panel.iterations.setValue(30)
    window.setup_panel.warmup.setValue(2)
    assert window.state.inputs.problems() == []  # the hostile dim is named like a batch: 1, no size to ask for
    records = _run(qtbot, window) + _run(qtbot, window)  # two runs: the history can compare them
    assert [r.status for r in records] == [RunStatus.COMPLETED] * 2, [r.error for r in records]
    assert records[0].model.producer == f"producer{evil} 1.0{evil}" and records[0].model.graph_name == f"graph{evil}"
    panel = window.history_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=15_000)
    panel.table.selectAll()
    with qtbot.waitSignal(window.comparison_shown, timeout=15_000):
        panel.buttons["compare"].click()
    _render_everything(qtbot, window)
    shown, problems = _audit(window)
    assert problems == []
    for text in (good.name, f"producer{evil} 1.0{evil}", f"x{evil}", f"y{evil}", f"batch{evil}:"):
        assert text in shown, text  # literally there for the user to read

    load_model(qtbot, window, custom)  # inspects fine; the card names the op no runtime implements
    (failed,) = _run(qtbot, window)
    assert failed.status is RunStatus.FAILED and f"custom{evil}" in failed.error.message
    assert window.banner.isVisible() and f"Op{evil}" in window.banner.text()
    _render_everything(qtbot, window)
    shown, problems = _audit(window)
    assert problems == []
    assert f"custom{evil}:Op{evil}" in shown  # the ops table
    assert trap.stop() == 0, "the window opened a file named by the model"


def test_gui_screenshot_quit_finishes_with_a_hostile_model(tmp_path, trap):
    model = _save(_hostile_model(_evil(trap)), tmp_path, "hostile")
    shot = tmp_path / "s.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "xdg-data"), HOME=str(tmp_path), PYTHONPATH=str(ROOT),
               AIPCPROF_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "app", "gui", str(model), "--screenshot", str(shot), "--quit"],
                          cwd=trap.path.parent, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert trap.stop() == 0, "the app opened a file named by the model"
