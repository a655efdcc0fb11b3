"""Generative models in the desktop app: the folder opens with its card, runs on genai/cpu with the live
view (per-token latency, tokens/s, prefill and decode shaded, the text), bad folders inline, comparison."""

from __future__ import annotations

import json

from app.record import io as rec
from app.record.schema import RunStatus
from app.views.charts_panel import ChartsPanel
from app.views.compare_view import CompareView
from app.views.live_data import TEXT_CHARS, LiveData
from tests.gui.conftest import load_model, run_and_wait
from tests.gui.test_window import _drop


def _facts(window) -> dict[str, str]:
    form = window.model_panel.facts
    return {form.itemAt(i, form.ItemRole.LabelRole).widget().text(): form.itemAt(i, form.ItemRole.FieldRole).widget().text()
            for i in range(form.rowCount())}


def test_a_folder_opens_and_runs_with_the_live_view(qtbot, window, genai_built):
    assert window.setup_panel.select_target("ort/cpu")
    load_model(qtbot, window, genai_built / "genai_config.json")
    facts = _facts(window)
    assert facts["Layers:"] == "2" and facts["Heads:"] == "4 attention, 4 KV (head size 16)"
    assert facts["Context:"] == "1024 tokens" and facts["Precision:"] == "fp32"
    assert window.setup_panel.current_target().id == "genai/cpu"  # picked: ort/cpu cannot run a folder
    assert not window.model_panel.inputs_table.parentWidget().isVisible()
    records = run_and_wait(qtbot, window, timeout_ms=120_000)
    r = records[0]
    assert r.status is RunStatus.COMPLETED, r.error
    assert [x.prompt_tokens for x in r.genai.results] == [128, 512]  # the defaults (docs/genai.md)
    live, charts = window.controller.live, window.charts
    assert len(live.generations) == 6 and live.count == r.latency.count == 6 * 127
    assert charts.generative and charts.text_pane.isVisible()
    assert charts.shading.shaded == 6
    assert charts.kpis.count.caption.text() == "decode steps measured"
    g = live.generations[0]
    assert g.prefill_t0 < g.prefill_t1 <= g.decode_t0 < g.decode_t1
    assert "[prompt 512 tokens, generation 3]" in charts.text_pane.text.toPlainText()


def test_dropping_the_config_or_the_folder_opens_the_model(qtbot, window, genai_built):
    for path in (genai_built / "genai_config.json", genai_built):  # the config is no run record to import
        with qtbot.waitSignal(window.model_loaded, timeout=15_000):
            assert _drop(window, path)
        assert window.model_panel.title.text() == "tiny-decoder"


def test_a_folder_without_config_is_one_inline_error(qtbot, window, tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"")
    with qtbot.waitSignal(window.model_failed, timeout=15_000):
        window.workflow.open_model(str(tmp_path))
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "no genai_config.json in this folder" in window.banner.text()


def test_a_config_naming_a_missing_file_is_one_inline_error(qtbot, window, genai_built, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    cfg = json.loads((genai_built / "genai_config.json").read_text())
    (folder / "genai_config.json").write_text(json.dumps(cfg))
    with qtbot.waitSignal(window.model_failed, timeout=15_000):
        window.workflow.open_model(str(folder))
    assert "names 'model.onnx', which is not in" in window.banner.text()


def test_an_onnx_model_on_a_genai_target_is_refused_before_a_run(qtbot, window, zoo):
    load_model(qtbot, window, zoo["single_add"])
    assert window.setup_panel.select_target("genai/cpu")
    window.run_action.trigger()
    assert "genai/cpu runs generative model folders" in window.banner.text()
    assert not window.controller.busy


def test_text_pane_is_plain_and_bounded(qtbot):
    live = LiveData()
    charts = ChartsPanel(live)
    qtbot.addWidget(charts)
    charts.set_generative(True)
    charts.show()
    live.add_text(16, 0, "<b>not bold</b>\x1b[31m" + "x" * (2 * TEXT_CHARS), new_generation=True)
    charts.refresh(force=True)
    shown = charts.text_pane.text.toPlainText()
    assert len(shown) == TEXT_CHARS and shown.endswith("x" * 100)
    live.reset(0)
    live.add_text(16, 0, "<b>not bold</b>", new_generation=False)
    charts.refresh(force=True)
    assert charts.text_pane.text.toPlainText() == "<b>not bold</b>"  # shown as typed, never as HTML
    charts.set_generative(False)
    assert not charts.text_pane.isVisible() and charts.kpis.count.caption.text() == "inferences measured"


def test_comparison_view_groups_bars_per_prompt_length(qtbot, genai_runs):
    view = CompareView()
    qtbot.addWidget(view)
    view.set_runs([rec.load(p) for p in genai_runs], ["a", "b"])
    view.show()
    box = view.genai_bars
    assert box.isVisible() and len(box.rows) == 6
    assert box.svg.renderer().isValid() and box.svg.width() == 760
