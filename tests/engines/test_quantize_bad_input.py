"""Bad input to `aipcprof quantize`: one line naming the file or option, exit 2, nothing written."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from app.cli import main
from app.engines.child import ChildFailed, ChildStopped, run_child
from tests import model_zoo


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qbad")
    path = model_zoo.save(model_zoo.conv_net(size=16), folder, "conv")
    good = folder / "calib"
    good.mkdir()
    for i in range(2):
        np.save(good / f"ok{i}.npy", np.zeros((1, 3, 16, 16), np.float32))
    return path


def _fails(capsys, args: list[str], *words: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_out_equal_to_the_input(model, capsys):
    _fails(capsys, ["quantize", str(model), "--out", str(model), "--calib", str(model.parent / "calib")],
           "is the input model")


def test_unwritable_out(model, tmp_path, capsys):
    if os.geteuid() == 0:
        locked = tmp_path / "ro.onnx"
        locked.write_bytes(b"")
        locked.chmod(stat.S_IRUSR)
        out = locked
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
        out = folder / "q.onnx"
    _fails(capsys, ["quantize", str(model), "--out", str(out), "--calib", str(model.parent / "calib")], "--out")
    assert not (tmp_path / "q.onnx").exists()


def test_empty_calibration_folder(model, tmp_path, capsys):
    _fails(capsys, ["quantize", str(model), "--out", str(tmp_path / "q.onnx"), "--calib", str(tmp_path)],
           "--calib", "no samples (.npy, .npz or images)")
    assert not (tmp_path / "q.onnx").exists()


@pytest.mark.parametrize(("array", "words"), [
    (np.zeros((1, 3, 8, 8), np.float32), ("--calib sample bad.npy", "shape 1x3x8x8", "1x3x16x16")),
    (np.zeros((1, 3, 16, 16), np.int64), ("--calib sample bad.npy", "int64", "float32")),
])
def test_a_bad_sample_is_named_by_file(model, tmp_path, capsys, array, words):
    calib = tmp_path / "calib"
    calib.mkdir()
    np.save(calib / "good.npy", np.zeros((1, 3, 16, 16), np.float32))
    np.save(calib / "bad.npy", array)
    _fails(capsys, ["quantize", str(model), "--out", str(tmp_path / "q.onnx"), "--calib", str(calib)], *words)


def test_a_sample_that_is_not_an_array(model, tmp_path, capsys):
    calib = tmp_path / "calib"
    calib.mkdir()
    (calib / "x.npy").write_text("not numpy")
    _fails(capsys, ["quantize", str(model), "--out", str(tmp_path / "q.onnx"), "--calib", str(calib)], "x.npy")


def test_static_scheme_without_calibration_refuses(model, tmp_path, capsys):
    _fails(capsys, ["quantize", str(model), "--out", str(tmp_path / "q.onnx")], "needs calibration data", "--calib")


def test_an_already_quantised_model(tmp_path, capsys):
    path = model_zoo.save(model_zoo.qdq_int8(), tmp_path, "qdq")
    _fails(capsys, ["quantize", str(path), "--out", str(tmp_path / "q.onnx"), "--scheme", "dynamic"],
           "already quantised", "QDQ")


def test_nncf_missing_says_how_to_get_it(model, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    if __import__("importlib").util.find_spec("nncf") is not None:
        pytest.skip("NNCF is installed here")
    _fails(capsys, ["quantize", str(model), "--out", str(tmp_path / "q.onnx"), "--engine", "nncf"], "pip install nncf")


def test_a_crashing_child_is_one_line_not_a_traceback():
    with pytest.raises(ChildFailed, match=r"crashed \(signal 6"):
        run_child("tests.engines.child_jobs", {"do": "abort"}, "the test job")


def test_a_hanging_child_is_stopped():
    with pytest.raises(ChildFailed, match="made no progress for 1 s"):
        run_child("tests.engines.child_jobs", {"do": "hang"}, "the test job", stall_s=1.0)


def test_a_stopped_child_is_killed_at_once():
    """The app's Cancel: `stop` set from another thread ends the job within a second, the child killed."""
    import threading
    import time

    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(ChildStopped, match="the test job was stopped"):
        run_child("tests.engines.child_jobs", {"do": "hang"}, "the test job", stop=stop)
    assert time.monotonic() - t0 < 5  # the child sleeps 60 s: it was killed, not waited for


def test_a_child_bug_is_one_line():
    with pytest.raises(ChildFailed, match="the test job failed: ZeroDivisionError"):
        run_child("tests.engines.child_jobs", {"do": "bug"}, "the test job")
