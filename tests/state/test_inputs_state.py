"""InputSetupState without Qt: a slot per open dim, labels with input and axis, presets, what RunOptions gets,
what a run cannot do without, and the memory of it all per model (by sha256)."""

from __future__ import annotations

import json

import pytest

from app.run.runspec import RunSpec
from app.state import AppState, InputMemory, InputSetupState
from app.state.inputs import Role, parse_shape_text, roles_by_axis
from tests.state.conftest import targets


def _card(inputs: list[dict], sha: str = "a" * 64, path: str = "/m/m.onnx", **extra) -> dict:
    """The parts of ModelCard.to_dict() the input state reads."""
    return {"path": path, "sha256": sha, "inputs": inputs, "outputs": [],
            "resolved_shapes": {i["name"]: i["shape"] for i in inputs if i["shape"] is not None},
            "defaulted_dims": {}, **extra}


ALL_OPEN = {"name": "x", "dtype": "float32", "shape": [None, None, None, None]}


def test_every_unnamed_dim_gets_its_own_slot_labelled_with_input_and_axis():
    st = InputSetupState()
    st.set_card(_card([ALL_OPEN]))
    assert [st.slots[k].label for k in st.inputs[0].slots] == ["x[0] (batch)", "x[1] (channels)", "x[2] (height)",
                                                                 "x[3] (width)"]
    assert st.dims() == {}  # nothing named: no --dim
    assert st.shapes() == {"x": [1, 3, 224, 224]}  # role defaults
    st.set_size("x[2]", 320)
    st.set_size("x[3]", 240)  # height and width differ: two slots, never one shared box
    assert st.shapes() == {"x": [1, 3, 320, 240]}
    assert st.options() == {"shapes": {"x": [1, 3, 320, 240]}, "dims": {}, "inputs": {}}


@pytest.mark.parametrize("dims", [[-1, 3, -1, -1], [0, 3, 0, 0], ["?", 3, "?", "?"], [None, 3, None, None]])
def test_literal_minus_one_zero_and_question_marks_are_open(dims):
    st = InputSetupState()
    st.set_card(_card([{"name": "img", "dtype": "float32", "shape": dims}]))
    assert list(st.slots) == ["img[0]", "img[2]", "img[3]"]  # the fixed 3 is not editable
    assert st.shapes() == {"img": [1, 3, 224, 224]}
    assert st.is_image("img")


def test_nhwc_and_token_layouts_pick_their_roles():
    assert roles_by_axis([None, None, None, 3], "float32") == [Role.BATCH, Role.HEIGHT, Role.WIDTH, Role.CHANNELS]
    assert roles_by_axis([None, None], "int64") == [Role.BATCH, Role.SEQUENCE]
    st = InputSetupState()
    st.set_card(_card([{"name": "ids", "dtype": "int64", "shape": [None, None]}]))
    assert st.shapes() == {"ids": [1, 128]}
    assert not st.is_image("ids")


def test_a_named_dim_is_one_slot_shared_by_every_input_that_has_it():
    ids = {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]}
    mask = {"name": "attention_mask", "dtype": "int64", "shape": ["batch", "seq"]}
    st = InputSetupState()
    st.set_card(_card([ids, mask], defaulted_dims={"batch": 1}))
    assert st.slots["seq"].label == "seq: input_ids[1], attention_mask[1]"
    assert st.inputs[0].slots == ("batch", "seq") and st.inputs[1].slots == ()  # shown once, under the first
    assert st.dims() == {"batch": 1, "seq": 128} and st.shapes() == {}
    st.set_size("seq", 77)
    assert st.dims() == {"batch": 1, "seq": 77}


def test_presets_set_height_and_width_of_an_image_input():
    st = InputSetupState()
    st.set_card(_card([ALL_OPEN]))
    changes = []
    st.changed.connect(lambda: changes.append(1))
    st.apply_preset("x", 640)
    assert st.shapes() == {"x": [1, 3, 640, 640]} and len(changes) == 1  # one change for both sides
    st.apply_preset("x", 640)
    assert len(changes) == 1  # nothing changed, nothing said


def test_a_square_named_size_takes_presets_too():
    st = InputSetupState()
    st.set_card(_card([{"name": "pixels", "dtype": "float32", "shape": [1, 3, "size", "size"]}]))
    assert st.is_image("pixels")
    st.apply_preset("pixels", 320)
    assert st.dims() == {"size": 320}


def test_card_sizes_and_guesses_are_the_defaults():
    # What the model layer resolved or guessed (the card's per-axis input_dims) starts the editor.
    dims = [{"value": 1, "source": "default", "name": None}, {"value": 3, "source": "hint", "name": None},
            {"value": 512, "source": "guessed", "name": None}, {"value": 384, "source": "guessed", "name": None}]
    card = _card([ALL_OPEN], input_dims={"x": dims})
    card["resolved_shapes"] = {"x": [1, 3, 512, 384]}
    st = InputSetupState()
    st.set_card(card)
    assert st.shapes(shown=True) == {"x": [1, 3, 512, 384]}  # what the editor shows and the card is read at
    assert st.shapes() == {}  # untouched, the run resolves them itself (and records the guesses as guesses)
    assert st.slots["x[2]"].guessed and not st.slots["x[0]"].guessed


def test_a_file_takes_the_inputs_shape_and_wins_over_a_value():
    st = InputSetupState()
    st.set_card(_card([ALL_OPEN, {"name": "scale", "dtype": "float32", "shape": []}]))
    st.set_value("scale", " 0.5 ")
    assert st.inputs_data() == {"scale": "0.5"}
    st.attach("x", "/data/x.npy")
    assert st.shapes() == {} and st.inputs_data() == {"scale": "0.5", "x": "/data/x.npy"}
    st.detach("x")
    assert "x" in st.shapes()


