"""ONNX Runtime CPU EP: every zoo model, facts, placement, runners, errors."""

from __future__ import annotations

import functools

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from app.common.errors import ModelError, UserError
from app.engines.base import SessionSettings
from tests.engines.conftest import CASES, assert_close, open_target

MODELS = sorted(CASES)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_runs_and_matches_the_reference(zoo, cases, reference, name):
    session = open_target("ort/cpu", zoo[name], cases[name].settings())
    assert_close(session.run(cases[name].feeds), reference(name), rtol=1e-6, atol=1e-6)
    assert session.output_names() == [o.name for o in onnx.load(str(zoo[name])).graph.output]
    placement = session.placement
    assert placement.accelerator == "CPUExecutionProvider"
    assert placement.total_nodes == placement.accelerator_nodes > 0
    assert placement.accelerator_share == 1.0
    assert session.facts.providers == ["CPUExecutionProvider"]
    assert session.facts.cache == "n/a"


def test_outputs_are_right_not_just_consistent(zoo, cases):
    """Independent of ORT: the tiny models computed by hand with numpy."""
    x = cases["single_add"].feeds["x"]
    np.testing.assert_allclose(open_target("ort/cpu", zoo["single_add"], SessionSettings()).run({"x": x})[0], x + 1)
    w = numpy_helper.to_array(onnx.load(str(zoo["dynamic_mlp"])).graph.initializer[0])
    x = cases["dynamic_mlp"].feeds["x"]
    got = open_target("ort/cpu", zoo["dynamic_mlp"], cases["dynamic_mlp"].settings()).run({"x": x})[0]
    np.testing.assert_allclose(got, x @ w, rtol=1e-5, atol=1e-6)
    feeds = cases["control_flow"].feeds  # flag=True: x + 1, then 3 loop trips of + 1
    got = open_target("ort/cpu", zoo["control_flow"], SessionSettings()).run(feeds)[0]
    np.testing.assert_allclose(got, feeds["x"] + 4, rtol=1e-6)


def test_precision_facts(zoo, cases):
    def facts(name):
        return open_target("ort/cpu", zoo[name], cases[name].settings()).facts

    assert facts("conv_net").precision == "fp32"
    assert facts("qdq_int8").precision == "int8 (QDQ)"
    assert facts("fp16_mlp").precision == "fp16 (model)"


def test_dim_overrides_make_inputs_static(zoo, cases):
    session = open_target("ort/cpu", zoo["transformer_block"], cases["transformer_block"].settings())
    assert session.sess.get_inputs()[0].shape == [1, 16, 64]
    assert session.facts.effective_options["free_dim.seq"] == "16"


def test_plain_runner_is_a_bare_partial(zoo, cases):
    session = open_target("ort/cpu", zoo["conv_net"], SessionSettings())
    feeds = cases["conv_net"].feeds
    runner = session.make_runner(feeds)
    assert isinstance(runner, functools.partial)
    assert runner.func == session.sess.run and runner.args == (None, feeds) and not runner.keywords
    assert not runner.__dict__  # nothing else rides along
    np.testing.assert_array_equal(runner()[0], session.run(feeds)[0])


@pytest.mark.parametrize("name", ["conv_net", "token_embedding", "control_flow"])
def test_io_binding_runner_returns_the_right_outputs(zoo, cases, reference, name):
    session = open_target("ort/cpu", zoo[name], cases[name].settings())
    runner = session.make_runner(cases[name].feeds, io_binding=True)
    for _ in range(3):
        runner()
    assert_close(runner.fetch_outputs(), reference(name), rtol=1e-6, atol=1e-6)


def test_threads_and_strict_on_cpu(zoo):
    session = open_target("ort/cpu", zoo["conv_net"], SessionSettings(threads=1, strict=True))
    assert session.facts.effective_options["intra_op_num_threads"] == "1"
    assert session.sess.get_session_options().intra_op_num_threads == 1
    assert "--strict has no effect on the CPU EP" in session.facts.notes


def test_custom_op_is_a_one_line_user_error(zoo):
    with pytest.raises(UserError) as info:
        open_target("ort/cpu", zoo["custom_domain_op"], SessionSettings())
    message = str(info.value)
    assert message.startswith("op FancyGelu (domain com.example.custom) is not implemented by ONNX Runtime here")
    assert "\n" not in message


def test_cpu_takes_no_ep_options(zoo):
    with pytest.raises(UserError, match="--ep-option use_magic is not an option of CPUExecutionProvider"):
        open_target("ort/cpu", zoo["conv_net"], SessionSettings(ep_options={"use_magic": "1"}))


def test_missing_and_broken_models_are_model_errors(zoo, tmp_path):
    with pytest.raises(ModelError, match="model file not found"):
        open_target("ort/cpu", tmp_path / "nope.onnx", SessionSettings())
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        open_target("ort/cpu", broken, SessionSettings())


def test_cache_dir_is_not_used_by_cpu(zoo, tmp_path):
    session = open_target("ort/cpu", zoo["single_add"], SessionSettings(cache_dir=str(tmp_path)))
    assert session.facts.cache == "n/a"
    assert any("cache_dir is used by the QNN and OpenVINO EPs only" in n for n in session.facts.notes)
