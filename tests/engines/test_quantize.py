"""`aipcprof quantize` for real (ONNX Runtime's tools), the quantised model on ort/cpu and the QNN HTP emulator."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from app.cli import main
from app.engines.base import SessionSettings
from app.model.model_card import format_card, inspect_model
from app.run.layerwise import sqnr_db
from tests import model_zoo
from tests.engines.conftest import open_target

EMULATOR = "ort/qnn/htp-emulator"
SIZE = 32


def _samples(folder, n: int, seed: int) -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(seed)
    arrays = [r.random((1, 3, SIZE, SIZE), np.float32) for _ in range(n)]
    for i, a in enumerate(arrays):
        np.save(folder / f"s{i:03d}.npy", a)
    return arrays


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quant")
    model = model_zoo.save(model_zoo.conv_net(size=SIZE), folder, "conv")
    _samples(folder / "calib", 16, seed=1)
    held_out = _samples(folder / "test", 4, seed=2)  # not seen by calibration
    return folder, model, held_out


@pytest.fixture(scope="module")
def quantised(work):
    folder, model, _ = work
    out = {}
    for scheme in ("u8s8", "qnn-u16u8", "dynamic"):
        path = folder / f"conv_{scheme}.onnx"
        calib = [] if scheme == "dynamic" else ["--calib", str(folder / "calib")]
        assert main(["quantize", str(model), "--out", str(path), "--scheme", scheme, *calib]) == 0
        out[scheme] = path
    return out


def _outputs(target: str, path, samples) -> list[np.ndarray]:
    session = open_target(target, path, SessionSettings())
    try:
        return [session.run({"image": s})[0] for s in samples]
    finally:
        session.close()


def _sqnr(target: str, path, float_model, samples) -> float:
    want = _outputs("ort/cpu", float_model, samples)
    got = _outputs(target, path, samples)
    return sqnr_db(np.concatenate(want), np.concatenate(got))


def test_static_quantisation_is_qdq_with_the_scheme_in_its_card(quantised):
    model = onnx.load(str(quantised["u8s8"]))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") >= 4 and ops.count("DequantizeLinear") >= 8  # input, 3 convs, weights
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["aipcprof.quant.scheme"] == "u8s8"
    assert meta["aipcprof.quant.calibration"].startswith("16 samples from ")
    card = inspect_model(quantised["u8s8"])
    assert card.quantization["format"] == "QDQ" and card.quantization["activations"] == ["uint8"]
    assert "int8" in card.quantization["weights"]
    assert "scheme u8s8 by aipcprof quantize" in format_card(card)


def test_qnn_scheme_has_16_bit_activations(quantised):
    q = inspect_model(quantised["qnn-u16u8"]).quantization
    assert q["activations"] == ["uint16"] and q["scheme"]["scheme"] == "qnn-u16u8"


def test_u8s8_runs_on_cpu_close_to_the_float_model(work, quantised):
    _, model, held_out = work
    measured = _sqnr("ort/cpu", quantised["u8s8"], model, held_out)
    assert 30.0 < measured < 80.0  # 8-bit: real error (~42 dB here), but small


def test_dynamic_runs_on_cpu_close_to_the_float_model(work, quantised):
    _, model, held_out = work
    assert inspect_model(quantised["dynamic"]).quantization["dynamic"]
    assert 25.0 < _sqnr("ort/cpu", quantised["dynamic"], model, held_out) < 80.0


def test_qnn_u16_runs_on_the_htp_emulator_close_to_the_float_model(work, quantised, targets):
    if EMULATOR not in targets or not targets[EMULATOR].ready:
        pytest.skip(f"{EMULATOR} is not ready here")
    _, model, held_out = work
    assert 30.0 < _sqnr(EMULATOR, quantised["qnn-u16u8"], model, held_out) < 80.0


def test_calibration_on_the_wrong_range_measurably_hurts(work, tmp_path):
    """The SQNR check can fail: calibrating on inputs 100x too small clips real inputs."""
    _, model, held_out = work
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    for i, a in enumerate(_samples(tmp_path / "src", 4, seed=3)):
        np.save(tiny / f"t{i}.npy", a * 0.01)
    out = tmp_path / "clipped.onnx"
    assert main(["quantize", str(model), "--out", str(out), "--calib", str(tiny)]) == 0
    assert _sqnr("ort/cpu", out, model, held_out) < 20.0


def test_synthetic_calibration_is_loud_and_recorded(work, tmp_path, capsys):
    _, model, _ = work
    out = tmp_path / "synthetic.onnx"
    assert main(["quantize", str(model), "--out", str(out), "--synthetic-calib", "3"]) == 0
    err = capsys.readouterr().err
    assert "SYNTHETIC random samples" in err
    assert "calibration samples: 3/3" in err  # the progress line, through to the last sample
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["aipcprof.quant.calibration"].startswith("synthetic: 3 seeded random samples")


def test_a_model_aipcprof_did_not_quantise_has_no_scheme(tmp_path):
    path = model_zoo.save(model_zoo.qdq_int8(), tmp_path, "qdq")
    card = inspect_model(path)
    assert card.quantization["format"] == "QDQ" and card.quantization["scheme"] == {}
    assert "scheme" not in format_card(card)
