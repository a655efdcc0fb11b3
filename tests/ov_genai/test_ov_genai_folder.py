"""An OpenVINO IR LLM folder: found from the folder or an .xml inside, its card from config.json and the IR,
and every problem one line."""

from __future__ import annotations

import json

import pytest

from app.common.errors import ModelError
from app.model.ov_genai_folder import card_dict, is_ov_genai_path, open_ov_genai_folder, ov_genai_folder_of


def test_the_card(ov_genai_built):
    card = open_ov_genai_folder(ov_genai_built).card
    assert (card.model_type, card.layers, card.attention_heads, card.kv_heads, card.head_size, card.hidden_size,
            card.context_length, card.vocab_size) == ("decoder", 2, 4, 4, 16, 64, 1024, 512)
    assert card.precision == "fp32" and card.decoder_file == "openvino_model.xml"
    # the weights: embeddings 512x64 + positions 1024x64, per layer 4 64x64 + 64x128 + 128x64 + 2 LayerNorms
    # (64 + 64 each), the final LayerNorm and the 64x512 head
    per_layer = 4 * 64 * 64 + 2 * 64 * 128 + 2 * 2 * 64
    assert card.parameters == 512 * 64 + 1024 * 64 + 2 * per_layer + 2 * 64 + 64 * 512
    assert card.provider_requested == "" and "openvino_tokenizer.xml" in card.tokenizer


def test_an_xml_inside_opens_the_folder(ov_genai_built):
    assert ov_genai_folder_of(ov_genai_built / "openvino_tokenizer.xml") == ov_genai_built
    assert open_ov_genai_folder(ov_genai_built / "openvino_model.xml").folder == ov_genai_built
    assert is_ov_genai_path(ov_genai_built) and not is_ov_genai_path(ov_genai_built / "config.json")
    card = card_dict(ov_genai_built)
    assert card["genai_runtime"] == "openvino-genai" and card["genai"].layers == 2 and card["inputs"] == []


def test_the_ir_alone_gives_the_card(ov_genai_dir):
    (ov_genai_dir / "config.json").unlink()
    card = open_ov_genai_folder(ov_genai_dir).card
    # from the cache variables ([batch, kv heads, tokens, head size]) and the logits
    assert (card.layers, card.kv_heads, card.head_size, card.vocab_size) == (2, 4, 16, 512)
    assert card.attention_heads is None and card.context_length is None and card.config_file == ""


def test_fp16_weights(ov_genai_dir):
    import openvino as ov

    xml = ov_genai_dir / "openvino_model.xml"
    model = ov.Core().read_model(str(xml))
    ov.save_model(model, str(ov_genai_dir / "fp16.xml"), compress_to_fp16=True)
    (ov_genai_dir / "fp16.xml").replace(xml)
    (ov_genai_dir / "fp16.bin").replace(xml.with_suffix(".bin"))
    assert open_ov_genai_folder(ov_genai_dir).card.precision == "fp16"


@pytest.mark.parametrize("remove, line", [
    ("openvino_tokenizer.xml", "{d}: no openvino_tokenizer.xml in this OpenVINO IR LLM folder."),
    ("openvino_detokenizer.xml", "{d}: no openvino_detokenizer.xml in this OpenVINO IR LLM folder."),
    ("openvino_model.bin", "{d}: openvino_model.xml is there but openvino_model.bin is not."),
])
def test_a_missing_file_is_one_line(ov_genai_dir, remove, line):
    (ov_genai_dir / remove).unlink()
    with pytest.raises(ModelError) as e:
        open_ov_genai_folder(ov_genai_dir)
    assert e.value.message == line.format(d=ov_genai_dir)


def test_not_such_a_folder(tmp_path):
    with pytest.raises(ModelError, match="no openvino_model.xml in this folder"):
        open_ov_genai_folder(tmp_path)
    with pytest.raises(ModelError, match="no such file or folder"):
        open_ov_genai_folder(tmp_path / "nope")


def test_a_broken_config_or_ir(ov_genai_dir):
    (ov_genai_dir / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"config.json: not valid JSON \(line 1"):
        open_ov_genai_folder(ov_genai_dir)
    (ov_genai_dir / "config.json").write_text(json.dumps({"num_hidden_layers": 2}))
    (ov_genai_dir / "openvino_model.xml").write_text("<net>")
    with pytest.raises(ModelError, match="openvino_model.xml: OpenVINO cannot read it"):
        open_ov_genai_folder(ov_genai_dir)


def test_a_stateless_ir_is_refused(ov_genai_dir, genai_built):
    import openvino as ov

    stateless = ov.Core().read_model(str(genai_built / "model.onnx"))  # past/present as inputs and outputs
    ov.save_model(stateless, str(ov_genai_dir / "openvino_model.xml"))
    with pytest.raises(ModelError, match="not a stateful LLM"):
        open_ov_genai_folder(ov_genai_dir)


def test_aipcprof_inspect(ov_genai_built, capsys):
    from app.cli import main

    assert main(["inspect", str(ov_genai_built / "openvino_model.xml")]) == 0
    out = capsys.readouterr().out
    assert "decoder, 2 layers, 4 heads, 4 KV heads, hidden 64, context 1024 tokens, vocab 512, fp32" in out
    assert main(["inspect", str(ov_genai_built), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decoder_file"] == "openvino_model.xml"
