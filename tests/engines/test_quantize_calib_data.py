"""`quantize --calib` reads its folder through the eval's data-set reader: images with --preprocess, class
folders, .npz checked by their headers; a bad sample is one line naming it (app/model/calibration.py)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from app.cli import main
from tests import accuracy_data


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    model, _, _ = accuracy_data.build(out)
    return model, out


def _input_scale(path) -> float:
    """The scale of the first QuantizeLinear (the flattened input): what calibration measured of the data's range."""
    m = onnx.load(str(path))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    q = next(n for n in m.graph.node if n.op_type == "QuantizeLinear")
    return float(inits[q.input[1]])


def _meta(path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_images_with_the_eval_recipe_calibrate_like_the_arrays(digits, tmp_path):
    model, data = digits
    arrays, images = tmp_path / "arrays.onnx", tmp_path / "images.onnx"
    assert main(["quantize", str(model), "--out", str(arrays), "--calib", str(data / "arrays")]) == 0
    assert main(["quantize", str(model), "--out", str(images), "--calib", str(data / "images"),
                 "--preprocess", accuracy_data.IMAGE_RECIPE]) == 0
    a, b = _input_scale(arrays), _input_scale(images)
    assert a == pytest.approx(16 / 255, rel=0.02)  # uint8 over the digits' 0-16 range
    assert b == pytest.approx(a, rel=0.02)  # the PNGs decoded back to 0-16: not 0-255 (16x the scale)
    assert _meta(images)["aipcprof.quant.calibration"] == (
        f"{len(list((data / 'images').iterdir()))} samples from {data / 'images'} "
        f"(--preprocess {accuracy_data.IMAGE_RECIPE})")


def test_class_folders_calibrate_too(digits, tmp_path):
    model, data = digits
    out = tmp_path / "q.onnx"
    assert main(["quantize", str(model), "--out", str(out), "--calib", str(data / "by_class"),
                 "--preprocess", accuracy_data.IMAGE_RECIPE]) == 0
    assert _input_scale(out) == pytest.approx(16 / 255, rel=0.02)


def _one_line(capsys, argv: list[str], *words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("aipcprof:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]


def test_bad_calibration_data_is_one_line(digits, tmp_path, capsys):
    model, data = digits
    out = str(tmp_path / "q.onnx")
    _one_line(capsys, ["quantize", str(model), "--out", out, "--calib", str(data / "images")],
              f"--calib {data / 'images'}", "images need a --preprocess recipe")
    _one_line(capsys, ["quantize", str(model), "--out", out, "--preprocess", "scale=1/255",
                       "--synthetic-calib", "2"], "--preprocess without --calib")
    bad = tmp_path / "npz"
    bad.mkdir()
    np.savez(bad / "a.npz", x=np.zeros((1, 1, 8, 8), np.float32))
    np.savez(bad / "b.npz", x=np.zeros((1, 1, 4, 4), np.float32))  # the header says 4x4: found before any run
    _one_line(capsys, ["quantize", str(model), "--out", out, "--calib", str(bad)],
              "--calib sample b.npz", "shape 1x1x4x4", "?x1x8x8")
    np.savez(bad / "b.npz", y=np.zeros((1, 1, 8, 8), np.float32), z=np.zeros((1, 1, 8, 8), np.float32))
    _one_line(capsys, ["quantize", str(model), "--out", out, "--calib", str(bad)],
              "--calib sample b.npz", "no array named 'x' (it holds y, z)")
    (bad / "b.npz").unlink()
    (bad / "c.png").write_bytes(b"not a png")
    _one_line(capsys, ["quantize", str(model), "--out", out, "--calib", str(bad)], "holds both arrays")
    assert not (tmp_path / "q.onnx").exists()


def test_a_single_array_npz_feeds_a_single_input_model_whatever_its_key(digits, tmp_path):
    from app.model.calibration import open_calibration
    from app.model.inputs import model_inputs
    from app.model.model_file import load_model

    model, _ = digits
    folder = tmp_path / "npz"
    folder.mkdir()
    np.savez(folder / "a.npz", np.full((1, 1, 8, 8), 3.0, np.float32))  # key arr_0
    calib = open_calibration(folder, model_inputs(load_model(str(model))))
    assert len(calib) == 1 and float(calib.load(0)["x"].mean()) == 3.0
