"""Native OpenVINO on its CPU device: every zoo model against the ORT CPU reference."""

from __future__ import annotations

import functools

import pytest

from app.common.errors import ModelError, TargetError, UserError
from app.engines import registry
from app.engines.base import SessionSettings
from tests.engines.conftest import CASES, assert_close, open_target

TARGET = "ov/cpu"


def _open(zoo, name, settings):
    return open_target(TARGET, zoo[name], settings)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_model_matches_the_cpu_reference(zoo, cases, reference, name):
    session = _open(zoo, name, cases[name].settings())
    # The tolerance follows the precision the engine reports: OpenVINO computes in bf16 by default on
    # CPUs with AVX512-BF16/AMX (8 mantissa bits), in fp32 elsewhere.
    bf16 = session.facts.precision.startswith("bf16")
    atol = 0.051 if name == "qdq_int8" else (2e-2 if bf16 else 1e-3)  # one quantisation step; kernels differ
    assert_close(session.run(cases[name].feeds), reference(name), rtol=1e-2 if bf16 else 1e-3, atol=atol)
    assert session.facts.providers == ["CPU"]
    placement = session.placement
    assert placement.nodes_by_provider == {"CPU": placement.total_nodes} and placement.total_nodes > 0
    assert placement.accelerator == "CPU" and placement.source == "openvino runtime model"


def test_dynamic_inputs_are_reshaped_to_the_given_shapes(zoo, cases):
    session = _open(zoo, "transformer_block", cases["transformer_block"].settings())
    assert [list(p.get_shape()) for p in session.compiled.inputs] == [[1, 16, 64]]
    left = _open(zoo, "dynamic_mlp", SessionSettings())
    assert "inputs left dynamic for OpenVINO: x" in left.facts.notes


def test_runners_set_inputs_once(zoo, cases, reference):
    for io_binding in (False, True):
        session = _open(zoo, "token_embedding", cases["token_embedding"].settings())
        runner = session.make_runner(cases["token_embedding"].feeds, io_binding=io_binding)
        assert isinstance(runner, functools.partial) and runner.args == (None, False, True)
        runner()
        assert_close(runner.fetch_outputs(), reference("token_embedding"), rtol=1e-5, atol=1e-5)
        assert "inputs set once" in session.facts.effective_options["input_binding"]


def test_precision_and_options(zoo, cases):
    session = _open(zoo, "conv_net", SessionSettings(threads=1))
    assert session.facts.effective_options["PERFORMANCE_HINT"] == "LATENCY"
    assert session.facts.effective_options["INFERENCE_NUM_THREADS"] == "1"
    assert session.compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert session.facts.precision.startswith(("fp32 (runtime ops: f32", "bf16", "fp16"))
    forced = _open(zoo, "conv_net", SessionSettings(ep_options={"INFERENCE_PRECISION_HINT": "f32"}))
    assert forced.facts.precision.startswith("fp32 (runtime ops:")
    assert _open(zoo, "qdq_int8", SessionSettings()).facts.precision.startswith("int8 + ")


def test_performance_hint_can_be_overridden(zoo):
    session = _open(zoo, "single_add", SessionSettings(ep_options={"PERFORMANCE_HINT": "THROUGHPUT"}))
    assert str(session.compiled.get_property("PERFORMANCE_HINT")) == "THROUGHPUT"


def test_bad_property_names_the_flag(zoo):
    with pytest.raises(UserError, match=r"^--ep-option NOT_A_PROPERTY is not a property of the OpenVINO CPU"):
        _open(zoo, "single_add", SessionSettings(ep_options={"NOT_A_PROPERTY": "1"}))
    with pytest.raises(UserError, match=r"^--ep-option PERFORMANCE_HINT=FAST is not a valid value"):
        _open(zoo, "single_add", SessionSettings(ep_options={"PERFORMANCE_HINT": "FAST"}))


def test_compiled_model_cache_miss_then_hit(zoo, tmp_path):
    settings = SessionSettings(cache_dir=str(tmp_path / "ov-cache"))
    assert _open(zoo, "conv_net", settings).facts.cache == "miss"
    assert _open(zoo, "conv_net", settings).facts.cache == "hit"
    assert _open(zoo, "conv_net", SessionSettings()).facts.cache == "n/a"


def test_custom_op_and_bad_files(zoo, tmp_path):
    with pytest.raises(UserError) as info:
        _open(zoo, "custom_domain_op", SessionSettings())
    assert str(info.value).startswith("op FancyGelu (domain com.example.custom) is not supported by OpenVINO")
    assert "\n" not in str(info.value)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00garbage")
    with pytest.raises(ModelError) as info:
        _open({"b": broken}, "b", SessionSettings())
    assert "\n" not in str(info.value)


def test_engine_refuses_foreign_or_unready_targets(zoo, targets):
    engine = registry.engine_for(targets[TARGET])
    with pytest.raises(TargetError, match="belongs to the onnxruntime engine"):
        engine.open(str(zoo["single_add"]), targets["ort/cpu"], SessionSettings())
    absent = next((t for t in targets.values() if t.engine == "openvino" and not t.ready), None)
    if absent is not None:
        with pytest.raises(TargetError, match="is not available here"):
            engine.open(str(zoo["single_add"]), absent, SessionSettings())