def test_what_a_run_cannot_do_without():
    needs = {"name": "sample_rate", "dtype": "int64", "shape": []}
    rankless = {"name": "blob", "dtype": "float32", "shape": None}
    st = InputSetupState()
    st.set_card(_card([needs, rankless], value_needs={"sample_rate": {"what": "a sample rate", "example": "16000",
                                                                      "default": None, "why": ""}}))
    assert st.inputs[1].whole_shape
    problems = st.problems()
    assert problems[0][0] == "Input 'sample_rate' needs a value: synthetic data cannot stand in for it."
    assert "16000" in problems[0][1]
    assert problems[1][0] == "Input 'blob': the model gives no shape."
    st.set_value("sample_rate", "16000")
    st.set_shape_text("blob", "1x3x8")
    assert st.problems() == [] and st.shapes() == {"blob": [1, 3, 8]}
    st.set_shape_text("blob", "1,three")
    assert st.problems() == [("Input 'blob': '1,three' is not a shape.",
                              "Type its shape under Inputs, e.g. 1,3,224,224, or attach a .npy file.")]


def test_parse_shape_text():
    assert parse_shape_text("1,3,224,224") == [1, 3, 224, 224]
    assert parse_shape_text("[1, 3, 224, 224]") == [1, 3, 224, 224]
    assert parse_shape_text("1x3x224x224") == [1, 3, 224, 224]
    assert parse_shape_text("[]") == []
    assert parse_shape_text("") is None and parse_shape_text("1,0") is None and parse_shape_text("a") is None


def test_sizes_values_and_files_are_remembered_per_model(tmp_path):
    data = tmp_path / "x.npy"
    data.write_bytes(b"\x93NUMPY")
    gone = tmp_path / "gone.npy"
    card = _card([ALL_OPEN, {"name": "scale", "dtype": "float32", "shape": []}])
    memory_file = tmp_path / "config" / "model_inputs.json"
    st = InputSetupState(InputMemory(memory_file))
    st.set_card(card)
    st.set_size("x[2]", 320)
    st.set_value("scale", "0.5")
    st.attach("x", str(data))
    st.attach("scale", str(gone))
    assert json.loads(memory_file.read_text())["models"]["a" * 64]["entered"]["dims"] == {"x[2]": 320}
    # A new session opens the same model (same sha256) from another path: everything comes back...
    again = InputSetupState(InputMemory(memory_file))
    again.set_card({**card, "path": "/elsewhere/copy.onnx"})
    assert again.size("x[2]") == 320 and again.entered.values == {"scale": "0.5"}
    assert again.entered.files == {"x": str(data)}  # ...but a file that is gone is not attached
    assert again.missing_files == [str(gone)]
    other = InputSetupState(InputMemory(memory_file))
    other.set_card({**card, "sha256": "b" * 64})  # another model: nothing of the first
    assert other.entered.dims == {} and other.size("x[2]") == 224


def test_a_damaged_memory_file_is_an_empty_memory(tmp_path):
    path = tmp_path / "model_inputs.json"
    path.write_text("{not json")
    st = InputSetupState(InputMemory(path))
    st.set_card(_card([ALL_OPEN]))
    assert st.size("x[2]") == 224
    st.set_size("x[2]", 300)  # and the next write replaces it with a good one
    assert json.loads(path.read_text())["version"] == 1


def test_app_state_lays_out_inputs_from_the_model_card_and_builds_the_spec():
    state = AppState()
    state.run_setup.set_targets(targets())
    state.model.begin("/m/m.onnx")
    state.model.set_card("/m/m.onnx", _card([ALL_OPEN]))
    assert list(state.inputs.slots) == ["x[0]", "x[1]", "x[2]", "x[3]"]
    state.inputs.apply_preset("x", 320)
    inputs = state.inputs
    spec = state.run_setup.build("/m/m.onnx", state.run_setup.current_target(), inputs.dims(),
                                 inputs.inputs_data(), inputs.shapes())
    assert isinstance(spec, RunSpec) and spec.shapes == {"x": [1, 3, 320, 320]} and spec.dims == {}


def test_a_real_card_from_the_model_layer_drives_the_editor(tmp_path):
    """The card app.model.model_card builds for real models: guessed sizes and needed values reach the editor."""
    from app.model.model_card import inspect_model
    from tests.corpus import models

    unknown = inspect_model(models.save(models.unknown_dims(), tmp_path, "unknown_dims")).to_dict()
    st = InputSetupState()
    st.set_card(unknown)
    assert [st.size(f"x[{a}]") for a in range(4)] == [1, 3, 224, 224]
    assert st.slots["x[2]"].guessed and st.slots["x[3]"].guessed and not st.slots["x[0]"].guessed
    assert st.shapes() == {}  # untouched: the run resolves them itself and records the guesses as guesses
    st.set_size("x[2]", 48)
    assert st.shapes() == {"x": [1, 3, 48, 224]}  # set by the user: the whole shape is the user's
    vad = inspect_model(models.save(models.vad(), tmp_path, "vad")).to_dict()
    st.set_card(vad)
    (sr,) = [i for i in st.inputs if i.needs_value]
    assert sr.name == "sr" and sr.value_hint == "16000"
    assert st.problems()[0][0] == "Input 'sr' needs a value: synthetic data cannot stand in for it."
    st.set_value("sr", "16000")
    assert all(p[0] != "Input 'sr' needs a value: synthetic data cannot stand in for it." for p in st.problems())
