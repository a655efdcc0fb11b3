"""`aipcprof layerwise`: per-tensor SQNR against a reference, and the first tensor that breaks, on real runtimes."""

from __future__ import annotations

import json
import math

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from app.cli import main
from app.engines import registry
from app.run.layerwise import compare, cosine, sqnr_db
from tests import model_zoo

EMULATOR = "ort/qnn/htp-emulator"


def test_sqnr_and_cosine_known_values():
    ref = np.array([1.0, 1.0], np.float32)
    assert sqnr_db(ref, np.array([1.1, 0.9])) == pytest.approx(20.0)  # signal 2, noise 0.02
    assert sqnr_db(ref, ref) == math.inf
    assert sqnr_db(np.zeros(2), np.ones(2)) == -math.inf
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert cosine(ref, 5 * ref) == pytest.approx(1.0)
    assert math.isnan(cosine(np.zeros(2), ref))


def _break(path, out, tensor: str, factor: float) -> None:
    """A deliberately broken quantised model: `tensor`'s activation scale shrunk, so it saturates."""
    model = onnx.load(str(path))
    for init in model.graph.initializer:
        if init.name == f"{tensor}_scale":
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * factor, init.name))
            break
    else:
        raise AssertionError(f"no {tensor}_scale in {path}")
    onnx.save(model, str(out))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layerwise")
    float_model = model_zoo.save(model_zoo.conv_net(size=32), folder, "conv")
    calib = folder / "calib"
    calib.mkdir()
    r = np.random.default_rng(5)
    for i in range(8):
        np.save(calib / f"s{i}.npy", r.random((1, 3, 32, 32), np.float32))
    np.save(folder / "sample.npy", r.random((1, 3, 32, 32), np.float32))
    out = {"float": float_model, "sample": folder / "sample.npy"}
    for scheme in ("u8s8", "qnn-u16u8"):
        out[scheme] = folder / f"{scheme}.onnx"
        assert main(["quantize", str(float_model), "--out", str(out[scheme]), "--calib", str(calib),
                     "--scheme", scheme]) == 0
        out[f"{scheme}-broken"] = folder / f"{scheme}-broken.onnx"
        _break(out[scheme], out[f"{scheme}-broken"], "r1", 0.02)
    return out


def _run(models, name: str, target: str, threshold: float = 25.0):
    return compare(str(models[name]), target, "ort/cpu", str(models["float"]), {"image": str(models["sample"])},
                   threshold)


def test_a_good_quantised_model_stays_above_the_threshold_on_cpu(models):
    result = _run(models, "u8s8", "ort/cpu")
    assert [r.tensor for r in result.rows] == ["r0", "r1", "r2", "pooled", "flat", "logits"]
    assert result.first_bad is None
    assert all(25.0 < r.sqnr_db < 80.0 for r in result.rows)  # real quantisation error, not identity
    assert all(r.cosine > 0.99 for r in result.rows)


def test_the_broken_tensor_is_found_first_on_cpu(models):
    result = _run(models, "u8s8-broken", "ort/cpu")
    assert result.first_bad is not None
    bad = result.rows[result.first_bad]
    assert bad.tensor == "r1" and bad.node == "conv1" and bad.sqnr_db < 10.0
    assert result.rows[0].tensor == "r0" and result.rows[0].sqnr_db > 25.0  # the layer before it is fine


def test_same_model_on_two_targets_without_a_reference_model(models, capsys):
    """No --reference-model: the model itself on ort/cpu and on OpenVINO's CPU (bf16 here, or fp32)."""
    if not registry.find_target("ov/cpu").ready:
        pytest.skip("ov/cpu is not ready here")
    assert main(["layerwise", str(models["float"]), "-t", "ov/cpu", "--threshold-sqnr", "25", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["reference_model"] == result["model"] and len(result["rows"]) == 9  # 3 x (Conv, Relu) + 3
    assert "synthesized" in result["input_sources"]["image"]  # no --input: said, not hidden


def test_on_the_htp_emulator(models):
    if not registry.find_target(EMULATOR).ready:
        pytest.skip(f"{EMULATOR} is not ready here")
    good = _run(models, "qnn-u16u8", EMULATOR, threshold=30.0)
    assert good.first_bad is None and len(good.rows) == 6
    broken = _run(models, "qnn-u16u8-broken", EMULATOR, threshold=30.0)
    assert broken.rows[broken.first_bad].tensor == "r1"


def test_cli_text_names_the_first_bad_tensor(models, capsys):
    assert main(["layerwise", str(models["u8s8-broken"]), "-t", "ort/cpu", "--reference-model",
                 str(models["float"]), "--input", f"image={models['sample']}"]) == 0
    out = capsys.readouterr().out
    assert "first tensor below 20 dB: r1 (output of Conv node conv1)" in out
    assert "<- first below" in out.splitlines()[4]  # header, count, column titles, r0, then r1


def test_unknown_target_is_one_line(models, capsys):
    assert main(["layerwise", str(models["float"]), "-t", "ort/nope"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
