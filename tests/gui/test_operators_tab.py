"""The Operators tab, the comparison's op-type chart and the Operator profile checkbox (issue #12, GUI side):
real widgets offscreen, fed by records of real profiled runs (ONNX Runtime CPU, OpenVINO CPU) and by profiles
parsed from the QNN HTP emulator's recorded files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest

from app.common.fmt import fmt_ms
from app.record import io as rec
from app.record import ops
from app.record.ops import OpBy
from app.record.schema import OpProfile, OpStatus, RunRecord, RunStatus
from app.report.ops_bars import chart_bars
from app.state.ops_view import NOT_ASKED
from app.state.run_setup import RunSetupState
from app.views.export import ComparisonFigure, comparison_image
from app.views.ops_panel import COLUMNS, TIME_COLUMN, OperatorsPanel
from app.views.run_setup_panel import RunSetupPanel
from tests.gui.conftest import load_model, run_and_wait
from tests.op_records import record

EVIL = '<img src="/nonexistent/aipcprof.png"><b>x</b>'


@pytest.fixture(scope="session")
def profiled_runs(zoo, tmp_path_factory) -> dict[str, Path]:
    """Real runs of conv_net with --op-profile: ort/cpu on 1 thread and on 2, and ov/cpu (made once)."""
    from app.run.runner import ProfileRun
    from app.run.runspec import RunSpec

    folder = tmp_path_factory.mktemp("op_runs")
    out = {}
    for key, target, threads in (("ort1", "ort/cpu", 1), ("ort2", "ort/cpu", 2), ("ov", "ov/cpu", None)):
        run = ProfileRun(RunSpec(model_path=str(zoo["conv_net"]), target_id=target, warmup=5, iterations=100,
                                 threads=threads, op_profile=True))
        run.start()
        try:
            r = run.wait()
        finally:
            run.close()
        assert r.status is RunStatus.COMPLETED, r.error
        assert r.op_profile is not None and r.op_profile.available, r.op_profile
        out[key] = rec.save(r, folder / f"{key}.json")
    return out


@pytest.fixture
def panel(qtbot) -> OperatorsPanel:
    p = OperatorsPanel()
    qtbot.addWidget(p)
    p.resize(1100, 520)
    p.show()
    return p


def _top_items(panel: OperatorsPanel) -> list:
    return [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]


def _times(items) -> list[float]:
    return [it.data(TIME_COLUMN, Qt.ItemDataRole.UserRole + 1) for it in items]


def test_by_node_table_and_chart_from_a_real_ort_run(panel, profiled_runs):
    r = rec.load(profiled_runs["ort1"])
    panel.show_record(r)
    p = r.op_profile
    assert panel.stack.currentWidget() is panel.split and panel.info.isVisible()
    items = _top_items(panel)
    assert [it.text(0) for it in items] == [n.name for n in p.top]  # slowest first
    assert [panel.tree.headerItem().text(c) for c in range(7)] == list(COLUMNS[OpBy.NODE])
    by_name = {n.name: n for n in p.top}
    for it in items:
        n = by_name[it.text(0)]
        assert it.text(TIME_COLUMN) == fmt_ms(n.time_s) and it.text(3) == n.op_type
        assert it.text(4) == ops.device_key(n) == "CPU (CPUExecutionProvider)"
    assert [b.label for b in panel.chart.bars] == [n.name for n in p.top if n.time_s is not None][:12]
    assert [k for _, k in panel.chart.devices()] == ["CPU (CPUExecutionProvider)"]
    assert any(line.startswith("Op times") and "measured p50" in line for line in panel.info.text().split("\n"))


def test_sorting_by_a_column_sorts_by_its_numbers(panel, profiled_runs):
    panel.show_record(rec.load(profiled_runs["ov"]))
    header = panel.tree.header()
    panel.tree.sortByColumn(TIME_COLUMN, Qt.SortOrder.AscendingOrder)
    asc = _times(_top_items(panel))
    assert asc == sorted(asc) and asc[0] == -1.0  # untimed (fused / not run) first when ascending, never as 0
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(TIME_COLUMN) + 10, header.height() // 2))
    desc = _times(_top_items(panel))
    assert desc == sorted(desc, reverse=True)
    untimed = [it for it in _top_items(panel) if it.text(TIME_COLUMN) in ("fused", "not run", "optimized out")]
    assert untimed and all(it.text(2) == "N/A" for it in untimed)


def test_by_type_and_clicking_a_type_lists_its_nodes(qtbot, panel, profiled_runs):
    r = rec.load(profiled_runs["ort1"])
    panel.show_record(r)
    panel.by_type.click()
    p = r.op_profile
    items = _top_items(panel)
    assert [it.text(0) for it in items] == [g.key for g in p.by_type]
    conv = next(it for it in items if it.text(0) == "Conv")
    rect = panel.tree.visualItemRect(conv)
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    nodes = [n.name for n in p.top if n.op_type == "Conv"]
    assert panel.state.selected_type == "Conv" and conv.isExpanded()
    assert [conv.child(i).text(0) for i in range(conv.childCount())] == nodes
    assert panel.selection.isVisible() and panel.selection.text().startswith(f"Conv: {len(nodes)} node(s)")
    panel.by_node.click()
    assert not panel.selection.isVisible()


def test_a_click_on_a_type_bar_selects_it(qtbot, panel, profiled_runs):
    panel.show_record(rec.load(profiled_runs["ov"]))
    panel.by_type.click()
    qtbot.waitUntil(lambda: bool(panel.chart.bar_rects), timeout=3000)  # painted
    label = panel.chart.bars[1].label
    QTest.mouseClick(panel.chart, Qt.MouseButton.LeftButton, pos=panel.chart.bar_rects[1].center().toPoint())
    assert panel.state.selected_type == label
    assert panel.tree.currentItem().text(0) == label


def test_no_profile_and_unavailable_profile_show_the_reason(panel):
    panel.show_record(record(None))
    assert panel.stack.currentWidget() is panel.message and panel.message.text() == NOT_ASKED
    assert panel.tree.topLevelItemCount() == 0 and not panel.info.isVisible()
    assert not panel.by_node.isEnabled()
    r = record(None)
    r.op_profile = OpProfile(available=False, reason="the profiling session failed: trace file missing")
    panel.show_record(r)
    assert panel.message.text() == "Operator profile unavailable: the profiling session failed: trace file missing."


def test_qnn_partition_lists_the_eps_own_ops_under_it(qtbot, panel):
    r = record("qnn", "ort/qnn/htp-emulator")
    panel.show_record(r)
    (fused,) = _top_items(panel)
    node = r.op_profile.top[0]
    assert node.status is OpStatus.PARTITION and fused.isExpanded()
    assert fused.childCount() == len(r.op_profile.inside(node.name))
    qtbot.waitUntil(lambda: bool(panel.chart.bar_rects), timeout=3000)
    headed = [s for s in panel.chart.sections if s.heading]
    assert len(headed) == 1 and headed[0].partition == node.name
    assert panel.chart.minimumHeight() > 10 * panel.chart.fontMetrics().height()  # scrolls, never squeezed


def test_node_names_are_plain_text(qtbot, panel):
    r = record("ort_cpu")
    for n in r.op_profile.nodes:
        n.name += EVIL
    panel.show_record(r)
    first = _top_items(panel)[0]
    assert first.text(0).endswith(EVIL)  # shown literally (tree items never render markup)
    doc = QTextDocument()
    doc.setHtml(first.toolTip(0))
    assert EVIL in doc.toPlainText()  # the tooltip is escaped rich text: it reads literally
    qtbot.waitUntil(lambda: bool(panel.chart.drawn_labels), timeout=3000)
    assert [b.label for b in panel.chart.bars] == [n.name for n in r.op_profile.top][:len(panel.chart.bars)]
    assert all(label.endswith("<b>x</b>") for label in panel.chart.drawn_labels)  # painted as text, elided mid


def test_the_comparison_op_type_chart(qtbot, window, profiled_runs):
    a, b, ov = (rec.load(profiled_runs[k]) for k in ("ort1", "ort2", "ov"))
    view = window.compare_view
    view.set_runs([a, b, ov], ["1 thread", "2 threads", "ov/cpu"])
    assert not view.op_types_box.isHidden()
    expected = ops.type_changes(a.op_profile, b.op_profile, 8)
    assert view.op_diff.changes == expected and view.op_diff.message == ""
    assert view.op_other.count() == 2 and view.op_other.isEnabled()
    view.op_other.setCurrentIndex(1)  # ov/cpu: its nodes are traced back to the model's op types
    assert view.op_diff.note == "" and view.op_diff.changes == ops.type_changes(a.op_profile, ov.op_profile, 8)
    conv = next(c for c in view.op_diff.changes if c.op_type == "Conv")  # ORT's Conv meets OpenVINO's Convolution
    assert conv.a_s > 0 and conv.b_s > 0
    plain = record(None)
    view.set_runs([a, plain], ["1 thread", "plain"])
    assert "plain: no operator profile" in view.op_diff.message
    view.set_runs([record(None), record(None)], ["x", "y"])
    assert view.op_types_box.isHidden()  # nobody asked for a profile: no chart, nothing to explain


def test_png_export_has_the_op_type_chart(qtbot, profiled_runs):
    a, b = (rec.load(profiled_runs[k]) for k in ("ort1", "ort2"))
    fig = ComparisonFigure([a, b], ["1 thread", "2 threads"], 0, dark=False)
    qtbot.addWidget(fig)
    assert fig.op_types is not None and fig.op_types.changes == ops.type_changes(a.op_profile, b.op_profile, 6)
    image = comparison_image([a, b], ["1 thread", "2 threads"], 0, "dark")
    assert (image.width(), image.height()) == (1600, 1000)
    assert ComparisonFigure([record(None), record(None)], ["x", "y"], 0, dark=False).op_types is None
    one = ComparisonFigure([record(None), a], ["plain", "1 thread"], 0, dark=False)  # nothing to compare with:
    assert "The baseline plain has no operator profile" in one.op_types.diff.message  # why, and the top operators
    assert one.op_types.bars.bars == chart_bars(a.op_profile, OpBy.NODE, 8)
    assert one.op_types.bars.title == "Slowest operators on 1 thread (time per inference)"


def test_operator_profile_checkbox_binds_run_options(qtbot, tmp_path):
    st = RunSetupState()
    panel = RunSetupPanel(st)
    qtbot.addWidget(panel)
    assert not panel.op_profile.isChecked() and st.options.op_profile is False
    panel.op_profile.click()
    assert st.options.op_profile is True
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    for k, v in st.to_settings().items():
        settings.setValue(k, v)
    settings.sync()
    again = RunSetupState()
    again.restore_settings({k: settings.value(k) for k in settings.allKeys()})  # QSettings: strings back
    assert again.options.op_profile is True
    st.set_options(st.options.copy(op_profile=False))
    assert not panel.op_profile.isChecked()


def test_window_run_with_operator_profile_fills_the_tab(qtbot, window, zoo):
    load_model(qtbot, window, zoo["conv_net"])
    assert window.setup_panel.select_target("ort/cpu")
    window.setup_panel.iterations.setValue(50)
    window.setup_panel.op_profile.setChecked(True)
    (r,) = run_and_wait(qtbot, window)
    assert isinstance(r, RunRecord) and r.status is RunStatus.COMPLETED and r.settings.op_profile
    panel = window.operators
    assert panel.state.record is r and panel.stack.currentWidget() is panel.split
    assert panel.tree.topLevelItemCount() == len(r.op_profile.top) > 0
    window.result_tabs.setCurrentWidget(panel)
    assert window.result_tabs.tabText(window.result_tabs.currentIndex()) == "Operators"


def test_a_click_on_a_nodes_type_goes_to_that_type(panel, profiled_runs):
    r = rec.load(profiled_runs["ov"])
    panel.show_record(r)
    conv = next(it for it in _top_items(panel) if it.text(3) == "Convolution")
    rect = panel.tree.visualRect(panel.tree.indexFromItem(conv, 3))
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.by_type.isChecked() and panel.state.by is OpBy.TYPE
    assert panel.state.selected_type == "Convolution"
    assert panel.tree.currentItem().text(0) == "Convolution"
    assert panel.tree.currentItem().childCount() == sum(1 for n in r.op_profile.top if n.op_type == "Convolution")
