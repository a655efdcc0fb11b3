"""The model folder is untrusted input: what it opens as, its card, and every problem as one line."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from app.common.errors import ModelError
from app.model.genai_folder import genai_folder_of, is_genai_path, open_genai_folder, weights_precision


def _edit_config(folder, edit) -> None:
    path = folder / "genai_config.json"
    cfg = json.loads(path.read_text())
    edit(cfg)
    path.write_text(json.dumps(cfg))


def test_the_folder_its_config_or_an_onnx_inside_open_the_same_model(genai_built, tmp_path, zoo):
    for path in (genai_built, genai_built / "genai_config.json", genai_built / "model.onnx"):
        assert genai_folder_of(path) == genai_built and is_genai_path(path)
    assert genai_folder_of(zoo["conv_net"]) is None and not is_genai_path(zoo["conv_net"])
    assert is_genai_path(tmp_path)  # any folder goes this way, to be told it has no genai_config.json


def test_card(genai_built):
    card = open_genai_folder(genai_built).card
    cfg = json.loads((genai_built / "genai_config.json").read_text())["model"]
    assert (card.model_type, card.layers, card.attention_heads, card.kv_heads) == ("decoder", 2, 4, 4)
    assert (card.head_size, card.hidden_size, card.context_length) == (16, 64, 1024)
    assert card.vocab_size == cfg["vocab_size"] == 512
    assert card.precision == "fp32" and card.provider_requested == "cpu"
    weights = onnx.load(str(genai_built / "model.onnx"))
    assert card.parameters == sum(int(np.prod(t.dims)) for t in weights.graph.initializer if np.prod(t.dims) > 1)
    assert card.tokenizer == "tokenizer.json, tokenizer_config.json"


def test_the_provider_the_config_asks_for(genai_dir):
    _edit_config(genai_dir, lambda c: c["model"]["decoder"]["session_options"].update(
        provider_options=[{"qnn": {"backend_path": "QnnHtp.dll"}}]))
    assert open_genai_folder(genai_dir).card.provider_requested == "qnn"


def _matmulnbits(path) -> None:
    """A decoder whose weights are int4 blocks (MatMulNBits, as the model builder writes for int4) and fp16."""
    b = numpy_helper.from_array(np.zeros((8, 1, 8), np.uint8), "w_q")
    scales = numpy_helper.from_array(np.ones(8, np.float16), "w_s")
    emb = numpy_helper.from_array(np.ones((16, 16), np.float16), "emb")
    node = helper.make_node("MatMulNBits", ["x", "w_q", "w_s"], ["y"], domain="com.microsoft", K=16, N=8, bits=4,
                            block_size=16)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 8])], [b, scales, emb])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, str(path))


def test_precision_of_int4_and_fp16_weights(tmp_path):
    _matmulnbits(tmp_path / "q.onnx")
    assert weights_precision(tmp_path / "q.onnx") == ("int4 (MatMulNBits) + fp16", None)


def _no_config(d):
    (d / "genai_config.json").unlink()
    return d, "no genai_config.json in this folder"


def _missing_decoder(d):
    (d / "model.onnx").unlink()
    return d, "model.decoder.filename names 'model.onnx', which is not in"


def _escaping_name(d):
    _edit_config(d, lambda c: c["model"]["decoder"].update(filename="../elsewhere.onnx"))
    return d, "points outside the model folder; refused"


def _not_json(d):
    (d / "genai_config.json").write_text("{ not json")
    return d, "not valid JSON (line 1"


def _no_decoder(d):
    _edit_config(d, lambda c: c["model"].pop("decoder"))
    return d, "model.decoder is missing"


def _no_tokenizer(d):
    (d / "tokenizer.json").unlink()
    return d, "no tokenizer.json beside genai_config.json"


BAD = {"no_config": _no_config, "missing_decoder": _missing_decoder, "escaping_name": _escaping_name,
       "not_json": _not_json, "no_decoder": _no_decoder, "no_tokenizer": _no_tokenizer}


@pytest.mark.parametrize("kind", BAD)
def test_bad_folders_are_one_model_error(kind, genai_dir):
    path, expected = BAD[kind](genai_dir)
    with pytest.raises(ModelError) as e:
        open_genai_folder(path)
    assert expected in str(e.value) and "\n" not in str(e.value)
