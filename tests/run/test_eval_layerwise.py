"""`aipcprof eval --layerwise`: the first diverging tensor on one sample, real sessions on ort/cpu
(a u8s8 copy of the digits MLP against its fp32 original; a float copy with one damaged layer)."""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from app.cli import main
from app.record import io as rec
from tests import accuracy_data

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    model, _, _ = accuracy_data.build(out)
    quant = out / "u8s8.onnx"
    assert main(["quantize", str(model), "--out", str(quant), "--calib", str(out / "arrays")]) == 0
    return model, quant, out


def _eval(model, out, data, *extra: str) -> int:
    return main(["eval", str(model), "--data", str(data / "arrays"), "--labels", str(data / "labels.csv"),
                 "--no-telemetry", "-q", "--out", str(out), *extra])


def _flat_sqnr(quant, sample: np.ndarray) -> float:
    """The SQNR of the quantised model's first tensor (the flattened input after its Q/DQ), computed here."""
    m = onnx.load(str(quant))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    q = next(n for n in m.graph.node if n.op_type == "QuantizeLinear")
    scale, zero = float(inits[q.input[1]]), int(inits[q.input[2]])
    x = sample.astype(np.float64).ravel()
    dq = (np.clip(np.round(x / scale) + zero, 0, 255) - zero) * scale
    return 10 * math.log10(np.sum(x ** 2) / np.sum((x - dq) ** 2))


def test_quantised_vs_float_first_tensor_below_the_threshold(work, tmp_path, capsys):
    model, quant, data = work
    out = tmp_path / "q.json"
    expected = _flat_sqnr(quant, np.load(data / "arrays" / "0000.npy"))
    threshold = math.ceil(expected) + 1  # just above the input's SQNR: the first tensor is the first below
    assert _eval(quant, out, data, "--layerwise", "--reference-model", str(model),
                 "--threshold-sqnr", str(threshold)) == 0
    printed = capsys.readouterr().out
    lw = rec.load(out).accuracy.layerwise
    assert lw.sample == "0000.npy" and lw.reference == "ort/cpu" and lw.reference_model == str(model)
    assert lw.tensors == 3 and lw.threshold_db == threshold
    assert lw.first_below.tensor == "flat" and lw.first_below.op == "Reshape"
    assert lw.first_below.sqnr_db == pytest.approx(expected, abs=0.05)
    assert 0.99 < lw.first_below.cosine <= 1.0
    assert f"first tensor below {threshold:g} dB: flat (output of Reshape node" in printed
    assert "layerwise on 0000.npy vs " in printed  # the record's summary line too


def test_every_tensor_above_a_low_threshold_and_another_sample(work, tmp_path):
    model, quant, data = work
    out = tmp_path / "q.json"
    assert _eval(quant, out, data, "--layerwise", "--reference-model", str(model), "--threshold-sqnr", "10",
                 "--layerwise-sample", str(data / "arrays" / "0007.npy")) == 0
    lw = rec.load(out).accuracy.layerwise
    assert lw.sample == "0007.npy" and lw.first_below is None
    assert lw.lowest.sqnr_db is not None and 10 < lw.lowest.sqnr_db < 60  # quantised: finite, not identical
    assert lw.lowest.sqnr_db == min(lw.lowest.sqnr_db, _flat_sqnr(quant, np.load(data / "arrays" / "0007.npy")))


def test_a_damaged_layer_is_the_first_to_diverge(work, tmp_path):
    model, _, data = work
    m = onnx.load(str(model))
    for t in m.graph.initializer:
        if t.name == "w2":  # the second layer's weights, negated: the first layer stays identical
            t.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(t), "w2"))
    damaged = tmp_path / "damaged.onnx"
    onnx.save(m, str(damaged))
    out = tmp_path / "d.json"
    assert _eval(damaged, out, data, "--layerwise", "--reference-model", str(model)) == 0
    r = rec.load(out)
    lw = r.accuracy.layerwise
    assert lw.reference_model == str(model) and lw.tensors == 6  # flat, h0, h1, h, l0, logits
    # l0 = h @ -w2 = -(h @ w2): the error is twice the signal, SQNR 10 log10(1/4) = -6.02 dB, cosine -1
    assert lw.first_below.tensor == "l0" and lw.first_below.op == "MatMul"
    assert lw.first_below.sqnr_db == pytest.approx(-6.0206, abs=1e-3)
    assert lw.first_below.cosine == pytest.approx(-1.0, abs=1e-6)
    assert r.accuracy.classification.top1 < 0.2  # and the eval itself says it is broken


@pytest.mark.parametrize(("extra", "words"), [
    (["--layerwise-sample", "0001.npy"], ("--layerwise-sample is an option of --layerwise",)),
    (["--layerwise", "--layerwise-sample", "nope.npy"], ("--layerwise-sample nope.npy: not a sample of --data",)),
    (["--layerwise", "--reference-model", "missing.onnx"], ("missing.onnx",)),
])
def test_bad_layerwise_options_are_one_line(work, tmp_path, capsys, extra, words):
    _, quant, data = work
    out = tmp_path / "x.json"
    assert _eval(quant, out, data, *extra) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("aipcprof:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(w in lines[0] for w in words), lines[0]
    assert not out.exists()
