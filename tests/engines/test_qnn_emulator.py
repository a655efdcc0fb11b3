"""QNN EP through Qualcomm's HTP emulator (x86_64): the whole QNN path, not timing.

The emulator target computes float models in fp16 (its defaults set
enable_htp_fp16_precision=1 with soc_model 60, which the QNN EP needs for fp16),
so outputs are compared with looser tolerances than the CPU's.
"""

from __future__ import annotations

import json

import pytest

from app.common.errors import UserError
from app.engines.base import SessionSettings
from app.engines.ort_discovery import EMULATOR_NOTE
from app.run.runner import ProfileRun
from app.run.runspec import RunSpec
from tests.engines.conftest import assert_close, open_target

TARGET = "ort/qnn/htp-emulator"
QNN = "QNNExecutionProvider"


@pytest.fixture(autouse=True)
def _needs_emulator(targets):
    if TARGET not in targets or not targets[TARGET].ready:
        pytest.skip(f"{TARGET} is not ready here: {targets.get(TARGET) and targets[TARGET].reason}")


def _open(zoo, name, settings):
    return open_target(TARGET, zoo[name], settings)


# name -> (rtol, atol): fp16 on HTP; QDQ output may differ by one quantisation step (y_scale 0.05).
RUNNABLE = {
    "single_add": (1e-3, 1e-3),
    "conv_net": (2e-2, 2e-2),
    "transformer_block": (2e-2, 3e-2),
    "qdq_int8": (0, 0.051),
    "fp16_mlp": (1e-2, 1e-2),
    "dynamic_mlp": (1e-2, 1e-2),
}


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_runnable_models_match_the_cpu(zoo, cases, reference, name):
    session = _open(zoo, name, cases[name].settings())
    rtol, atol = RUNNABLE[name]
    assert_close(session.run(cases[name].feeds), reference(name), rtol=rtol, atol=atol)
    assert session.facts.providers[0] == QNN
    assert session.placement.accelerator == QNN and session.placement.accelerator_nodes > 0
    assert EMULATOR_NOTE in session.facts.notes


def test_conv_net_runs_entirely_on_qnn(zoo, cases):
    session = _open(zoo, "conv_net", SessionSettings())
    placement = session.placement
    assert placement.nodes_by_provider == {QNN: placement.total_nodes}
    assert placement.total_nodes >= 9  # 9 graph nodes plus layout transposes QNN inserts
    assert placement.subgraphs == 1 and placement.accelerator_share == 1.0
    assert session.facts.precision == "fp16 (QNN enable_htp_fp16_precision)"
    assert session.facts.effective_options["backend_type"] == "htp"
    assert session.facts.effective_options["htp_performance_mode"] == "burst"


def test_precision_follows_the_model_and_options(zoo, cases):
    assert _open(zoo, "qdq_int8", SessionSettings()).facts.precision == "int8 (QDQ)"
    assert _open(zoo, "fp16_mlp", SessionSettings()).facts.precision == "fp16 (model)"
    fp32 = _open(zoo, "conv_net", SessionSettings(ep_options={"enable_htp_fp16_precision": "0"}))
    assert fp32.facts.precision == "fp32"


def test_qdq_model_reports_partial_fallback(zoo):
    placement = _open(zoo, "qdq_int8", SessionSettings()).placement
    assert placement.accelerator_nodes > placement.nodes_by_provider.get("CPUExecutionProvider", 0)
    assert placement.total_nodes == sum(placement.nodes_by_provider.values())


def test_dynamic_shapes_fall_back_to_cpu_loudly(zoo, cases):
    session = _open(zoo, "dynamic_mlp", SessionSettings())
    assert session.placement.accelerator_nodes == 0
    notes = " | ".join(session.facts.notes)
    assert "0 of 1 nodes ran on QNN" in notes
    assert "--dim batch=VALUE" in notes
    with_dims = _open(zoo, "dynamic_mlp", cases["dynamic_mlp"].settings())
    assert with_dims.placement.nodes_by_provider == {QNN: 1}


def test_strict_mode_rejects_cpu_fallback(zoo):
    with pytest.raises(UserError) as info:
        _open(zoo, "dynamic_mlp", SessionSettings(strict=True))
    assert str(info.value) == ("strict mode: 1 node cannot run on QNN and CPU fallback is disabled; "
                               "drop --strict to allow fallback.")


def test_strict_mode_accepts_a_graph_qnn_takes_whole(zoo):
    session = _open(zoo, "conv_net", SessionSettings(strict=True))
    assert session.facts.effective_options["session.disable_cpu_ep_fallback"] == "1"
    assert session.placement.accelerator_share == 1.0


