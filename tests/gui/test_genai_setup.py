"""Run setup's Generation group (app/views/genai_setup.py) in the real window: shown for a generative model,
greyed-out options that do not apply (saying why) and given back for an .onnx model, the CLI's own line for a
bad value, and a real onnxruntime-genai run with the group's prompt lengths, tokens, prompt file and counts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.cli import main as cli_main
from app.model.genai_folder import GenAICard
from app.record.schema import RunStatus
from app.run.genai_spec import DEFAULT_GEN_TOKENS, DEFAULT_ITERATIONS, DEFAULT_PROMPT_TOKENS, DEFAULT_WARMUP
from tests.gui.conftest import load_model, run_and_wait

NOT_APPLY = "does not apply to a generative model folder"


def _greyed(panel) -> dict:
    return {"strict": panel.strict, "op_profile": panel.op_profile, "mode": panel.mode, "io_binding": panel.io_binding,
            "check_outputs": panel.check_outputs, "cache_dir": panel.cache_dir, "cache_browse": panel.cache_browse,
            "until_steady_on": panel.until_steady_on, "quiet_check_on": panel.quiet_check_on}


def _drop_on(widget, path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted() and drop.isAccepted()


def test_the_group_shows_for_a_generative_model_and_the_rest_comes_back(qtbot, window, genai_built, zoo):
    panel = window.setup_panel
    load_model(qtbot, window, zoo["single_add"])
    own_tips = {name: w.toolTip() for name, w in _greyed(panel).items()}
    assert not panel.genai_box.isVisible() and panel.warmup.isVisible() and panel.iterations.isVisible()

    load_model(qtbot, window, genai_built)
    card = window.state.model.card["genai"]
    assert isinstance(card, GenAICard) and card.context_length == 1024  # typed: the views read its attributes
    box = panel.genai_box
    assert box.isVisible() and panel.generative()
    assert box.prompt_tokens.text() == ",".join(map(str, DEFAULT_PROMPT_TOKENS))  # genai_spec.py's defaults
    assert (box.gen_tokens.value(), box.warmup.value(), box.iterations.value()) == \
        (DEFAULT_GEN_TOKENS, DEFAULT_WARMUP, DEFAULT_ITERATIONS)
    assert box.context.text() == "The model's context: 1024 tokens (prompt + generated tokens must fit)."
    # warm-up, iterations and duration count inferences: the group's own count generations instead
    for w in (panel.warmup, panel.iterations, panel.duration, panel.by_time, panel.requests):
        assert not w.isVisible()
    for name, w in _greyed(panel).items():
        assert not w.isEnabled() and NOT_APPLY in w.toolTip(), name
    assert panel.io_binding.toolTip().startswith("--io-binding: does not apply")
    for w in (panel.threads, panel.seed, panel.stall_timeout, panel.extra, panel.target_combo):
        assert w.isEnabled()  # what a generative run takes

    load_model(qtbot, window, zoo["single_add"])
    assert not box.isVisible() and not panel.generative() and panel.warmup.isVisible()
    for name, w in _greyed(panel).items():
        assert w.toolTip() == own_tips[name], name
        assert w.isEnabled(), name


@pytest.mark.parametrize("field, value, cli", [
    ("prompt_tokens", "16,abc", ["--prompt-tokens", "16,abc"]),
    ("prompt_tokens", "0,16", ["--prompt-tokens", "0,16"]),
    ("prompt_tokens", "1000", ["--prompt-tokens", "1000"]),  # + 128 generated > the 1024-token context
    ("prompt_file", "no-such-prompt.txt", ["--prompt-file", "no-such-prompt.txt"]),
])
def test_a_bad_value_is_the_clis_line_inline(qtbot, window, genai_built, capsys, field, value, cli):
    load_model(qtbot, window, genai_built)
    box = window.setup_panel.genai_box
    getattr(box, field).setText(value)
    assert box.problem.isVisible()
    shown = box.problem.text().splitlines()[0]
    assert cli_main(["run", str(genai_built), *cli, "--no-telemetry", "-q"]) == 2
    assert shown in capsys.readouterr().err  # word for word what `aipcprof run` says
    window.run_action.trigger()  # nothing starts; no banner, no dialog: the line is already beside the field
    assert not window.controller.busy and not window.banner.isVisible()
    assert window.statusBar().currentMessage() == f"Generation: {shown}"
    getattr(box, field).setText("16" if field == "prompt_tokens" else "")
    assert not box.problem.isVisible()


def test_a_run_takes_the_groups_settings(qtbot, window, genai_built, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("A prompt file dropped on the Generation group. " * 20, encoding="utf-8")
    load_model(qtbot, window, genai_built)
    box = window.setup_panel.genai_box
    box.prompt_tokens.setText("32, 16")
    box.gen_tokens.setValue(6)
    box.warmup.setValue(0)
    box.iterations.setValue(2)
    assert _drop_on(box, prompt) and box.prompt_file.text() == str(prompt)
    assert not box.problem.isVisible()
    records = run_and_wait(qtbot, window, timeout_ms=120_000)
    r = records[0]
    assert r.status is RunStatus.COMPLETED, r.error
    s = r.genai.settings
    assert (s.prompt_tokens, s.gen_tokens, s.iterations, s.warmup) == ([16, 32], 6, 2, 0)
    assert s.prompt_file == str(prompt) and s.prompt_source == f"--prompt-file {prompt}"
    assert [(x.prompt_tokens, x.generations, x.generated_tokens) for x in r.genai.results] == [(16, 2, 6), (32, 2, 6)]
    assert r.latency.count == 2 * 2 * 5  # decode steps: lengths x generations x (tokens - the first)
    assert len(window.controller.live.generations) == 4  # no warm-up generation in the live view's count
    qtbot.waitUntil(lambda: window.results.record is r, timeout=10_000)  # filled a slice per event-loop turn
    table = window.results.genai_box.table
    qtbot.waitUntil(lambda: table.rowCount() == 2 and table.item(1, 0) is not None, timeout=10_000)
    assert window.results.genai_box.isVisible() and [table.item(i, 0).text() for i in range(2)] == ["16", "32"]


def test_the_group_is_kept_in_the_settings(qtbot, window, genai_built, settings):
    load_model(qtbot, window, genai_built)
    box = window.setup_panel.genai_box
    box.prompt_tokens.setText("64")
    box.iterations.setValue(5)
    window.save_settings()
    from app.state.run_setup import RunSetupState

    restored = RunSetupState()
    settings.beginGroup("run")
    restored.restore_settings({k: settings.value(k) for k in settings.childKeys()})
    settings.endGroup()
    assert (restored.genai.form.prompt_tokens, restored.genai.form.iterations) == ("64", 5)
