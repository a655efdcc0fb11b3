"""Hostile --input files (#12, #13): headers are read, never trusted, and nothing is expanded before the checks.

Each bad file gets one line naming the option, the file (and the .npz member) and the sizes: in the parent,
before a worker is spawned (ProfileRun, behind both the CLI, which exits 2, and the desktop app, which
shows it in its banner), and again in the worker against the model's input before a byte is loaded.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format
from onnx import TensorProto, helper

from app.common.errors import InputSpecError
from app.model.input_files import inspect_input_file
from app.model.inputs import model_inputs, prepare_inputs
from app.model.synth_inputs import load_input_value
from app.run.runner import ProfileRun
from app.run.runspec import RunSpec
from tests import model_zoo
from tests.hostile.fifo_watch import POSIX_ONLY, FifoWatch

ROOT = Path(__file__).resolve().parents[2]
TIB = 2**40


def _model(tmp_path: Path, shape=(1, 4)) -> Path:
    """y = x + 1 with x of `shape` (str dims are symbolic)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "add", [x], [y], [one])
    return model_zoo.save(model_zoo._model(graph), tmp_path, "add_" + "_".join(map(str, shape)))


def _spec(tmp_path: Path, shape=(1, 4)):
    from app.model.model_file import load_model

    return model_inputs(load_model(_model(tmp_path, shape)))[0]


def _npy_header_only(path: Path, shape: tuple, descr: str = "<f4") -> Path:
    """A .npy whose header declares `shape` and which holds no data at all."""
    with open(path, "wb") as f:
        npy_format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
    return path


def _bomb(path: Path, shape: tuple, member: str = "x") -> Path:
    """A .npz whose deflated member really holds `shape` float32 zeros: tiny on disk, huge when loaded."""
    header = {"descr": "<f4", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open(f"{member}.npy", "w", force_zip64=True) as out:
            npy_format.write_array_header_1_0(out, header)
            chunk = bytes(1 << 22)
            left = int(np.prod(shape)) * 4
            while left:
                out.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
    return path


def _refused(text: str, spec, *expected: str, shape=None) -> str:
    with pytest.raises(InputSpecError) as info:
        load_input_value(text, spec, shape)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"--input {spec.name}={text}:"), message
    for part in expected:
        assert part in message, (part, message)
    return message


# --- what the file is --------------------------------------------------------------------


def test_a_text_file_is_called_text_not_pickle(tmp_path):
    spec = _spec(tmp_path)
    (tmp_path / "x.npy").write_bytes(b"hello")
    message = _refused(str(tmp_path / "x.npy"), spec, "is a text file (starts with 'hello')")
    assert "pickle" not in message


def test_pickles_are_named_and_never_loaded(tmp_path):
    spec = _spec(tmp_path)
    (tmp_path / "p.npy").write_bytes(pickle.dumps({"a": 1}, protocol=4))
    _refused(str(tmp_path / "p.npy"), spec, "is a Python pickle", "not loaded")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _refused(str(tmp_path / "obj.npy"), spec, "holds Python objects (a pickle inside the .npy)")


def test_a_folder_a_device_and_a_missing_file_are_told_apart(tmp_path):
    spec = _spec(tmp_path)
    _refused(str(tmp_path), spec, "is a folder, not a .npy/.npz file")
    _refused(str(tmp_path / "gone.npy"), spec, "no such file")
    if os.path.exists("/dev/zero"):
        _refused("/dev/zero", spec, "'/dev/zero' is a character device, not a .npy/.npz file")


@POSIX_ONLY
def test_a_pipe_is_refused_without_being_opened(tmp_path):
    spec = _spec(tmp_path)
    trap = FifoWatch(tmp_path / "x.npy")
    try:
        _refused(str(trap.path), spec, "is a pipe, not a .npy/.npz file")
        run_spec = RunSpec(model_path=str(_model(tmp_path)), target_id="ort/cpu", inputs={"x": str(trap.path)})
        with pytest.raises(InputSpecError, match="is a pipe"):
            ProfileRun(run_spec)
    finally:
        assert trap.stop() == 0, "a pipe given as --input was opened"


# --- what the header declares --------------------------------------------------------------


def test_a_tiny_npy_declaring_terabytes_is_refused_from_its_header(tmp_path):
    spec = _spec(tmp_path, ("n", 4))
    big = _npy_header_only(tmp_path / "big.npy", (2**38, 4))  # 4 TiB of float32, 128 bytes on disk
    _refused(str(big), spec, "declares shape [274877906944, 4] float32 (4.0 TiB)", "holds only 0 B of data",
             "truncated or forged")


def test_a_npz_member_declaring_more_than_it_holds_is_refused(tmp_path):
    spec = _spec(tmp_path, ("n", 4))
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w") as zf:  # a stored member whose header lies about its shape
        with zf.open("x.npy", "w") as out:
            npy_format.write_array_header_1_0(out, {"descr": "<f4", "fortran_order": False, "shape": (TIB, 4)})
            out.write(b"\0" * 64)
    _refused(str(path), spec, "member 'x' declares shape [1099511627776, 4] float32 (16.0 TiB)",
             "holds only 64 B of data")


