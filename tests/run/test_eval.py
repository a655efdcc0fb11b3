"""`aipcprof eval` on the real runtimes, with the digits data set and an MLP trained at test time.

The expected accuracies are computed here, independently, with numpy from
the same weights (tests/accuracy_data.py): the eval must reproduce them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from app.cli import main
from app.record import io as rec
from tests import accuracy_data

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    model, split, weights = accuracy_data.build(folder)
    return folder, model, split, weights


def _eval(args: list[str], out: Path) -> int:
    return main(["eval", *map(str, args), "--out", str(out), "-q", "--no-telemetry"])


def test_arrays_csv_top1_matches_numpy(digits, tmp_path):
    folder, model, split, weights = digits
    out = tmp_path / "e.json"
    assert _eval([model, "--data", folder / "arrays", "--labels", folder / "labels.csv"], out) == 0
    r = rec.load(out)
    acc = r.accuracy
    expected = accuracy_data.predict(weights, split.x_test).argmax(1)
    assert acc is not None and acc.dataset.samples == len(split.y_test) == r.latency.count
    assert acc.classification.top1 == pytest.approx(float((expected == split.y_test).mean()))
    assert acc.classification.top1_ci.low < acc.classification.top1 < acc.classification.top1_ci.high
    wrong = int((expected != split.y_test).sum())
    assert sum(p.count for p in acc.classification.confusion.pairs) == wrong or len(acc.classification.confusion.pairs) == 10
    assert np.sum(acc.classification.confusion.matrix) == len(split.y_test)
    assert acc.output == "logits" and r.error is None


def _png_values(folder: Path) -> np.ndarray:
    from PIL import Image

    files = sorted((folder / "images").glob("*.png"))
    return np.stack([np.asarray(Image.open(f), np.float32).reshape(64) * np.float32(16 / 255) for f in files])


@pytest.mark.parametrize("route", ["csv", "folders"])
def test_images_with_a_recipe(digits, tmp_path, route):
    folder, model, split, weights = digits
    out = tmp_path / "e.json"
    data = ["--data", folder / "images", "--labels", folder / "images_labels.csv"] if route == "csv" else \
        ["--data", folder / "by_class"]
    assert _eval([model, *data, "--preprocess", accuracy_data.IMAGE_RECIPE], out) == 0
    acc = rec.load(out).accuracy
    expected = accuracy_data.predict(weights, _png_values(folder)).argmax(1)  # what the PNGs' pixels give
    assert acc.classification.top1 == pytest.approx(float((expected == split.y_test).mean()))
    assert acc.dataset.kind == "images" and acc.dataset.label_format == route


def test_agreement_ov_cpu_against_ort_cpu(digits, tmp_path):
    folder, model, _, _ = digits
    out = tmp_path / "e.json"
    assert _eval([model, "--target", "ov/cpu", "--data", folder / "arrays", "--task", "agreement"], out) == 0
    (o,) = rec.load(out).accuracy.agreement.outputs
    assert o.samples == 360 and o.top1_agreement >= 0.97  # OpenVINO CPU runs bf16 on this AMD CPU
    assert 20 < o.sqnr_db < 200 and o.cosine_similarity > 0.999 and not o.identical
    out2 = tmp_path / "self.json"
    assert _eval([model, "--data", folder / "arrays", "--task", "agreement"], out2) == 0
    (same,) = rec.load(out2).accuracy.agreement.outputs
    assert same.identical and same.top1_agreement == 1.0 and same.sqnr_db is None


def test_qnn_htp_emulator_eval(digits, tmp_path):
    folder, model, split, weights = digits
    small = tmp_path / "small"
    small.mkdir()
    rows = ["file,label"]
    for i in range(24):  # the emulator is slow: a slice of the data set
        shutil.copy(folder / "arrays" / f"{i:04d}.npy", small)
        rows.append(f"{i:04d}.npy,{split.y_test[i]}")
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "e.json"
    assert _eval([model, "--target", "ort/qnn/htp-emulator", "--data", small, "--labels", tmp_path / "l.csv"], out) == 0
    r = rec.load(out)
    expected = accuracy_data.predict(weights, split.x_test[:24]).argmax(1)
    numpy_top1 = float((expected == split.y_test[:24]).mean())
    assert r.latency.count == 24 and abs(r.accuracy.classification.top1 - numpy_top1) <= 1 / 24
    assert r.placement is not None and r.placement.accelerator_nodes > 0


def test_skip_lists_bad_samples_by_name(digits, tmp_path):
    folder, model, split, _ = digits
    data = tmp_path / "data"
    shutil.copytree(folder / "arrays", data)
    np.save(data / "0003.npy", np.zeros((3, 3), np.float32))  # wrong shape
    (data / "0005.npy").write_bytes(b"not numpy")  # unreadable
    (data / "extra.npy").write_bytes(np.zeros(1).tobytes())  # no label (and unreadable)
    out = tmp_path / "e.json"
    assert _eval([model, "--data", data, "--labels", folder / "labels.csv", "--on-bad-sample", "skip"], out) == 0
    acc = rec.load(out).accuracy
    reasons = {s.file: s.reason for s in acc.dataset.skipped}
    assert set(reasons) == {"0003.npy", "0005.npy", "extra.npy"}
    assert "shape 3x3 does not fit" in reasons["0003.npy"] and "not a readable numpy file" in reasons["0005.npy"]
    assert "no label" in reasons["extra.npy"]
    assert acc.dataset.samples == 358 and acc.dataset.found == 361


def _bad_case(kind: str, digits, tmp: Path) -> tuple[list, str]:
    folder, model, _, _ = digits
    if kind == "empty_folder":
        (tmp / "empty").mkdir()
        return [model, "--data", tmp / "empty", "--labels", folder / "labels.csv"], "no samples"
    if kind == "labels_name_missing_files":
        (tmp / "l.csv").write_text("file,label\n0000.npy,1\nnope.npy,3\n")
        return [model, "--data", folder / "arrays", "--labels", tmp / "l.csv"], "not in"
    if kind == "label_beyond_classes":
        (tmp / "d").mkdir()
        shutil.copy(folder / "arrays" / "0000.npy", tmp / "d")
        (tmp / "l.csv").write_text("0000.npy,12\n")
        return [model, "--data", tmp / "d", "--labels", tmp / "l.csv"], "has 10 classes"
    if kind == "class_folders_vs_outputs":
        for name in ("cat", "dog"):
            (tmp / "d" / name).mkdir(parents=True)
            shutil.copy(folder / "images" / "0000.png", tmp / "d" / name)
        return [model, "--data", tmp / "d", "--preprocess", accuracy_data.IMAGE_RECIPE], "2 class folders"
    if kind == "not_an_image":
        (tmp / "d").mkdir()
        shutil.copy(folder / "images" / "0000.png", tmp / "d")
        (tmp / "d" / "0001.png").write_text("hello")
        (tmp / "l.csv").write_text("0000.png,0\n0001.png,1\n")
        return [model, "--data", tmp / "d", "--labels", tmp / "l.csv", "--preprocess", "color=L"], "0001.png: not a readable image"
    if kind == "images_without_recipe":
        return [model, "--data", folder / "images", "--labels", folder / "images_labels.csv"], "--preprocess"
    if kind == "bad_recipe":
        return [model, "--data", folder / "images", "--preprocess", "resize=big"], "--preprocess resize=big"
    if kind == "no_labels":
        return [model, "--data", folder / "arrays"], "needs labels"
    raise AssertionError(kind)


BAD = ["empty_folder", "labels_name_missing_files", "label_beyond_classes", "class_folders_vs_outputs",
       "not_an_image", "images_without_recipe", "bad_recipe", "no_labels"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_line_exit_2(kind, digits, tmp_path, capsys):
    args, expected = _bad_case(kind, digits, tmp_path)
    out = tmp_path / "e.json"
    assert _eval(args, out) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipcprof: error:"), err
    assert expected in lines[0]
    assert not out.exists()


def _detector(path: Path) -> None:
    """boxes/scores/classes in, the same out: the 'detections' are the samples themselves (layout test)."""
    ins = [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, "K", 4]),
           helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, "K"]),
           helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, "K"])]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("boxes", "scores", "classes")]
    nodes = [helper.make_node("Identity", [i], [o]) for i, o in zip("bsc", ("boxes", "scores", "classes"))]
    m = helper.make_model(helper.make_graph(nodes, "det", ins, outs), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 9
    onnx.save(m, path)


def test_detection_with_coco_labels(tmp_path):
    _detector(tmp_path / "det.onnx")
    data = tmp_path / "d"
    data.mkdir()
    # image 1: an exact box; image 2: a box at IoU 0.78 with its ground truth (a hit up to IoU 0.75)
    np.savez(data / "1.npz", b=np.array([[[0, 0, 10, 10]]], np.float32), s=np.array([[0.9]], np.float32),
             c=np.array([[0]], np.float32))
    np.savez(data / "2.npz", b=np.array([[[0, 0, 10, 7.8]]], np.float32), s=np.array([[0.8]], np.float32),
             c=np.array([[1]], np.float32))
    coco = {"images": [{"id": 1, "file_name": "1.npz"}, {"id": 2, "file_name": "2.npz"}],
            "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}, {"id": 9, "name": "owl"}],
            "annotations": [{"image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 3},
                            {"image_id": 2, "bbox": [0, 0, 10, 10], "category_id": 7}]}
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    out = tmp_path / "e.json"
    assert _eval([tmp_path / "det.onnx", "--data", data, "--labels", tmp_path / "coco.json", "--task", "detection",
                  "--detection-layout", "boxes-scores-classes", "--nms-iou", "0"], out) == 0
    d = rec.load(out).accuracy.detection
    assert d.per_class_ap50 == {"cat": 1.0, "dog": 1.0, "owl": None}
    assert d.map50 == pytest.approx(1.0) and d.map50_95 == pytest.approx((1.0 + 0.6) / 2)
    assert (d.images, d.ground_truths, d.detections) == (2, 2, 2)


def test_compare_shows_accuracy_and_its_delta(digits, tmp_path, capsys):
    folder, model, split, weights = digits
    a, b, c, d = (tmp_path / f"{n}.json" for n in "abcd")
    assert _eval([model, "--data", folder / "arrays", "--labels", folder / "labels.csv"], a) == 0
    # the same model with its second layer's biases zeroed: a worse model, scored on the same data
    m = onnx.load(model)
    for init in m.graph.initializer:
        if init.name == "b2":
            init.CopyFrom(onnx.numpy_helper.from_array(np.zeros(10, np.float32), "b2"))
        if init.name == "w1":
            w1 = onnx.numpy_helper.to_array(init).copy()
            w1[:32] = 0  # the top four rows of pixels no longer count
            init.CopyFrom(onnx.numpy_helper.from_array(w1, "w1"))
    onnx.save(m, tmp_path / "worse.onnx")
    assert _eval([tmp_path / "worse.onnx", "--data", folder / "arrays", "--labels", folder / "labels.csv"], b) == 0
    assert _eval([model, "--data", folder / "by_class", "--preprocess", accuracy_data.IMAGE_RECIPE], c) == 0
    assert main(["run", str(model), "--shape", "x=1,1,8,8", "-n", "5", "-q", "--no-telemetry", "--out", str(d)]) == 0
    capsys.readouterr()
    csv_path = tmp_path / "cmp.csv"
    assert main(["compare", str(a), str(b), str(c), str(d), "--csv", str(csv_path)]) == 0
    table = capsys.readouterr().out
    base, worse = rec.load(a).accuracy.classification.top1, rec.load(b).accuracy.classification.top1
    assert worse < base  # the damage is measured, not assumed
    lines = table.splitlines()
    assert "Δ accuracy" in lines[0]
    assert f"top-1 {base * 100:.1f}%" in lines[1] and "+0.0 pp" in lines[1]
    assert f"{(worse - base) * 100:+.1f} pp" in lines[2]
    assert "N/A (other data)" in lines[3] and "N/A (not an eval)" in lines[4]
    assert "c.json: accuracy scored on other data" in table
    header = csv_path.read_text().splitlines()[0]
    assert header.endswith("accuracy_metric,accuracy,accuracy_delta_vs_baseline,accuracy_note")


def test_cancel_keeps_the_latencies_measured(tmp_path):
    """Stopping an eval (Ctrl-C, the app's Stop) works as for a run: the worker ends, the latencies stay."""
    from app.record.schema import RunStatus
    from app.run.eval_setup import eval_run_spec
    from app.run.eval_spec import EvalSpec
    from app.run.runner import ProfileRun, RunLatencies
    from app.run.runspec import RunSpec
    from tests import model_zoo

    model = model_zoo.save(model_zoo.conv_net(size=64), tmp_path, "conv")
    data = tmp_path / "d"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1500):  # far more than runs before the cancel arrives
        np.save(data / f"{i:04d}.npy", rng.standard_normal((1, 3, 64, 64)).astype(np.float32))
    spec = eval_run_spec(RunSpec(model_path=str(model), target_id="ort/cpu", warmup=1),
                         EvalSpec(task="agreement", data=str(data)))
    run = ProfileRun(spec)
    run.start()
    try:
        def on_event(ev):
            if isinstance(ev, RunLatencies):
                run.cancel()

        record = run.wait(on_event=on_event)
    finally:
        run.close()
    assert record.status is RunStatus.CANCELLED
    assert 0 < record.latency.count < 1500 and record.accuracy is None


