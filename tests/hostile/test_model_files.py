"""Hostile model files: an EPContext binary path may not leave the model's folder (#5), and a model
named in another encoding runs like any other (#13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from app.common.errors import ModelError
from app.model.model_card import inspect_model
from app.model.model_file import ep_context_paths, load_model
from app.record import io as rec
from app.record.schema import RunStatus
from tests import model_zoo
from tests.hostile.fifo_watch import POSIX_ONLY, FifoWatch

ROOT = Path(__file__).resolve().parents[2]


def _ep_context_model(location: str, embed_mode: int = 0) -> onnx.ModelProto:
    """One EPContext node (ONNX Runtime's precompiled-graph node) whose binary is `location`."""
    node = helper.make_node("EPContext", ["x"], ["y"], name="qnn_ctx_0", domain="com.microsoft",
                            embed_mode=embed_mode, ep_cache_context=location, main_context=1,
                            source="QNNExecutionProvider", partition_name="graph_0")
    graph = helper.make_graph([node], "ctx", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = model_zoo.IR_VERSION
    return model


@pytest.fixture
def trap(tmp_path):
    """A FIFO outside the model's folder: opening it would hang, the watcher counts who tries."""
    outside = tmp_path / "outside"
    outside.mkdir()
    watch = FifoWatch(outside / "secret.bin")
    yield watch
    watch.stop()


def _escaping_models(tmp_path: Path, trap: FifoWatch) -> dict[str, tuple[Path, str, str]]:
    """name -> (model path, location written in the node, the refusal's wording)."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "link.bin").symlink_to(trap.path)
    (folder / "sub").mkdir()
    cases = {"dotdot": ("../outside/secret.bin", "outside the model's folder"),
             "dotdot_inside": ("sub/../../outside/secret.bin", "outside the model's folder"),
             "absolute": (str(trap.path), "to an absolute path"),
             "etc_passwd": ("/etc/passwd", "to an absolute path"),
             "symlink": ("link.bin", "through a link that leaves the model's folder")}
    out = {}
    for name, (loc, why) in cases.items():
        path = folder / f"{name}_ctx.onnx"
        onnx.save(_ep_context_model(loc), path)
        out[name] = (path, loc, why)
    return out


@POSIX_ONLY
def test_ep_context_paths_leaving_the_folder_are_refused_unopened(tmp_path, trap):
    for name, (path, loc, why) in _escaping_models(tmp_path, trap).items():
        for load in (load_model, inspect_model):
            with pytest.raises(ModelError) as info:
                load(path)
            text = str(info.value)
            assert "\n" not in text and text.startswith(f"{path}:"), text
            assert "EPContext node 'qnn_ctx_0'" in text and repr(loc) in text and why in text, (name, text)
            assert "refused, not opened" in text and info.value.hint
    assert trap.stop() == 0, "the file outside the model's folder was opened"


def test_ep_context_binary_inside_the_folder_is_accepted(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ctx.bin").write_bytes(b"\0" * 16)
    onnx.save(_ep_context_model("sub/ctx.bin"), tmp_path / "ok_ctx.onnx")
    model = load_model(tmp_path / "ok_ctx.onnx")
    assert ep_context_paths(model) == [("qnn_ctx_0", "sub/ctx.bin")]
    # embed_mode=1: ep_cache_context is the binary itself, not a path: nothing to check
    onnx.save(_ep_context_model("/not/a/path/but/bytes", embed_mode=1), tmp_path / "embedded_ctx.onnx")
    assert ep_context_paths(load_model(tmp_path / "embedded_ctx.onnx")) == []
    # a missing binary is named too (the runtime would fail later with less to go on)
    onnx.save(_ep_context_model("gone.bin"), tmp_path / "missing_ctx.onnx")
    with pytest.raises(ModelError, match=r"EPContext node 'qnn_ctx_0' names the context binary 'gone.bin', "
                                         r"which is missing"):
        load_model(tmp_path / "missing_ctx.onnx")


@POSIX_ONLY
@pytest.mark.parametrize("command", ["inspect", "run"])
def test_cli_refuses_an_escaping_ep_context_in_one_line(tmp_path, trap, command):
    path, loc, _ = _escaping_models(tmp_path, trap)["symlink"]
    args = [command, str(path)] + (["-n", "5", "--no-telemetry", "--out", str(tmp_path / "r.json")]
                                   if command == "run" else [])
    proc = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr  # bad input: nothing ran, no record written
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("aipcprof: error:")]
    assert len(errors) == 1 and "EPContext node 'qnn_ctx_0'" in errors[0] and repr(loc) in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.json").exists()
    assert trap.stop() == 0


# --- #13: a model file named in another encoding ---------------------------------------------

NOT_UTF8 = os.fsdecode(b"mod\xe9le-\xff")  # Latin-1 bytes in a POSIX name: Python keeps them as surrogates


@pytest.fixture
def latin1_models(tmp_path) -> dict[str, Path]:
    if sys.platform == "win32":
        pytest.skip("Windows file names are UTF-16: the OS decides, there is no byte name to test")
    try:
        folder = tmp_path / NOT_UTF8
        folder.mkdir()
    except (OSError, UnicodeEncodeError) as e:  # some filesystems refuse names that are not UTF-8
        pytest.skip(f"this filesystem refuses a non-UTF-8 name: {e}")
    plain = model_zoo.save(model_zoo.single_add(), folder, "plain")
    plain = plain.rename(folder / f"{NOT_UTF8}.onnx")
    # external weights too: ONNX Runtime must find them next to a model it cannot be given by name
    ext_dir = tmp_path / "ext"
    ext_dir.mkdir()
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256])
    w = onnx.numpy_helper.from_array(np.full((1, 256), 2.0, np.float32), "w")
    m = helper.make_model(helper.make_graph([helper.make_node("Mul", ["x", "w"], ["y"])], "g", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = model_zoo.IR_VERSION
    onnx.save(m, ext_dir / "m.onnx", save_as_external_data=True, location="w.bin", size_threshold=0)
    (ext_dir / "m.onnx").rename(ext_dir / f"{NOT_UTF8}.onnx")
    ext_dir = ext_dir.rename(tmp_path / f"ext-{NOT_UTF8}")  # the folder's name is not UTF-8 either
    return {"inline": plain, "external": ext_dir / f"{NOT_UTF8}.onnx"}


@pytest.mark.parametrize("which", ["inline", "external"])
@pytest.mark.parametrize("target", ["ort/cpu", "ov/cpu"])
def test_a_model_named_in_another_encoding_runs(tmp_path, latin1_models, which, target):
    model = latin1_models[which]
    out = tmp_path / "run.json"
    proc = subprocess.run([sys.executable, "-m", "app", "run", model, "-t", target, "-n", "20", "--warmup", "2",
                           "--no-telemetry", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, errors="replace")
    assert proc.returncode == 0, proc.stderr
    assert "incompatible" not in proc.stderr and "Traceback" not in proc.stderr
    record = rec.load(out)
    assert record.status is RunStatus.COMPLETED and record.latency.count == 20
    assert record.model.name == model.name  # the name as the OS gave it, bytes kept
    if target != "ort/cpu":  # the reference run on ORT CPU opens the same file
        assert record.output_check.outputs and all(o.ok for o in record.output_check.outputs), record.output_check