def test_an_array_larger_than_memory_is_refused_before_loading(tmp_path):
    spec = _spec(tmp_path, ("n", 4))
    path = _npy_header_only(tmp_path / "sparse.npy", (2**38, 4))
    try:  # a sparse file: the data is really there as far as the file size goes
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size + 4 * TIB)
    except OSError as e:
        pytest.skip(f"this filesystem cannot hold a sparse 4 TiB file: {e}")
    try:
        _refused(str(path), spec, "declares shape [274877906944, 4] float32 (4.0 TiB), more than the",
                 "of memory available")
    finally:
        path.unlink()


def test_a_zip_bomb_is_refused_from_its_member_header_without_inflating_it(tmp_path):
    """256 MiB of zeros in a ~250 KiB .npz: the member's header is read, its data never inflated."""
    fixed, symbolic = _spec(tmp_path), _spec(tmp_path, ("n", 4))
    bomb = _bomb(tmp_path / "bomb.npz", (16 * 2**20, 4))
    assert bomb.stat().st_size < 2**20
    for spec, shape in ((fixed, None), (symbolic, [1, 4])):  # fixed by the model / by --shape x=1,4
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            _refused(str(bomb), spec, "member 'x' declares shape [16777216, 4] float32 (256.0 MiB)",
                     "but the run needs [1, 4]", "not loaded", shape=shape)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MiB allocated: the member was inflated"
        assert time.perf_counter() - t0 < 5.0
    # through the whole preparation (--shape x=1,4), same refusal before any load
    with pytest.raises(InputSpecError, match="member 'x' declares"):
        prepare_inputs([symbolic], shapes={"x": [1, 4]}, inputs={"x": str(bomb)})


def test_a_good_npz_member_still_loads(tmp_path):
    spec = _spec(tmp_path, ("n", 4))
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.savez_compressed(tmp_path / "ok.npz", other=np.zeros(3), x=arr)
    assert np.array_equal(load_input_value(str(tmp_path / "ok.npz"), spec), arr)
    header = inspect_input_file(tmp_path / "ok.npz", "x", "--input x=ok.npz")
    assert (header.member, header.shape, header.nbytes) == ("x", (3, 4), 48)


# --- in the parent, before a run: CLI and desktop app ---------------------------------------


def test_the_parent_refuses_before_spawning_a_worker(tmp_path):
    """ProfileRun, which both the CLI and the desktop app start runs with, checks the files first."""
    big = _npy_header_only(tmp_path / "big.npy", (TIB // 4,))
    spec = RunSpec(model_path=str(_model(tmp_path)), target_id="ort/cpu", iterations=5, inputs={"x": str(big)})
    with pytest.raises(InputSpecError) as info:
        ProfileRun(spec)
    assert str(info.value).startswith(f"--input x={big}: the header declares shape [274877906944] float32 (1.0 TiB)")


def test_the_desktop_app_shows_the_refusal_and_starts_no_worker(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from app.engines.registry import find_target
    from app.views.run_controller import RunController

    big = _npy_header_only(tmp_path / "big.npy", (TIB // 4,))
    spec = RunSpec(model_path=str(_model(tmp_path)), target_id="ort/cpu", iterations=5, inputs={"x": str(big)})
    controller = RunController(history=None)
    with qtbot.waitSignal(controller.error_raised, timeout=10_000) as blocker:
        controller.start([(spec, find_target("ort/cpu"))])
    message, _hint, kind = blocker.args
    assert message.startswith(f"--input x={big}: the header declares") and kind.is_bad_input
    assert not controller.busy and controller.run is None  # no worker was spawned
    controller.shutdown()


@pytest.mark.parametrize("case", ["text", "terabytes", "folder", "device"])
def test_cli_refuses_bad_input_files_in_one_line_before_the_run(tmp_path, case):
    model = _model(tmp_path)
    files = {"text": tmp_path / "x.npy", "terabytes": tmp_path / "big.npy", "folder": tmp_path,
             "device": Path("/dev/zero")}
    expected = {"text": "is a text file (starts with 'hello')", "terabytes": "4.0 TiB",
                "folder": "is a folder", "device": "is a character device"}
    (tmp_path / "x.npy").write_bytes(b"hello")
    _npy_header_only(tmp_path / "big.npy", (TIB,))
    if case == "device" and not files["device"].exists():
        pytest.skip("no /dev/zero on this OS")
    proc = subprocess.run([sys.executable, "-m", "app", "run", str(model), "-n", "5", "--no-telemetry",
                           "--input", f"x={files[case]}", "--out", str(tmp_path / "r.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"aipcprof: error: --input x={files[case]}:"), proc.stderr
    assert expected[case] in lines[0], lines[0]
    assert "[load]" not in proc.stderr  # refused in the parent: no worker ran
    assert not (tmp_path / "r.json").exists()