@pytest.mark.parametrize("name", ["control_flow", "token_embedding"])
def test_graphs_the_emulator_cannot_compile_give_one_line(zoo, cases, name):
    # As fp32 graphs these fail at finalisation (QNN_COMMON_ERROR_MEM_ALLOC); with the default fp16 they run.
    # The QNN backend keeps the first session's SoC for the whole process, so the fp32 attempt gets a
    # fresh worker process, as every real run does.
    spec = RunSpec(model_path=str(zoo[name]), target_id=TARGET, warmup=0, iterations=1, dims=cases[name].dims,
                   ep_options={"enable_htp_fp16_precision": "0"}, check_outputs=False)
    run = ProfileRun(spec)
    run.start()
    try:
        record = run.wait()
    finally:
        run.close()
    message = f"{record.error.message} {record.error.hint}"
    assert message.startswith("QNN could not compile the graph: QNN_")
    assert "\n" not in message
    assert "static shapes" not in message  # every input had a size: no advice to fix them
    assert "enable_htp_fp16_precision=1 and soc_model" in record.error.hint
    session = _open(zoo, name, cases[name].settings())
    assert session.placement.accelerator_nodes > 0
    assert session.facts.precision == "fp16 (QNN enable_htp_fp16_precision)"


def test_custom_op_is_a_one_line_user_error(zoo):
    with pytest.raises(UserError, match=r"^op FancyGelu \(domain com.example.custom\) is not implemented"):
        _open(zoo, "custom_domain_op", SessionSettings())


def test_cpu_backend_on_x86_falls_back_and_says_so(zoo):
    session = _open(zoo, "conv_net", SessionSettings(ep_options={"backend_type": "cpu"}))
    assert session.placement.accelerator_nodes == 0
    assert "QNN backend_type=cpu is not available on x86_64; ORT fell back to the CPU EP" in session.facts.notes


@pytest.mark.parametrize(("options", "expected"), [
    ({"htp_perfomance_mode": "burst"}, "--ep-option htp_perfomance_mode is not an option of QNNExecutionProvider. "
                                       "Did you mean htp_performance_mode?"),
    ({"htp_performance_mode": "warp"}, "--ep-option htp_performance_mode=warp is not valid"),
])
def test_bad_ep_options_name_the_flag(zoo, options, expected):
    with pytest.raises(UserError) as info:
        _open(zoo, "conv_net", SessionSettings(ep_options=options))
    assert str(info.value).startswith(expected)


def test_user_options_override_defaults(zoo):
    session = _open(zoo, "single_add", SessionSettings(ep_options={"htp_performance_mode": "balanced"}))
    assert session.facts.effective_options["htp_performance_mode"] == "balanced"


def test_ep_context_cache_miss_then_hit(zoo, cases, reference, tmp_path):
    settings = SessionSettings(cache_dir=str(tmp_path))
    first = _open(zoo, "conv_net", settings)
    assert first.facts.cache == "miss"
    context = tmp_path / next(p.name for p in tmp_path.glob("*_ctx.onnx"))
    assert first.facts.effective_options["ep.context_file_path"] == str(context)
    second = _open(zoo, "conv_net", settings)
    assert second.facts.cache == "hit"
    # The context model is one EPContext node; placement comes from the compile run.
    assert second.placement.to_dict()["nodes_by_provider"] == first.placement.nodes_by_provider
    assert "recorded when the EP context was compiled" in second.placement.source
    assert_close(second.run(cases["conv_net"].feeds), reference("conv_net"), rtol=2e-2, atol=2e-2)
    other = _open(zoo, "conv_net", SessionSettings(cache_dir=str(tmp_path), ep_options={"vtcm_mb": "2"}))
    assert other.facts.cache == "miss"  # other options, other cache entry


def test_broken_cache_entry_is_rebuilt(zoo, tmp_path):
    settings = SessionSettings(cache_dir=str(tmp_path))
    _open(zoo, "single_add", settings)
    context = next(tmp_path.glob("*_ctx.onnx"))
    context.write_bytes(b"corrupt")
    session = _open(zoo, "single_add", settings)
    assert session.facts.cache == "miss"
    assert "the cached EP context could not be loaded; it was rebuilt" in session.facts.notes
    assert json.loads(next(tmp_path.glob("*.placement.json")).read_text())["total_nodes"] == 1


def test_io_binding_runner(zoo, cases, reference):
    session = _open(zoo, "conv_net", SessionSettings())
    runner = session.make_runner(cases["conv_net"].feeds, io_binding=True)
    runner()
    assert_close(runner.fetch_outputs(), reference("conv_net"), rtol=2e-2, atol=2e-2)
