"""A real labelled data set and a model trained on it, built offline at test time (docs/accuracy.md).

The data is scikit-learn's bundled digits set (1,797 8x8 grey images of the
digits 0-9, values 0-16, shipped inside the scikit-learn package: no
download). The model is a small MLP (64 -> 32 ReLU -> 10 logits) trained here
with numpy on the first 80% of the samples (seeded, full-batch gradient
descent with momentum), exported with onnx.helper; its accuracy on the
held-out 20% is therefore a measured number, not a constant.

    python -m tests.accuracy_data OUT_DIR     # writes OUT_DIR/digits_mlp.onnx, arrays/, images/, labels.csv, calib/

Layout written by `write_dataset`:

    arrays/NNNN.npy      one sample [1, 8, 8] float32 (values 0-16), the model's input without the batch axis
    images/NNNN.png      the same sample as an 8-bit grey PNG (value * 255 / 16, rounded)
    labels.csv           file,label for arrays/ (images_labels.csv: the same for images/)
    by_class/D/NNNN.png  the images again in one folder per class (ImageNet style)
    calib/NNNN.npy       the first 200 TRAINING samples, [1, 8, 8] float32: calibration data for
                         `aipcprof quantize --calib` (the held-out samples stay unseen)
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 0
HIDDEN = 32
STEPS = 300
TRAIN_SHARE = 0.8
CALIB_SAMPLES = 200  # training samples written to calib/ for quantisation
IMAGE_RECIPE = "color=L,scale=16/255,layout=NCHW"  # the PNGs back to the arrays' 0-16 values (to 1/16 of a level)


@dataclass
class Digits:
    x_train: np.ndarray  # [n, 64] float32, 0-16
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_split() -> Digits:
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = d.data.astype(np.float32), d.target.astype(np.int64)
    order = np.random.default_rng(SEED).permutation(len(x))
    x, y = x[order], y[order]
    n = int(len(x) * TRAIN_SHARE)
    return Digits(x[:n], y[:n], x[n:], y[n:])


def train_mlp(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """64 -> HIDDEN ReLU -> 10; inputs scaled by 1/16 inside the model. Seeded, so the same weights every time."""
    rng = np.random.default_rng(SEED)
    w1 = rng.normal(0, 0.3, (64, HIDDEN)).astype(np.float64)
    b1 = np.zeros(HIDDEN)
    w2 = rng.normal(0, 0.3, (HIDDEN, 10)).astype(np.float64)
    b2 = np.zeros(10)
    xs = x.astype(np.float64) / 16.0
    onehot = np.eye(10)[y]
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    for _ in range(STEPS):
        h = np.maximum(xs @ w1 + b1, 0)
        logits = h @ w2 + b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        g_logits = (p - onehot) / len(xs)
        g_h = (g_logits @ w2.T) * (h > 0)
        grads = [xs.T @ g_h, g_h.sum(0), h.T @ g_logits, g_logits.sum(0)]
        for i, g in enumerate(grads):
            velocity[i] = 0.9 * velocity[i] - 0.5 * g
            params[i] += velocity[i]
    return {"w1": (w1 / 16.0).astype(np.float32), "b1": b1.astype(np.float32),
            "w2": w2.astype(np.float32), "b2": b2.astype(np.float32)}


def mlp_model(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """x [N, 1, 8, 8] float32 (0-16) -> logits [N, 10]."""
    nodes = [
        helper.make_node("Reshape", ["x", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["l0"]),
        helper.make_node("Add", ["l0", "b2"], ["logits"]),
    ]
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    inits.append(numpy_helper.from_array(np.array([-1, 64], np.int64), "flat_shape"))
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aipcprof-tests")
    m.ir_version = 9
    onnx.checker.check_model(m)
    return m


def predict(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model's logits computed with numpy (float32 like the runtime), for [n, 64] inputs."""
    h = np.maximum(x.astype(np.float32) @ weights["w1"] + weights["b1"], 0)
    return h @ weights["w2"] + weights["b2"]


def _write_labels(path: Path, rows: list[tuple[str, int]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "label"])
        w.writerows(rows)


def write_dataset(out: Path, x: np.ndarray, y: np.ndarray) -> None:
    from PIL import Image

    for sub in ("arrays", "images"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    arrays, images = [], []
    for i, (sample, label) in enumerate(zip(x, y)):
        name = f"{i:04d}"
        np.save(out / "arrays" / f"{name}.npy", sample.reshape(1, 8, 8).astype(np.float32))
        pixels = np.clip(np.rint(sample.reshape(8, 8) * 255.0 / 16.0), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, mode="L").save(out / "images" / f"{name}.png")
        cls_dir = out / "by_class" / str(int(label))
        cls_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L").save(cls_dir / f"{name}.png")
        arrays.append((f"{name}.npy", int(label)))
        images.append((f"{name}.png", int(label)))
    _write_labels(out / "labels.csv", arrays)
    _write_labels(out / "images_labels.csv", images)


def build(out: Path) -> tuple[Path, Digits, dict[str, np.ndarray]]:
    """The model and the held-out data set under `out`; returns the model path, the split and the weights."""
    out.mkdir(parents=True, exist_ok=True)
    digits = load_digits_split()
    weights = train_mlp(digits.x_train, digits.y_train)
    model_path = out / "digits_mlp.onnx"
    onnx.save(mlp_model(weights), model_path)
    write_dataset(out, digits.x_test, digits.y_test)
    write_calibration(out / "calib", digits.x_train)
    return model_path, digits, weights


def write_calibration(folder: Path, x_train: np.ndarray) -> None:
    """CALIB_SAMPLES training samples (not the held-out ones) as .npy files, for `aipcprof quantize --calib`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(x_train[:CALIB_SAMPLES]):
        np.save(folder / f"{i:04d}.npy", sample.reshape(1, 8, 8).astype(np.float32))


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "digits_eval")
    path, split, w = build(folder)
    acc = float((predict(w, split.x_test).argmax(1) == split.y_test).mean())
    print(f"{path}: {len(split.x_test)} held-out samples, numpy top-1 {acc:.4f}")
