"""Input specs, option parsing, shape resolution and synthetic data."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from app.common.errors import InputSpecError
from app.model.inputs import (
    IOSpec,
    load_input_value,
    model_inputs,
    parse_dim_option,
    parse_dim_options,
    parse_input_option,
    parse_shape_option,
    parse_shape_options,
    prepare_inputs,
    resolve_partial,
    resolve_shapes,
    spec_from_value_info,
    synthesize_inputs,
)
from app.model.model_file import load_model


def _raises(fn, *args, match: str) -> str:
    with pytest.raises(InputSpecError) as info:
        fn(*args)
    text = str(info.value)
    assert "\n" not in text and match in text, text
    return text


def _spec(name: str, elem_type: int, shape: list, index_limit: int | None = None) -> IOSpec:
    spec = spec_from_value_info(helper.make_tensor_value_info(name, elem_type, shape), {})
    spec.index_limit = index_limit
    return spec


def _run(path, feeds):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


# --- specs --------------------------------------------------------------------------


def test_model_inputs_token_embedding(zoo):
    specs = model_inputs(load_model(zoo["token_embedding"]))
    assert [(s.name, s.dtype_name, s.shape) for s in specs] == [
        ("input_ids", "int64", ["batch", "seq"]), ("attention_mask", "int64", ["batch", "seq"])]
    assert specs[0].dtype == np.int64
    assert specs[0].index_limit == 1000  # rows of the Gather table it indexes
    assert specs[1].index_limit is None


def test_initializers_listed_as_inputs_are_not_inputs():
    w = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
                           helper.make_tensor_value_info("w", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], [w])
    assert [s.name for s in model_inputs(helper.make_model(g))] == ["x"]


def test_control_flow_scalars(zoo):
    specs = {s.name: s for s in model_inputs(load_model(zoo["control_flow"]))}
    assert specs["flag"].shape == [] and specs["flag"].dtype == np.bool_
    assert specs["trips"].shape == [] and specs["trips"].dtype == np.int64


# --- option parsing -------------------------------------------------------------------


def test_parse_good_options():
    assert parse_shape_option("image=1,3,224,224") == ("image", [1, 3, 224, 224])
    assert parse_shape_option("image=[1, 3, 8, 8]") == ("image", [1, 3, 8, 8])
    assert parse_shape_option("image=1x3x8x8") == ("image", [1, 3, 8, 8])
    assert parse_shape_option("input:0=2,4") == ("input:0", [2, 4])
    assert parse_shape_option("flag=[]") == ("flag", [])
    assert parse_dim_option("seq=128") == ("seq", 128)
    assert parse_input_option("ids=data/a=b.npy") == ("ids", "data/a=b.npy")


@pytest.mark.parametrize("text", ["x", "x=", "=1,2", "x=1,a", "x=-1,2", "x=1,,2"])
def test_bad_shape_option(text):
    msg = _raises(parse_shape_option, text, match="--shape")
    assert "--shape NAME=D1,D2,..." in msg


@pytest.mark.parametrize("text", ["seq", "seq=", "seq=abc", "seq=-3", "=5", "seq=1.5"])
def test_bad_dim_option(text):
    msg = _raises(parse_dim_option, text, match=f"--dim {text!r}")
    assert "--dim NAME=N" in msg


@pytest.mark.parametrize("text", ["ids", "ids=", "=a.npy"])
def test_bad_input_option(text):
    _raises(parse_input_option, text, match="--input NAME=FILE.npy")


def test_option_given_twice():
    _raises(parse_dim_options, ["seq=1", "seq=2"], match="--dim seq is given twice")
    assert parse_shape_options(["x=1,2", "x=1,2"]) == {"x": [1, 2]}


# --- shape resolution -----------------------------------------------------------------------


def test_unresolved_symbolic_dim(zoo):
    # A dim named like nothing known (not batch, sequence or image side) needs a value.
    spec = _spec("x", TensorProto.FLOAT, [1, "k", 64])
    msg = _raises(resolve_shapes, [spec], None, None, match="input 'x' dim 1 ('k') is symbolic and has no value")
    assert msg.endswith("pass --dim k=N or --shape x=1,N,64.")
    # A sequence dim takes the stated default 128, marked as guessed (the run warns).
    specs = model_inputs(load_model(zoo["transformer_block"]))
    res = resolve_partial(specs, None, None)
    assert res.shapes == {"x": [1, 128, 64]} and res.guessed == {"x": [1]} and res.guess_labels() == ["seq=128"]
    assert not res.unresolved and res.confirmed_shapes() == {"x": [1, "seq", 64]}


def test_dim_binds_everywhere(zoo):
    specs = model_inputs(load_model(zoo["token_embedding"]))
    assert resolve_shapes(specs, None, {"seq": 7}) == {"input_ids": [1, 7], "attention_mask": [1, 7]}
    # a --shape binds its symbolic dims for every input sharing them
    assert resolve_shapes(specs, {"input_ids": [2, 9]}, None) == {"input_ids": [2, 9], "attention_mask": [2, 9]}


def test_batch_defaults_to_one(zoo):
    specs = model_inputs(load_model(zoo["dynamic_mlp"]))
    res = resolve_partial(specs, None, None)
    assert res.shapes == {"x": [1, 16]} and res.defaulted == {"batch": 1}
    assert resolve_shapes(specs, None, {"batch": 4}) == {"x": [4, 16]}


def test_shape_of_wrong_rank(zoo):
    specs = model_inputs(load_model(zoo["transformer_block"]))
    msg = _raises(resolve_shapes, specs, {"x": [1, 128]}, None, match="input 'x' has rank 3")
    assert "gives 2 dims" in msg and "--shape x=1,N,64" in msg


def test_shape_contradicting_a_fixed_dim(zoo):
    specs = model_inputs(load_model(zoo["transformer_block"]))
    _raises(resolve_shapes, specs, {"x": [1, 128, 32]}, None, match="dim 2 is fixed at 64 in the model, not 32")


def test_dim_and_shape_disagree(zoo):
    specs = model_inputs(load_model(zoo["token_embedding"]))
    _raises(resolve_shapes, specs, {"input_ids": [1, 9]}, {"seq": 4}, match="dim 'seq' is 4 from --dim seq=4")


def test_unknown_names_list_the_valid_ones(zoo):
    specs = model_inputs(load_model(zoo["token_embedding"]))
    msg = _raises(resolve_shapes, specs, {"ids": [1, 2]}, None, match="--shape ids: the model has no input 'ids'")
    assert "input_ids, attention_mask" in msg
    msg = _raises(resolve_shapes, specs, None, {"sequence": 3}, match="no symbolic dim 'sequence'")
    assert "batch, seq" in msg


def test_unnamed_dynamic_dim():
    spec = _spec("x", TensorProto.FLOAT, [8, None])
    _raises(resolve_shapes, [spec], None, None, match="input 'x' dim 1 is dynamic with no name")
    assert resolve_shapes([spec], {"x": [8, 3]}) == {"x": [8, 3]}
    # An unnamed first dim is a batch: 1, stated as a default (not a guess).
    res = resolve_partial([_spec("x", TensorProto.FLOAT, [None, 8])], None, None)
    assert res.shapes == {"x": [1, 8]} and res.defaulted == {"x[0]": 1} and not res.guessed


# --- synthesis ----------------------------------------------------------------------------------

DTYPES = [
    (TensorProto.FLOAT, np.float32), (TensorProto.FLOAT16, np.float16), (TensorProto.DOUBLE, np.float64),
    (TensorProto.BFLOAT16, ml_dtypes.bfloat16), (TensorProto.INT8, np.int8), (TensorProto.INT16, np.int16),
    (TensorProto.INT32, np.int32), (TensorProto.INT64, np.int64), (TensorProto.UINT8, np.uint8),
    (TensorProto.UINT16, np.uint16), (TensorProto.UINT32, np.uint32), (TensorProto.UINT64, np.uint64),
    (TensorProto.BOOL, np.bool_), (TensorProto.STRING, object),
]


@pytest.mark.parametrize(("elem", "np_type"), DTYPES)
def test_synthesis_every_dtype(elem, np_type):
    spec = _spec("data", elem, [2, 50])
    a = synthesize_inputs([spec], {"data": [2, 50]}, seed=3)["data"]
    assert a.dtype == np.dtype(np_type) and a.shape == (2, 50)
    again = synthesize_inputs([spec], {"data": [2, 50]}, seed=3)["data"]
    assert np.array_equal(a, again), "same seed, same data"
    if np.dtype(np_type).kind in "iu":
        assert a.min() >= 0 and a.max() < (256 if np_type is np.uint8 else 10)
        if np_type is np.uint8:
            assert a.max() > 200, "uint8 spans the byte range (images)"
    elif np.dtype(np_type).kind == "f" or np_type is ml_dtypes.bfloat16:
        f = a.astype(np.float32)
        assert abs(f.mean()) < 0.5 and 0.6 < f.std() < 1.4 and f.min() < 0 < f.max()
    elif np_type is np.bool_:
        assert a.any() and not a.all()
    else:
        assert all(isinstance(v, str) for v in a.ravel())


def test_seed_changes_data():
    spec = _spec("x", TensorProto.FLOAT, [64])
    a = synthesize_inputs([spec], {"x": [64]}, seed=0)["x"]
    b = synthesize_inputs([spec], {"x": [64]}, seed=1)["x"]
    assert not np.array_equal(a, b)


def test_name_hints():
    specs = [_spec("pixel_values", TensorProto.FLOAT, [1, 3, 8, 8]), _spec("position_ids", TensorProto.INT64, [2, 6]),
             _spec("token_type_ids", TensorProto.INT64, [1, 6]), _spec("input_ids", TensorProto.INT32, [1, 500]),
             _spec("attention_mask", TensorProto.FLOAT16, [1, 6]), _spec("seq_lengths", TensorProto.INT32, [1]),
             _spec("padding_mask", TensorProto.BOOL, [1, 6])]
    specs[1].shape = ["batch", "seq"]
    feeds = synthesize_inputs(specs, {"pixel_values": [1, 3, 8, 8], "position_ids": [2, 6], "token_type_ids": [1, 6],
                                      "input_ids": [1, 500], "attention_mask": [1, 6], "seq_lengths": [1],
                                      "padding_mask": [1, 6]}, seed=0)
    assert 0 <= feeds["pixel_values"].min() and feeds["pixel_values"].max() < 1
    assert feeds["position_ids"].tolist() == [list(range(6))] * 2
    assert not feeds["token_type_ids"].any()
    assert feeds["input_ids"].min() >= 0 and feeds["input_ids"].max() < 100  # default vocabulary
    assert (feeds["attention_mask"] == 1).all() and feeds["attention_mask"].dtype == np.float16
    assert feeds["seq_lengths"].tolist() == [6]  # the sequence length bound to 'seq'
    assert feeds["padding_mask"].all()


def test_token_embedding_feeds_run(zoo):
    path = zoo["token_embedding"]
    specs = model_inputs(load_model(path))
    feeds = synthesize_inputs(specs, resolve_shapes(specs, None, {"seq": 300}), seed=0)
    ids = feeds["input_ids"]
    assert ids.shape == (1, 300) and ids.min() >= 0 and ids.max() < 1000 and ids.max() >= 100  # vocab from Gather
    assert (feeds["attention_mask"] == 1).all()
    assert _run(path, feeds)[0].shape == (1, 300, 32)


def test_control_flow_feeds_run(zoo):
    path = zoo["control_flow"]
    specs = model_inputs(load_model(path))
    feeds = synthesize_inputs(specs, resolve_shapes(specs), seed=0)
    assert feeds["flag"].shape == () and bool(feeds["flag"]) is True
    assert int(feeds["trips"]) == 3
    np.testing.assert_allclose(_run(path, feeds)[0], feeds["x"] + 1 + 3, rtol=1e-6)


def test_bfloat16_feed_reaches_onnxruntime():
    """bf16 arrays are ml_dtypes.bfloat16; ORT takes them as an OrtValue of element type 16."""
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "bf16",
                          [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [4])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    spec = model_inputs(model)[0]
    x = synthesize_inputs([spec], {"x": [4]}, seed=0)["x"]
    value = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(x.view(np.uint16), TensorProto.BFLOAT16)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = sess.run_with_ort_values(None, {"x": value})[0]
    assert out.data_type() == "tensor(bfloat16)"


# --- provided data ----------------------------------------------------------------------------


def test_provided_arrays_are_checked():
    spec = _spec("x", TensorProto.INT64, [1, 4])
    _raises(synthesize_inputs, [spec], {"x": [1, 4]}, 0, {"x": np.zeros((1, 4), np.int32)},
            match="--input x: the array is int32 but the model wants int64")
    msg = _raises(synthesize_inputs, [spec], {"x": [1, 4]}, 0, {"x": np.zeros((1, 5), np.int64)},
                  match="has shape [1, 5] but the run uses [1, 4]")
    assert "--shape x=1,5" in msg
    given = np.arange(4, dtype=np.int64).reshape(1, 4)
    assert synthesize_inputs([spec], {"x": [1, 4]}, 0, {"x": given})["x"] is given


def test_literal_values_are_cast():
    trips = _spec("trips", TensorProto.INT64, [])
    assert load_input_value("5", trips).dtype == np.int64 and int(load_input_value("5", trips)) == 5
    flag = _spec("flag", TensorProto.BOOL, [])
    assert load_input_value("false", flag).item() is False
    x = _spec("x", TensorProto.FLOAT16, [2, 3])
    v = load_input_value("0.5", x)
    assert v.dtype == np.float16
    filled = synthesize_inputs([x], {"x": [2, 3]}, 0, {"x": v})["x"]  # a scalar fills the shape
    assert filled.shape == (2, 3) and (filled == np.float16(0.5)).all()
    _raises(load_input_value, "abc", trips, match="--input trips=abc: 'abc' is neither a file nor a int64 value")
    _raises(load_input_value, "300", _spec("b", TensorProto.UINT8, []), match="neither a file")


def test_npy_and_npz_files(tmp_path):
    spec = _spec("ids", TensorProto.INT64, [1, 3])
    arr = np.array([[1, 2, 3]], np.int64)
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "one.npz", whatever=arr)
    np.savez(tmp_path / "named.npz", other=arr * 0, ids=arr)
    np.savez(tmp_path / "two.npz", a=arr, b=arr)
    for name in ("a.npy", "one.npz", "named.npz"):
        assert np.array_equal(load_input_value(str(tmp_path / name), spec), arr), name
    _raises(load_input_value, str(tmp_path / "two.npz"), spec, match="holds a, b but none named 'ids'")
    _raises(load_input_value, str(tmp_path / "missing.npy"), spec, match="no such file")


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _raises(load_input_value, str(tmp_path / "obj.npy"), _spec("x", TensorProto.FLOAT, [1]), match="pickle")


def test_prepare_inputs_takes_shapes_from_arrays(zoo, tmp_path):
    path = zoo["token_embedding"]
    specs = model_inputs(load_model(path))
    np.save(tmp_path / "ids.npy", np.array([[5, 6, 7, 8, 9]], np.int64))
    prepared = prepare_inputs(specs, inputs={"input_ids": str(tmp_path / "ids.npy")}, seed=2)
    assert prepared.shapes == {"input_ids": [1, 5], "attention_mask": [1, 5]}
    assert prepared.feeds["input_ids"].tolist() == [[5, 6, 7, 8, 9]]
    desc = {d["name"]: d for d in prepared.describe()}
    assert desc["input_ids"]["source"].startswith("--input input_ids=")
    assert desc["attention_mask"]["source"].startswith("synthesized: ones (mask)")
    assert _run(path, prepared.feeds)[0].shape == (1, 5, 32)
    with pytest.raises(InputSpecError, match="--input nope: the model has no input 'nope'"):
        prepare_inputs(specs, inputs={"nope": "1"})
