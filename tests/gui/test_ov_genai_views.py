"""An OpenVINO IR LLM folder in the desktop app: it opens (the folder or an .xml inside) with its card, the
target becomes ov-genai/cpu, it runs with the live view, and a genai/ target is refused inline."""

from __future__ import annotations

import shutil

import pytest

from app.record.schema import RunStatus
from tests.gui.conftest import load_model, run_and_wait
from tests.gui.test_genai_views import _facts
from tests.gui.test_window import _drop

pytest.importorskip("openvino_genai")


def test_an_ir_folder_opens_and_runs(qtbot, window, ov_genai_built):
    assert window.setup_panel.select_target("genai/cpu")
    load_model(qtbot, window, ov_genai_built / "openvino_model.xml")
    facts = _facts(window)
    assert facts["Layers:"] == "2" and facts["Heads:"] == "4 attention, 4 KV (head size 16)"
    assert facts["Precision:"] == "fp32" and facts["Runtime:"] == "openvino-genai (LLMPipeline)"
    assert window.setup_panel.current_target().id == "ov-genai/cpu"  # picked: genai/cpu cannot run an IR folder
    assert "ov-genai/ targets" in window.model_panel.notes.text()
    records = run_and_wait(qtbot, window, timeout_ms=120_000)
    r = records[0]
    assert r.status is RunStatus.COMPLETED, r.error
    assert r.target.id == "ov-genai/cpu" and r.genai.runtime == "openvino-genai"
    assert [x.prompt_tokens for x in r.genai.results] == [128, 512]  # the defaults (docs/genai.md)
    live, charts = window.controller.live, window.charts
    assert len(live.generations) == 6 and live.count == r.latency.count == 6 * 127
    assert charts.generative and charts.shading.shaded == 6
    assert "[prompt 512 tokens, generation 3]" in charts.text_pane.text.toPlainText()
    qtbot.waitUntil(lambda: "openvino-genai" in window.results.genai_box.asked.text(), timeout=10_000)
    assert f"openvino-genai {r.genai.runtime_version}, device CPU" in window.results.genai_box.asked.text()
    assert "onnxruntime-genai" not in window.results.genai_box.asked.text()


def test_dropping_the_folder_opens_it_and_a_genai_target_is_refused(qtbot, window, ov_genai_built):
    with qtbot.waitSignal(window.model_loaded, timeout=15_000):
        assert _drop(window, ov_genai_built)
    assert window.model_panel.title.text() == "tiny-ov"
    assert window.setup_panel.select_target("genai/cpu")
    window.run_action.trigger()
    assert "genai/cpu cannot run this generative model folder" in window.banner.text()
    assert not window.controller.busy


def test_a_folder_missing_its_detokenizer_is_one_inline_error(qtbot, window, ov_genai_built, tmp_path):
    ov_genai_dir = shutil.copytree(ov_genai_built, tmp_path / "tiny-ov")
    (ov_genai_dir / "openvino_detokenizer.xml").unlink()
    with qtbot.waitSignal(window.model_failed, timeout=15_000):
        window.workflow.open_model(str(ov_genai_dir))
    assert "no openvino_detokenizer.xml in this OpenVINO IR LLM folder" in window.banner.text()
