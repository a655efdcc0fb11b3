"""Model files are untrusted: every bad file is a one-line ModelError, escaping paths are never opened."""

from __future__ import annotations

import builtins
import gzip
import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from app.common.errors import ModelError
from app.model.model_file import (
    check_model_file,
    custom_domain_ops,
    custom_op_error,
    external_files,
    external_refs,
    load_model,
    ort_only_ops,
    sha256_file,
)
from tests import model_zoo


def _one_line_error(path, match: str) -> str:
    with pytest.raises(ModelError) as info:
        load_model(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:"), text
    assert match in text, text
    assert info.value.hint, "every model error says how to fix it"
    return text


@pytest.fixture()
def opened(monkeypatch) -> list[str]:
    """Every path handed to open() / os.open() while the test runs."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        seen.append(os.path.abspath(os.fspath(file)) if not isinstance(file, int) else f"fd{file}")
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        seen.append(os.path.abspath(os.fspath(path)))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


# --- files that are not ONNX models ----------------------------------------------


def test_missing_file(tmp_path):
    _one_line_error(tmp_path / "nope.onnx", "no such model file")


def test_directory(tmp_path):
    _one_line_error(tmp_path, "is a folder")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.onnx"
    p.write_bytes(b"")
    _one_line_error(p, "empty (0 bytes)")


def test_random_bytes(tmp_path):
    p = tmp_path / "random.onnx"
    p.write_bytes(b"\x9c" + np.random.default_rng(1).bytes(4095))
    _one_line_error(p, "not an ONNX model")


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("data.pkl", b"x" * 100)
    return buf.getvalue()


@pytest.mark.parametrize(("content", "what"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "JPEG image"),
    (_zip_bytes(), "zip archive"),
    (gzip.compress(b"hello" * 50), "gzip archive"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", "Git LFS pointer"),
    (b"<!DOCTYPE html><html><body>model</body></html>", "HTML web page"),
    (b"hello, this is a plain text file\n", "text file"),
    (b"GGUF" + b"\x03\x00" * 50, "GGUF"),
])
def test_renamed_file_says_what_it_is(tmp_path, content, what):
    p = tmp_path / "model.onnx"
    p.write_bytes(content)
    text = _one_line_error(p, what)
    assert "not an ONNX model" in text


def test_truncated_protobuf(tmp_path, zoo):
    data = zoo["conv_net"].read_bytes()
    p = tmp_path / "cut.onnx"
    p.write_bytes(data[: len(data) // 2])
    _one_line_error(p, "is truncated")


def test_corrupted_inside_a_field(tmp_path, zoo):
    data = bytearray(zoo["conv_net"].read_bytes())
    graph_at = data.index(b"conv_net") - 40  # somewhere inside the graph field
    data[graph_at:graph_at + 8] = b"\xff" * 8
    p = tmp_path / "bad.onnx"
    p.write_bytes(bytes(data))
    _one_line_error(p, "is corrupted")


def test_truncated_at_a_field_boundary(tmp_path):
    """Cut exactly before opset_import: protobuf parses it, the missing opsets give it away."""
    model = model_zoo.conv_net()
    full = model.SerializeToString()
    del model.opset_import[:]
    prefix = model.SerializeToString()
    assert full.startswith(prefix) and len(prefix) < len(full)
    p = tmp_path / "cut.onnx"
    p.write_bytes(prefix)
    _one_line_error(p, "no opset_import")


def test_protobuf_that_is_not_a_model(tmp_path):
    p = tmp_path / "tensor.onnx"
    p.write_bytes(numpy_helper.from_array(np.arange(10, dtype=np.float32), "t").SerializeToString())
    _one_line_error(p, "not an ONNX model")


def test_check_model_file_accepts_a_model(zoo):
    assert check_model_file(zoo["conv_net"]) == zoo["conv_net"]
    model = load_model(zoo["conv_net"])
    assert model.graph.name == "conv_net" and len(model.graph.node) == 9


# --- external data ---------------------------------------------------------------------


@pytest.fixture()
def external_conv(tmp_path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    return model_zoo.save(model_zoo.conv_net(), folder, "conv_net", external_data=True)


def _relocate(model_path: Path, location: str) -> None:
    """Point every external tensor at `location` (what a hostile model file would do)."""
    model = onnx.load(model_path, load_external_data=False)
    for t in model.graph.initializer:
        for entry in t.external_data:
            if entry.key == "location":
                entry.value = location
    model_path.write_bytes(model.SerializeToString())


def test_external_data_is_not_read_by_default(external_conv, opened):
    model = load_model(external_conv)
    weights = str(external_conv.with_suffix(".weights"))
    assert weights not in opened
    assert all(t.data_location == TensorProto.EXTERNAL and not t.raw_data for t in model.graph.initializer)


def test_external_data_loaded_on_request(external_conv):
    model = load_model(external_conv, load_weights=True)
    w = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "conv0.w"))
    expected = numpy_helper.to_array(next(t for t in model_zoo.conv_net().graph.initializer if t.name == "conv0.w"))
    np.testing.assert_array_equal(w, expected)


def test_missing_external_data_file(external_conv):
    external_conv.with_suffix(".weights").unlink()
    text = _one_line_error(external_conv, "external data file 'conv_net.weights'")
    assert "missing" in text


def test_truncated_external_data_file(external_conv):
    weights = external_conv.with_suffix(".weights")
    size = weights.stat().st_size
    with open(weights, "r+b") as f:
        f.truncate(size // 2)
    _one_line_error(external_conv, f"is {size // 2} bytes but tensor")


def _sentinel(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.bin"
    secret.write_bytes(b"\x00" * 100_000)
    past = time.time() - 3 * 86400  # older than a day: a read would move atime even with relatime
    os.utime(secret, (past, past))
    return secret


def _assert_untouched(secret: Path, opened: list[str]) -> None:
    assert str(secret) not in opened
    assert abs(secret.stat().st_atime - secret.stat().st_mtime) < 1.0  # atime unchanged since utime


def test_absolute_external_location_is_refused_unopened(tmp_path, external_conv, opened):
    secret = _sentinel(tmp_path)
    _relocate(external_conv, str(secret))
    opened.clear()
    text = _one_line_error(external_conv, "absolute path")
    assert "refused, not opened" in text
    _assert_untouched(secret, opened)


def test_parent_dir_external_location_is_refused_unopened(tmp_path, external_conv, opened):
    secret = _sentinel(tmp_path)
    _relocate(external_conv, "../outside/secret.bin")
    opened.clear()
    _one_line_error(external_conv, "outside the model's folder")
    _assert_untouched(secret, opened)


@pytest.mark.parametrize("location", ["C:\\Windows\\secret.bin", "\\\\server\\share\\w.bin", "sub\\..\\..\\w.bin"])
def test_windows_style_escapes_are_refused(external_conv, location):
    _relocate(external_conv, location)
    _one_line_error(external_conv, "refused, not opened")


def test_symlink_escaping_the_folder_is_refused_unopened(tmp_path, external_conv, opened):
    secret = _sentinel(tmp_path)
    link = external_conv.parent / "linked.weights"
    try:
        link.symlink_to(secret)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks need privileges here")
    _relocate(external_conv, "linked.weights")
    opened.clear()
    _one_line_error(external_conv, "link that leaves the model's folder")
    _assert_untouched(secret, opened)


def test_symlink_inside_the_folder_is_fine(external_conv):
    weights = external_conv.with_suffix(".weights")
    link = external_conv.parent / "alias.weights"
    try:
        link.symlink_to(weights.name)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks need privileges here")
    _relocate(external_conv, "alias.weights")
    assert len(external_refs(load_model(external_conv), external_conv)) == 8


def test_external_files_summary(external_conv):
    model = load_model(external_conv)
    files = external_files(external_refs(model, external_conv), with_sha256=True)
    weights = external_conv.with_suffix(".weights")
    assert [(f.location, f.size, f.tensors) for f in files] == [("conv_net.weights", weights.stat().st_size, 8)]
    assert files[0].sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_huge_external_model_loads_fast_without_reading_weights(tmp_path, opened):
    """512 MiB of (sparse) external weights: the checks read none of it (benchmarks/inspect_speed.py times it)."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[128, 1024, 1024])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "big.bin"), ("offset", "0"), ("length", str(2**29))):
        w.external_data.add(key=key, value=value)
    g = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "big", [],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    p = tmp_path / "big.onnx"
    p.write_bytes(model.SerializeToString())
    with open(tmp_path / "big.bin", "wb") as f:
        f.truncate(2**29)
    opened.clear()
    loaded = load_model(p)
    assert str(tmp_path / "big.bin") not in opened
    assert loaded.graph.initializer[0].dims == [128, 1024, 1024]


# --- ops, hashing -----------------------------------------------------------------------


def test_custom_domain_op_flagged(zoo):
    model = load_model(zoo["custom_domain_op"])
    ops = custom_domain_ops(model)
    assert ops == [("com.example.custom", "FancyGelu")]
    err = custom_op_error(zoo["custom_domain_op"], ops)
    assert isinstance(err, ModelError) and "\n" not in str(err)
    assert "op FancyGelu from domain com.example.custom: no runtime here implements it" in str(err)
    assert "register its custom-op library or re-export the model without it" in str(err).lower()


def test_standard_models_have_no_custom_ops(zoo):
    for name in ("conv_net", "qdq_int8", "control_flow", "token_embedding"):
        assert custom_domain_ops(load_model(zoo[name])) == [], name


def test_ort_contrib_and_local_function_ops():
    """com.microsoft is ORT-only but known; a model-local function is not custom at all."""
    fn = helper.make_function("my.funcs", "Twice", ["a"], ["b"], [helper.make_node("Add", ["a", "a"], ["b"])],
                              [helper.make_opsetid("", 17)])
    nodes = [helper.make_node("Gelu", ["x"], ["g"], domain="com.microsoft"),
             helper.make_node("Twice", ["g"], ["y"], domain="my.funcs")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(g, functions=[fn], opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1), helper.make_opsetid("my.funcs", 1)])
    assert custom_domain_ops(model) == []
    assert ort_only_ops(model) == [("com.microsoft", "Gelu")]


def test_sha256_streams(tmp_path):
    p = tmp_path / "blob.bin"
    data = np.random.default_rng(0).bytes(3 * 1024 + 17)
    p.write_bytes(data)
    assert sha256_file(p, chunk=1024) == hashlib.sha256(data).hexdigest()