def test_binary_and_multilabel_match_numpy(digits, tmp_path):
    """Binary: 'is it a zero' from logit 0 (threshold 0 on the logit); multilabel: every class's logit >= 0."""
    from app.run import metrics

    folder, model, split, weights = digits
    logits = accuracy_data.predict(weights, split.x_test)
    m = onnx.load(model)
    m.graph.initializer.append(onnx.numpy_helper.from_array(np.array([0], np.int64), "zero"))
    m.graph.node.append(helper.make_node("Gather", ["logits", "zero"], ["is_zero"], axis=1))
    m.graph.output.append(helper.make_tensor_value_info("is_zero", TensorProto.FLOAT, ["N", 1]))
    onnx.save(m, tmp_path / "two.onnx")
    (tmp_path / "bin.csv").write_text("".join(f"{i:04d}.npy,{int(y == 0)}\n" for i, y in enumerate(split.y_test)))
    out = tmp_path / "b.json"
    assert _eval([tmp_path / "two.onnx", "--data", folder / "arrays", "--labels", tmp_path / "bin.csv",
                  "--task", "binary", "--output", "is_zero", "--threshold", "0"], out) == 0
    got = rec.load(out).accuracy.binary.overall
    want = metrics.label_scores(logits[:, 0], split.y_test == 0, 0.0)
    assert got.positives == int((split.y_test == 0).sum()) and got.precision == pytest.approx(want.precision)
    assert got.recall == pytest.approx(want.recall) and got.roc_auc == pytest.approx(want.roc_auc, abs=1e-9)
    assert got.roc_auc > 0.95  # a trained model separates zeros: a real, high AUC
    out = tmp_path / "m.json"
    assert _eval([model, "--data", folder / "arrays", "--labels", folder / "labels.csv", "--task", "multilabel",
                  "--threshold", "0"], out) == 0
    ml = rec.load(out).accuracy.binary
    want = metrics.multilabel(logits, np.eye(10, dtype=bool)[split.y_test], 0.0)
    assert len(ml.per_label) == 10 and ml.macro_f1 == pytest.approx(want.macro_f1, abs=1e-6)
    assert ml.overall.precision == pytest.approx(want.overall.precision, abs=1e-6)
