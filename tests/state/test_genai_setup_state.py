"""GenAISetupState without Qt: the Generation group's defaults, checks against the open model, settings."""

from __future__ import annotations

import pytest

from app.common.errors import UserError
from app.model.genai_folder import GenAICard
from app.run.genai_spec import DEFAULT_GEN_TOKENS, DEFAULT_ITERATIONS, DEFAULT_PROMPT_TOKENS, DEFAULT_WARMUP
from app.state.genai_setup import GenAIForm, GenAISetupState


def _card(context: int | None) -> dict:
    return {"path": "m", "inputs": [], "genai": GenAICard(folder="m", config_file="m/genai_config.json",
                                                          context_length=context)}


def test_defaults_are_genai_specs():
    choice = GenAISetupState().choice()
    assert choice.spec.prompt_tokens == list(DEFAULT_PROMPT_TOKENS) and choice.spec.gen_tokens == DEFAULT_GEN_TOKENS
    assert (choice.iterations, choice.warmup, choice.spec.prompt_file) == (DEFAULT_ITERATIONS, DEFAULT_WARMUP, None)


def test_the_context_of_the_open_model_bounds_the_prompt():
    s = GenAISetupState()
    seen = []
    s.problem_changed.connect(seen.append)
    s.card_changed.connect(lambda card: seen.append(("card", card is not None)))
    s.set_card(_card(256))  # 512 + 128 > 256
    assert s.active and seen[0] == ("card", True)
    assert s.problem.message.startswith("--prompt-tokens 512 + --gen-tokens 128 = 640 tokens is longer")
    s.update(prompt_tokens="64,100")
    assert s.problem is None and seen[-1] is None
    assert s.choice().spec.prompt_tokens == [64, 100]
    s.set_card({"path": "x.onnx", "inputs": []})  # an .onnx model: no generative settings in play
    assert not s.active and seen[-1] == ("card", False)


@pytest.mark.parametrize("form, line", [
    (GenAIForm(iterations=0), "--iterations 0: must be 1 or more (generations per prompt length)."),
    (GenAIForm(warmup=-1), "--warmup -1: must be 0 or more (generations per prompt length)."),
    (GenAIForm(prompt_tokens=""), "--prompt-tokens: give at least one prompt length, e.g. --prompt-tokens 128,512."),
])
def test_bad_forms_are_the_clis_lines(form, line):
    s = GenAISetupState()
    s.set_form(form)
    assert s.problem.message == line
    with pytest.raises(UserError, match="^" + line.split(":")[0]):
        s.choice()


def test_settings_round_trip_and_junk_keeps_defaults():
    s = GenAISetupState()
    s.update(prompt_tokens="16,64", gen_tokens=32, prompt_file="p.txt", warmup=0, iterations=7)
    back = GenAISetupState()
    back.restore_settings({k: str(v) for k, v in s.to_settings().items()})  # QSettings may hand back strings
    assert back.form == s.form
    junk = GenAISetupState()
    junk.restore_settings({"genai_gen_tokens": "lots", "genai_iterations": "0", "genai_warmup": "-3"})
    assert junk.form == GenAIForm()


def test_an_openvino_folders_context_is_named_where_it_was_read(ov_genai_built):
    """An OpenVINO IR LLM folder's context comes from config.json: the line says so, as `aipcprof run` does."""
    from app.model.ov_genai_folder import CONTEXT_SOURCE, card_dict

    s = GenAISetupState()
    s.set_card(card_dict(ov_genai_built))
    s.update(prompt_tokens="1000")  # + 128 generated > the tiny model's 1024
    with pytest.raises(UserError, match="max_position_embeddings in config.json") as e:
        s.choice()
    assert CONTEXT_SOURCE in str(e.value) and "genai_config.json" not in str(e.value)
    s.set_card(_card(1024))  # an onnxruntime-genai folder again
    with pytest.raises(UserError, match="model.context_length in genai_config.json"):
        s.choice()
