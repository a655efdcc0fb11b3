"""`aipcprof compile` and runs on compiled (EP-context) models, for real on the QNN HTP emulator."""

from __future__ import annotations

import os
import stat

import onnx
import pytest

from app.cli import main
from app.common.errors import ModelError, TargetError
from app.engines import ort_compat, ort_compile, registry
from app.engines.base import CompiledModel, SessionSettings
from app.record import io as rec
from app.record.selection import CompiledModelInfo
from tests.engines.conftest import assert_close, open_target

EMULATOR = "ort/qnn/htp-emulator"
QNN = "QNNExecutionProvider"


@pytest.fixture(autouse=True)
def _needs_emulator(targets):
    if EMULATOR not in targets or not targets[EMULATOR].ready:
        pytest.skip(f"{EMULATOR} is not ready here")


@pytest.fixture(scope="module")
def compiled(zoo, tmp_path_factory):
    """conv_net compiled for the emulator, context beside the model and embedded."""
    folder = tmp_path_factory.mktemp("compiled")
    target = registry.find_target(EMULATOR)
    out = {}
    for embed in (False, True):
        path = folder / f"conv_{'embed' if embed else 'ext'}.onnx"
        out[embed] = ort_compile.compile_model(str(zoo["conv_net"]), target, SessionSettings(), path, embed)
    return out


def test_compile_writes_an_ep_context_model_and_stamps_the_load_times(compiled):
    for embed, result in compiled.items():
        model = onnx.load(result.out, load_external_data=False)
        assert [n.op_type for n in model.graph.node] == ["EPContext"]
        meta = {p.key: p.value for p in model.metadata_props}
        assert float(meta["aipcprof.compile.uncompiled_load_s"]) == pytest.approx(result.uncompiled_load_s, abs=1e-6)
        assert float(meta["aipcprof.compile.compiled_load_s"]) == pytest.approx(result.compiled_load_s, abs=1e-6)
        assert meta["aipcprof.compile.target"] == EMULATOR and result.eps == [QNN]
        assert result.compile_s > 0 and result.uncompiled_load_s > 0 and result.compiled_load_s > 0
        assert "ep_compatibility_info." + QNN in meta  # ORT's own, kept through the stamp
        binaries = [f for f in result.files if f.endswith(".bin")]
        assert bool(binaries) is not embed and all(os.path.getsize(f) > 0 for f in result.files)


def test_run_on_a_compiled_model_is_a_cache_hit_with_the_load_times(compiled, zoo, cases, reference):
    result = compiled[False]
    session = open_target(EMULATOR, result.out, cases["conv_net"].settings())
    facts = session.facts
    assert facts.cache == "hit" and facts.compiled.eps == [QNN] and facts.compiled.embed_mode is False
    assert facts.compiled.uncompiled_load_s == pytest.approx(result.uncompiled_load_s, abs=1e-6)
    assert facts.compiled.load_s > 0 and facts.compiled.compiled_for == EMULATOR
    # The emulator's QNN EP judges only NPU devices: the record says the check could not be made, and why.
    assert facts.compiled.compatibility.startswith("not checked: ")
    assert any("compatibility not checked" in n for n in facts.notes)
    assert_close(session.run(cases["conv_net"].feeds), reference("conv_net"), rtol=2e-2, atol=2e-2)
    info = CompiledModelInfo(**facts.compiled.__dict__)
    assert info.saved_s == pytest.approx(result.saved_s, abs=1e-5)
    assert "cache hit" in info.sentence and "uncompiled" in info.sentence


def test_a_compiled_model_on_another_ep_is_refused_with_the_reason(compiled):
    with pytest.raises(TargetError) as info:
        open_target("ort/cpu", compiled[True].out, SessionSettings())
    text = str(info.value)
    assert "compiled model for QNNExecutionProvider" in text and "\n" not in text


def test_an_unsupported_verdict_is_an_error_naming_the_fix(compiled):
    target = registry.find_target(EMULATOR)
    model = CompiledModel(eps=[QNN])
    original = ort_compat.compatibility
    try:
        ort_compat.compatibility = lambda *a: ("EP_UNSUPPORTED", "")
        with pytest.raises(TargetError, match="EP_UNSUPPORTED.*Recompile it here"):
            ort_compile.check_loadable(model, compiled[True].out, target)
    finally:
        ort_compat.compatibility = original


def test_ordinary_models_are_not_compiled(zoo):
    assert ort_compile.read_compiled(str(zoo["conv_net"])) is None


def test_policy_target_compiles_for_the_ep_it_picks(zoo, tmp_path):
    target = registry.find_target("ort/auto/prefer-npu")
    result = ort_compile.compile_model(str(zoo["conv_net"]), target, SessionSettings(), tmp_path / "p.onnx", True)
    assert result.eps == [QNN]


def test_cli_compile_then_run(zoo, tmp_path, capsys):
    out = tmp_path / "cli.onnx"
    assert main(["compile", str(zoo["conv_net"]), "--target", EMULATOR, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "session creation: uncompiled" in printed and str(out) in printed
    record_path = tmp_path / "run.json"
    assert main(["run", str(out), "--target", EMULATOR, "-n", "3", "--warmup", "0", "-q", "--no-telemetry",
                 "--out", str(record_path)]) == 0
    printed = capsys.readouterr().out
    assert "compiled model (QNNExecutionProvider context, cache hit)" in printed
    assert "output check: the model is compiled for QNNExecutionProvider (EP context)" in printed
    record = rec.load(str(record_path))
    assert record.session.cache == "hit" and record.session.compiled.eps == [QNN]
    assert record.session.compiled.saved_s is not None and record.session.compiled.compiled_for == EMULATOR


@pytest.mark.parametrize("target, message", [
    ("ort/cpu", "the CPU EP compiles nothing"),
    ("ov/cpu", "is native openvino"),
    ("ort/qnn/npu", "is not available here"),
])
def test_cli_compile_for_a_target_that_cannot_compile_exits_2(zoo, tmp_path, capsys, target, message):
    assert main(["compile", str(zoo["conv_net"]), "--target", target, "--out", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize("where", ["missing folder", "under a file", "read-only file"])
def test_cli_compile_to_an_unwritable_path_exits_2(zoo, tmp_path, capsys, where):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    out = {"missing folder": tmp_path / "missing" / "x.onnx", "under a file": plain / "x.onnx",
           "read-only file": plain}[where]
    plain.chmod(stat.S_IRUSR)  # read-only by its mode bits (root ignores os.access, not these)
    assert main(["compile", str(zoo["conv_net"]), "--target", EMULATOR, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"aipcprof: error: --out {out}") and "\n" not in err
    assert plain.read_text() == "x"


def test_cli_compile_refuses_its_own_input_and_compiled_models(zoo, compiled, capsys):
    assert main(["compile", str(zoo["conv_net"]), "--target", EMULATOR, "--out", str(zoo["conv_net"])]) == 2
    assert "is the input model" in capsys.readouterr().err
    with pytest.raises(ModelError, match="already a compiled"):
        ort_compile.check_compile_target(registry.find_target(EMULATOR), compiled[True].out)


def test_a_crashing_compatibility_check_costs_one_line_not_the_run(compiled, tmp_path, monkeypatch):
    crash = tmp_path / "crash.sh"
    crash.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crash.chmod(0o755)
    monkeypatch.setattr(ort_compat.sys, "executable", str(crash))
    status, why = ort_compat.compatibility(compiled[True].out, [QNN])
    assert status == "" and why == "the EP's compatibility check did not answer (signal 11, in a separate process)"
