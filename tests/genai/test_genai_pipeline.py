"""A decoder pipeline (model.decoder.pipeline: embeddings -> transformer -> LM head, as Snapdragon/QNN and other
split models ship): onnxruntime-genai runs the test model's pipeline variant and picks the same tokens as the
single-file decoder with the same weights; the opener checks every stage's file and the card lists them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import onnxruntime_genai as og
import pytest

from app.cli import main
from app.common.errors import ModelError, TargetError
from app.model.genai_folder import check_stage_providers, open_genai_folder, weights_precision
from app.record import io as rec
from app.record.schema import RunStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "genai"
PROMPT = "The profiler measures the time to first token"
STAGES = ["embeddings", "transformer", "lm_head"]


def _edit_config(folder: Path, edit) -> None:
    path = folder / "genai_config.json"
    cfg = json.loads(path.read_text())
    edit(cfg)
    path.write_text(json.dumps(cfg))


def _greedy(folder: Path, new_tokens: int = 16) -> list[int]:
    model = og.Model(str(folder))
    prompt = np.array(og.Tokenizer(model).encode(PROMPT), np.int32)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(prompt) + new_tokens, min_length=len(prompt) + new_tokens)
    gen = og.Generator(model, params)
    gen.append_tokens(prompt)
    out = []
    while not gen.is_done():
        gen.generate_next_token()
        out.append(int(gen.get_next_tokens()[0]))
    return out


def _object_style(cfg: dict) -> None:  # "pipeline": {"embeddings": {...}, "transformer": {...}, "lm_head": {...}}
    cfg["model"]["decoder"]["pipeline"] = cfg["model"]["decoder"]["pipeline"][0]


def _one_stage_per_entry(cfg: dict) -> None:  # "pipeline": [{"embeddings": {...}}, {"transformer": {...}}, ...]
    cfg["model"]["decoder"]["pipeline"] = [{k: v} for k, v in cfg["model"]["decoder"]["pipeline"][0].items()]


STYLES = {"list": lambda cfg: None, "object": _object_style, "one_stage_per_entry": _one_stage_per_entry}


def test_the_stages_compose_to_the_single_decoder(genai_built, genai_pipeline_built):
    """The split is right: embeddings -> transformer -> LM head gives the single file's logits and KV cache."""
    cfg = json.loads((genai_pipeline_built / "genai_config.json").read_text())["model"]["decoder"]
    sessions = {s: ort.InferenceSession(str(genai_pipeline_built / f"{s}.onnx"), providers=["CPUExecutionProvider"])
                for s in STAGES}
    full = ort.InferenceSession(str(genai_built / "model.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    past, n = 5, 7  # a cached prefix and new tokens, as in a decode step after a prefill
    feeds = {"input_ids": rng.integers(0, 512, (1, n)), "attention_mask": np.ones((1, past + n), np.int64),
             "position_ids": np.arange(past, past + n, dtype=np.int64)[None]}
    for i in range(cfg["num_hidden_layers"]):
        for part in ("key", "value"):
            feeds[f"past_key_values.{i}.{part}"] = rng.standard_normal((1, 4, past, 16)).astype(np.float32)
    expected = dict(zip([o.name for o in full.get_outputs()], full.run(None, feeds)))
    values = dict(feeds)
    for stage in STAGES:
        names = [o.name for o in sessions[stage].get_outputs()]
        values.update(zip(names, sessions[stage].run(None, {i.name: values[i.name]
                                                             for i in sessions[stage].get_inputs()})))
    assert set(expected) <= set(values)
    for name, value in expected.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("style", STYLES)
def test_onnxruntime_genai_runs_the_pipeline_to_the_same_tokens(style, genai_built, genai_pipeline_built, tmp_path):
    folder = Path(shutil.copytree(genai_pipeline_built, tmp_path / style))
    _edit_config(folder, STYLES[style])
    tokens = _greedy(folder)
    assert tokens == _greedy(genai_built)  # the same weights, split in three: the same greedy tokens
    assert len(tokens) == 16 and len(set(tokens)) > 1


def test_card_of_a_pipeline(genai_built, genai_pipeline_built):
    f = open_genai_folder(genai_pipeline_built)
    card, single = f.card, open_genai_folder(genai_built).card
    assert card.model_type == "decoder-pipeline" and [s.name for s in card.stages] == STAGES
    assert card.decoder_file == "embeddings.onnx + transformer.onnx + lm_head.onnx"
    assert f.files == [genai_pipeline_built / f"{s}.onnx" for s in STAGES]
    assert f.decoder_path == genai_pipeline_built / "transformer.onnx"  # the largest stage
    assert (card.layers, card.attention_heads, card.kv_heads, card.hidden_size) == (2, 4, 4, 64)
    # the same weights as the single file, counted over the stages together
    assert card.precision == "fp32" and card.parameters == single.parameters == sum(s.parameters for s in card.stages)
    assert all(s.precision == "fp32" and s.provider_requested == "cpu" for s in card.stages)
    assert [s.is_lm_head for s in card.stages] == [False, False, True] and card.provider_requested == "cpu"


@pytest.mark.parametrize("style", ["object", "one_stage_per_entry"])
def test_the_other_pipeline_styles_give_the_same_card(style, genai_pipeline_built, genai_pipeline_dir):
    _edit_config(genai_pipeline_dir, STYLES[style])
    card = open_genai_folder(genai_pipeline_dir).card
    reference = open_genai_folder(genai_pipeline_built).card
    assert card.stages == reference.stages and card.decoder_file == reference.decoder_file


def test_the_provider_each_stage_asks_for(genai_pipeline_dir):
    def edit(cfg):
        dec = cfg["model"]["decoder"]
        dec["session_options"]["provider_options"] = [{"qnn": {"backend_path": "QnnHtp.dll"}}]
        dec["pipeline"][0]["embeddings"]["session_options"] = {"provider_options": []}  # its own: the CPU
        dec["pipeline"][0]["lm_head"]["run_on_prompt"] = False
    _edit_config(genai_pipeline_dir, edit)
    card = open_genai_folder(genai_pipeline_dir).card
    # a stage without session options inherits the decoder's; one with its own uses those
    assert [s.provider_requested for s in card.stages] == ["cpu", "qnn", "qnn"]
    assert [s.own_session_options for s in card.stages] == [True, False, False]
    assert card.provider_requested == "cpu + qnn"
    assert (card.stages[2].run_on_prompt, card.stages[2].run_on_token_gen) == (False, True)


def test_a_stage_pinned_to_another_ep_refuses_the_target(genai_pipeline_dir, genai_pipeline_built):
    """onnxruntime-genai's clear_providers()/append_provider() reach only the decoder's session options: a
    stage with its own keeps its EP whatever the target, so a target it contradicts is refused (CPU stages
    beside an NPU's, as QNN pipelines have, are not a contradiction)."""
    def edit(cfg):
        _stage(cfg, "transformer")["session_options"] = {"provider_options": [{"qnn": {"backend_path": "x"}}]}
        _stage(cfg, "embeddings")["session_options"] = {"provider_options": []}
    _edit_config(genai_pipeline_dir, edit)
    card = open_genai_folder(genai_pipeline_dir).card
    with pytest.raises(TargetError) as e:
        check_stage_providers(card, "genai/cpu", "cpu")
    assert "--target genai/cpu: pipeline stage 'transformer' asks for qnn in its own session_options" in str(e.value)
    check_stage_providers(card, "genai/qnn", "qnn")  # the transformer on QNN, the embeddings on the CPU: as asked
    check_stage_providers(open_genai_folder(genai_pipeline_built).card, "genai/cuda", "cuda")  # no stage pinned


def test_onnxruntime_genai_s_own_pipeline_config(genai_pipeline_dir):
    """tests/data/genai/pipeline_upstream_test_model.json is onnxruntime-genai's test/models/pipeline-model
    config as published (stages embeds.onnx, transformer.onnx on CUDA, lm_head.onnx)."""
    for ours, theirs in (("embeddings", "embeds"), ("transformer", "transformer"), ("lm_head", "lm_head")):
        (genai_pipeline_dir / f"{ours}.onnx").rename(genai_pipeline_dir / f"{theirs}.onnx")
    shutil.copy(DATA / "pipeline_upstream_test_model.json", genai_pipeline_dir / "genai_config.json")
    card = open_genai_folder(genai_pipeline_dir).card
    assert [s.name for s in card.stages] == ["embeddings", "transformer", "language_model_head"]
    assert [s.provider_requested for s in card.stages] == ["cpu", "cuda", "cpu"]  # its top level is [{}]
    assert card.provider_requested == "cpu + cuda" and (card.layers, card.hidden_size) == (1, 2560)


def test_a_qnn_context_binary_stage(genai_pipeline_dir, zoo, tmp_path):
    """A stage compiled to a QNN context binary (a real one, by the QNN HTP emulator) has no ONNX weights:
    the card says what it is instead of a precision, and does not count its weights."""
    from app.engines import ort_compile, registry
    from app.engines.base import SessionSettings

    target = next((t for t in registry.discover_targets() if t.id == "ort/qnn/htp-emulator"), None)
    if target is None or not target.ready:
        pytest.skip("ort/qnn/htp-emulator is not ready here")
    ctx = ort_compile.compile_model(str(zoo["conv_net"]), target, SessionSettings(), tmp_path / "ctx.onnx", True)
    assert weights_precision(Path(ctx.out)) == ("QNN context binary (EPContext)", None)
    shutil.copy(ctx.out, genai_pipeline_dir / "transformer.onnx")
    card = open_genai_folder(genai_pipeline_dir).card
    assert card.stages[1].precision == "QNN context binary (EPContext)" and card.stages[1].parameters is None
    assert card.precision == "fp32 + QNN context binary (EPContext)" and card.parameters is None
    assert card.stages[0].parameters == 512 * 64  # the embeddings' table, still counted per stage
    # a context binary beside the stage (embed mode 0, as QNN pipelines ship): present, or one line naming it
    beside = ort_compile.compile_model(str(zoo["conv_net"]), target, SessionSettings(), tmp_path / "ext.onnx", False)
    shutil.copy(beside.out, genai_pipeline_dir / "transformer.onnx")
    with pytest.raises(ModelError) as e:
        open_genai_folder(genai_pipeline_dir)
    assert "transformer.onnx" in str(e.value) and "names the context binary" in str(e.value)
    assert "which is missing" in str(e.value) and "\n" not in str(e.value)
    for f in beside.files:
        if f.endswith(".bin"):
            shutil.copy(f, genai_pipeline_dir)
    assert open_genai_folder(genai_pipeline_dir).card.stages[1].precision == "QNN context binary (EPContext)"


def _stage(cfg: dict, name: str) -> dict:
    return cfg["model"]["decoder"]["pipeline"][0][name]


def _bad_edit(kind: str):
    if kind == "stage_not_object":
        return lambda c: c["model"]["decoder"]["pipeline"][0].update(transformer="transformer.onnx"), \
            "model.decoder.pipeline[0].transformer is a str, not an object with a filename"
    if kind == "stage_without_filename":
        return lambda c: _stage(c, "transformer").pop("filename"), \
            "model.decoder.pipeline[0].transformer.filename is missing"
    if kind == "escaping_stage_file":
        return lambda c: _stage(c, "lm_head").update(filename="../lm_head.onnx"), \
            "model.decoder.pipeline[0].lm_head.filename '../lm_head.onnx' points outside the model folder; refused"
    if kind == "entry_not_object":
        return lambda c: c["model"]["decoder"]["pipeline"].append("lm_head.onnx"), \
            "model.decoder.pipeline[1] is a str, not an object of stages"
    if kind == "no_pipeline":
        return lambda c: c["model"]["decoder"].pop("pipeline"), \
            "model.decoder.pipeline is missing (model.type is decoder-pipeline)"
    if kind == "pipeline_not_a_list":  # and no filename: a pipeline whatever the model type
        def edit(c):
            c["model"]["type"] = "phi3"
            c["model"]["decoder"]["pipeline"] = "transformer.onnx"
        return edit, "model.decoder.pipeline is a str, not a list of stages."
    if kind == "empty_pipeline":
        return lambda c: c["model"]["decoder"].update(pipeline=[]), "model.decoder.pipeline has no stages"
    if kind == "object_style_missing_file":
        def edit(c):
            _object_style(c)
            c["model"]["decoder"]["pipeline"]["transformer"]["filename"] = "ctx.onnx"
        return edit, "model.decoder.pipeline.transformer.filename names 'ctx.onnx', which is not in"
    raise AssertionError(kind)


BAD = ["stage_not_object", "stage_without_filename", "escaping_stage_file", "entry_not_object", "no_pipeline",
       "pipeline_not_a_list", "empty_pipeline", "object_style_missing_file"]


def test_a_missing_stage_file_is_one_line(genai_pipeline_dir):
    (genai_pipeline_dir / "transformer.onnx").unlink()
    with pytest.raises(ModelError) as e:
        open_genai_folder(genai_pipeline_dir)
    assert "model.decoder.pipeline[0].transformer.filename names 'transformer.onnx', which is not in" in str(e.value)


@pytest.mark.parametrize("kind", BAD)
def test_bad_pipeline_configs_are_one_model_error(kind, genai_pipeline_dir):
    edit, expected = _bad_edit(kind)
    _edit_config(genai_pipeline_dir, edit)
    with pytest.raises(ModelError) as e:
        open_genai_folder(genai_pipeline_dir)
    assert expected in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith(str(genai_pipeline_dir / "genai_config.json"))


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["run", *args, "--no-telemetry", "-q"])
    out, err = capsys.readouterr()
    return code, out, err.strip()


def test_cli_run_on_a_pipeline(genai_pipeline_built, tmp_path, capsys):
    out_file = tmp_path / "run.json"
    code, out, err = _run(capsys, str(genai_pipeline_built), "--target", "genai/cpu", "--prompt-tokens", "16,32",
                          "--gen-tokens", "8", "-n", "2", "--warmup", "1", "--out", str(out_file))
    assert code == 0, err
    r = rec.load(out_file)
    assert r.status is RunStatus.COMPLETED and r.genai.provider == "cpu"
    m = r.genai.model
    assert m.model_type == "decoder-pipeline" and [s.name for s in m.stages] == STAGES
    assert [s.filename for s in m.stages] == [f"{s}.onnx" for s in STAGES] and m.stages[2].is_lm_head
    assert m.parameters == sum(s.parameters for s in m.stages)
    assert r.model.size_bytes == sum((genai_pipeline_built / f"{s}.onnx").stat().st_size for s in STAGES)
    assert [x.prompt_tokens for x in r.genai.results] == [16, 32]
    for x in r.genai.results:
        assert x.generations == 2 and x.generated_tokens == 8 and x.decode_steps == 2 * 7
        assert x.ttft_median_s > 0 and x.decode_tokens_per_s > 0
    assert "stage transformer: transformer.onnx, fp32, 131.74K weights, asks for cpu" in out
    assert "stage lm_head: lm_head.onnx, fp32, 32.77K weights, asks for cpu, LM head" in out


@pytest.mark.parametrize("kind", ["missing_stage_file", "stage_without_filename", "stage_pinned_to_cuda"])
def test_cli_bad_pipeline_is_one_line_exit_2(kind, genai_pipeline_dir, tmp_path, capsys):
    if kind == "missing_stage_file":
        (genai_pipeline_dir / "lm_head.onnx").unlink()
        expected = "model.decoder.pipeline[0].lm_head.filename names 'lm_head.onnx', which is not in"
    elif kind == "stage_pinned_to_cuda":  # as onnxruntime-genai's own pipeline test model asks
        _edit_config(genai_pipeline_dir, lambda c: _stage(c, "transformer").update(
            session_options={"provider_options": [{"cuda": {"enable_cuda_graph": "0"}}]}))
        expected = "--target genai/cpu: pipeline stage 'transformer' asks for cuda in its own session_options"
    else:
        _edit_config(genai_pipeline_dir, lambda c: _stage(c, "embeddings").pop("filename"))
        expected = "model.decoder.pipeline[0].embeddings.filename is missing"
    out_file = tmp_path / "run.json"
    code, _, err = _run(capsys, str(genai_pipeline_dir), "--target", "genai/cpu", "-n", "1", "--out", str(out_file))
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("aipcprof: error:") and expected in lines[0], err
    assert not out_file.exists()


def test_inspect_a_pipeline(genai_pipeline_built, capsys):
    assert main(["inspect", str(genai_pipeline_built)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "decoder-pipeline, 2 layers" in out[1] and out[2].startswith("  stage embeddings: embeddings.onnx, fp32")
    assert main(["inspect", str(genai_pipeline_built), "--json"]) == 0
    stages = json.loads(capsys.readouterr().out)["stages"]
    assert [s["name"] for s in stages] == STAGES and stages[1]["parameters"] == 131744
