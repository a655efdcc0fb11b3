"""The real-world corpus: each class of public model runs on the first try, and what is shown is true.

First what the model layer makes of each model (shapes, where each dim comes
from, what needs a value, the card), then real runs through the CLI on ORT CPU,
native OpenVINO CPU and the QNN HTP emulator, asserting the shapes used, the
warnings and the figures in the record.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from app.cli import main
from app.common.errors import InputSpecError
from app.engines import registry
from app.model.dims import DimSource
from app.model.inputs import model_inputs, prepare_inputs, resolve_partial, resolve_shapes
from app.model.model_card import inspect_model
from app.record import io as rec
from app.record.schema import RunStatus, WarningKind
from tests.corpus import models

QNN = "ort/qnn/htp-emulator"
TARGETS = ["ort/cpu", "ov/cpu", QNN]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("corpus")
    paths = {name: models.save(build(), folder, name) for name, build in models.ALL.items()}
    paths["unnamed_hw_meta"] = models.save(models.unnamed_hw({"image_shape": "[48, 192]"}), folder, "unnamed_hw_meta")
    paths["vad_rate_hint"] = models.save(models.vad(rate_hint=True), folder, "vad_rate_hint")
    return paths


def _sources(res, name: str) -> list[DimSource]:
    return [d.source for d in res.dims[name]]


# --- what the model layer makes of each class ------------------------------------------------


def test_literal_minus_one_dims_are_dynamic():
    (spec,) = model_inputs(models.ocr_detector())
    assert spec.shape == [None, 3, None, None]  # the file says -1: dynamic, not "fixed at -1"
    assert resolve_shapes([spec], {"x": [1, 3, 48, 192]}) == {"x": [1, 3, 48, 192]}
    res = resolve_partial([spec], None, None)
    assert res.shapes == {"x": [1, 3, 224, 224]}
    assert _sources(res, "x") == [DimSource.DEFAULT, DimSource.MODEL, DimSource.GUESSED, DimSource.GUESSED]
    assert res.guess_labels() == ["x[2]=224", "x[3]=224"] and res.dims["x"][2].why == "image default 224"


def test_unknown_dims_take_the_channels_the_first_conv_needs():
    (spec,) = model_inputs(models.unknown_dims())
    assert spec.shape == [None, None, None, None]
    res = resolve_partial([spec], None, None)
    assert res.shapes == {"x": [1, 3, 224, 224]}
    assert _sources(res, "x") == [DimSource.DEFAULT, DimSource.HINT, DimSource.GUESSED, DimSource.GUESSED]
    assert res.dims["x"][1].why == "Conv 'conv0' takes 3 channels"


def test_unnamed_height_and_width_from_metadata_or_the_user():
    (spec,) = model_inputs(models.unnamed_hw({"image_shape": "[48, 192]"}))
    res = resolve_partial([spec], None, None)
    assert res.shapes == {"image": [1, 3, 48, 192]} and not res.guessed  # the model's hint: not a guess
    assert res.dims["image"][3].source is DimSource.HINT and "image_shape" in res.dims["image"][3].why
    (bare,) = model_inputs(models.unnamed_hw())
    user = resolve_partial([bare], {"image": [1, 3, 48, 192]}, None)
    assert user.shapes == {"image": [1, 3, 48, 192]} and _sources(user, "image")[2:] == [DimSource.BOUND] * 2


def test_named_width_is_an_image_side():
    (spec,) = model_inputs(models.crnn())
    res = resolve_partial([spec], None, None)
    assert res.shapes == {"x": [1, 3, 32, 224]} and res.guess_labels() == ["width=224"]
    assert resolve_shapes([spec], None, {"width": 320}) == {"x": [1, 3, 32, 320]}


def test_sample_rate_needs_a_value_and_state_starts_at_zero():
    specs = model_inputs(models.vad())
    sr = next(s for s in specs if s.name == "sr")
    assert sr.needs_value is not None and sr.needs_value.example == "16000" and sr.needs_value.default is None
    with pytest.raises(InputSpecError) as info:
        prepare_inputs(specs, dims={"n": 512})
    assert "input 'sr' needs a value" in str(info.value) and "--input sr=16000" in str(info.value)
    with pytest.raises(InputSpecError, match=r"input 'sr' needs a value.*\(also without a value: dim 'n'\)\.$"):
        prepare_inputs(specs)  # `n` is not a batch at axis 1: no silent 1
    with pytest.raises(InputSpecError, match=r"^input 'input' dim 1 \('n'\) is symbolic and has no value"):
        prepare_inputs(specs, inputs={"sr": "16000"})
    prepared = prepare_inputs(specs, dims={"n": 512}, inputs={"sr": "16000"})
    assert int(prepared.feeds["sr"]) == 16000 and prepared.sources["sr"] == "--input sr=16000"
    assert not prepared.feeds["state"].any() and prepared.sources["state"].startswith("synthesized: zeros")
    assert prepared.feeds["input"].shape == (1, 512)


def test_a_rate_the_model_compares_with_is_justified():
    specs = model_inputs(models.vad(rate_hint=True))
    prepared = prepare_inputs(specs, dims={"n": 512})
    assert int(prepared.feeds["sr"]) == 16000
    assert prepared.sources["sr"] == "16000 (the model compares sr with 16000)"


def test_card_says_where_every_dim_comes_from(corpus):
    card = inspect_model(corpus["ocr_detector"], with_sha256=False)
    assert card.inputs == [{"name": "x", "dtype": "float32", "shape": [None, 3, None, None]}]  # unchanged fields
    assert [d["source"] for d in card.input_dims["x"]] == ["default", "model", "guessed", "guessed"]
    assert card.input_dims["x"][2]["label"] == "guessed (image default 224)"
    assert card.guessed_dims == ["x[2]=224", "x[3]=224"]
    assert card.macs is None and card.macs_reason == "unresolved dims: x[2], x[3]"  # never counted at a guess
    vad = inspect_model(corpus["vad"], with_sha256=False)
    assert vad.value_needs["sr"] == {"what": "a sample rate", "example": "16000", "default": None, "why": ""}
    assert vad.input_dims["input"][1] == {"value": None, "source": "needed", "why": "", "name": "n",
                                          "label": "needs a value"}
    assert len(vad.needs_values) == 2 and vad.input_dims["sr"] == []


def test_macs_counted_once_the_user_sets_the_dims(corpus):
    card = inspect_model(corpus["unnamed_hw"], shapes={"image": [1, 3, 48, 192]}, with_sha256=False)
    conv0 = 8 * 3 * 9 * (24 * 96)
    conv1 = 16 * 8 * 9 * (12 * 48)
    assert card.macs == conv0 + conv1 + 16 * 10 and card.resolved_shapes == {"image": [1, 3, 48, 192]}


def test_dynamic_quantisation_is_labelled_what_it_is(corpus):
    card = inspect_model(corpus["dynamic_quant"], with_sha256=False)
    q = card.quantization
    assert q["format"] == "QOperator" and q["dynamic"] and "uint8 (dynamic)" in q["activations"]
    assert card.op_histogram.get("DynamicQuantizeLinear") and card.op_histogram.get("ConvInteger")
    assert card.macs == 8 * 3 * 9 * 16 * 16 + 8 * 16 * 16 * 10  # ConvInteger + MatMulInteger


# --- real runs -------------------------------------------------------------------------------------


def _ready(target_id: str) -> bool:
    target = next((t for t in registry.discover_targets() if t.id == target_id), None)
    return target is not None and target.ready


def _run(path, target: str, tmp_path, capsys, *args: str):
    if not _ready(target):
        pytest.skip(f"{target} is not ready here")
    out = tmp_path / "run.json"
    code = main(["run", str(path), "--target", target, "-n", "3", "--warmup", "1", "--no-telemetry", "-q",
                 "--out", str(out), *args])
    captured = capsys.readouterr()
    return code, (rec.load(out) if out.exists() else None), captured


def _check_figures(record, iterations: int = 3) -> None:
    lat = record.latency
    assert record.status is RunStatus.COMPLETED, record.error
    assert lat.count == iterations and 0 < lat.min <= lat.p50 <= lat.max
    assert record.placement.total_nodes == sum(record.placement.nodes_by_provider.values()) > 0
    for out in record.output_check.outputs if record.output_check else []:
        assert out.ok and out.cosine_similarity > 0.999, out


@pytest.mark.parametrize("target", TARGETS)
def test_literal_minus_one_detector_runs_at_a_stated_guess(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["ocr_detector"], target, tmp_path, capsys)
    assert code == 0, captured.err
    _check_figures(record)
    (x,) = record.inputs
    assert x.shape == [1, 3, 224, 224] and x.guessed == [2, 3]
    assert x.dim_sources == ["default", "model", "guessed", "guessed"]
    (warning,) = record.warnings_of(WarningKind.GUESSED_SHAPE)
    assert warning.text == "guessed: x[2]=224, x[3]=224 — set them for your real input size."
    assert record.warnings[0] is warning  # first: loud
    assert "inputs: x [1, 3, 224*, 224*] float32  (* guessed" in captured.out
    assert "LIBNATIVE" not in captured.err + captured.out and "\x1b[" not in captured.err  # native chatter
    if target == QNN:  # unnamed dims fixed in a copy, so the HTP compiles static shapes: nothing falls back
        assert record.placement.accelerator_share == 1.0
        assert record.session.effective_options["fixed_input_dims"] == "x[0]=1, x[2]=224, x[3]=224"
        assert record.precision == "fp16 (QNN enable_htp_fp16_precision)"


@pytest.mark.parametrize("target", TARGETS)
def test_user_sizes_are_used_as_given(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["unnamed_hw"], target, tmp_path, capsys, "--shape", "image=1,3,48,192")
    assert code == 0, captured.err
    _check_figures(record)
    assert record.inputs[0].shape == [1, 3, 48, 192]
    assert record.inputs[0].dim_sources == ["model", "model", "bound", "bound"]
    assert not record.warnings_of(WarningKind.GUESSED_SHAPE, WarningKind.SUSPICIOUS_SHAPE)


@pytest.mark.parametrize("target", TARGETS)
def test_unknown_dims_and_named_width_run(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["unknown_dims"], target, tmp_path, capsys)
    assert code == 0, captured.err
    _check_figures(record)
    assert record.inputs[0].dim_sources == ["default", "hint", "guessed", "guessed"]
    code, record, captured = _run(corpus["crnn"], target, tmp_path, capsys)
    assert code == 0, captured.err
    _check_figures(record)
    assert record.inputs[0].shape == [1, 3, 32, 224] and record.inputs[0].guessed == [3]
    assert record.warnings_of(WarningKind.GUESSED_SHAPE)[0].text.startswith("guessed: x[3]=224")


@pytest.mark.parametrize("target", TARGETS)
def test_vad_runs_with_a_real_rate_and_zero_state(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["vad"], target, tmp_path, capsys, "--input", "sr=16000", "--dim", "n=512")
    assert code == 0, captured.err
    _check_figures(record)
    by_name = {i.name: i for i in record.inputs}
    assert by_name["input"].shape == [1, 512] and by_name["sr"].shape == [] and by_name["state"].shape == [2, 1, 128]
    assert by_name["sr"].source == "--input sr=16000"
    assert by_name["state"].source.startswith("synthesized: zeros (recurrent state)")
    assert not record.warnings_of(WarningKind.GUESSED_SHAPE)


@pytest.mark.parametrize("target", TARGETS)
def test_a_kernel_wider_than_the_input_is_explained(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["vad"], target, tmp_path, capsys, "--input", "sr=16000", "--dim", "n=128")
    assert code == 2 and record is None
    (line,) = captured.err.strip().splitlines()
    assert line == ("aipcprof: error: input 'input' has n=128; the model's first convolution ('stft') needs at "
                    "least 256 (its kernel spans 256, it gets 128). Set n to 256 or more.")


@pytest.mark.parametrize("target", TARGETS)
def test_dynamic_quantisation_label(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["dynamic_quant"], target, tmp_path, capsys)
    assert code == 0, captured.err
    _check_figures(record) if target != QNN else None  # the HTP's int8 drifts more; checked below
    if target != "ov/cpu":  # ORT: the model's own format, not "QDQ"
        assert record.precision == "uint8 (QOperator, dynamic quantisation)"
    if target == QNN:
        (out,) = record.output_check.outputs
        assert out.cosine_similarity > 0.99 and out.max_abs_error > 0


@pytest.mark.parametrize("target", TARGETS)
def test_big_float_net_runs_in_fp16_on_the_htp(corpus, target, tmp_path, capsys):
    code, record, captured = _run(corpus["htp_big_float"], target, tmp_path, capsys)
    assert code == 0, captured.err
    _check_figures(record)
    if target == QNN:
        assert record.precision == "fp16 (QNN enable_htp_fp16_precision)"
        assert record.session.effective_options["soc_model"] == "60"
        assert record.placement.accelerator_share == 1.0
        (out,) = record.output_check.outputs
        assert 0 < out.max_abs_error < 1e-2  # fp16 drift, shown, not hidden


def test_big_float_net_in_fp32_fails_with_a_useful_hint(corpus, tmp_path, capsys):
    code, record, captured = _run(corpus["htp_big_float"], QNN, tmp_path, capsys,
                                  "--ep-option", "enable_htp_fp16_precision=0")
    assert code == 2 and record is None
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("aipcprof: error: QNN could not compile the graph: QNN_COMMON_ERROR_MEM_ALLOC.")
    assert "enable_htp_fp16_precision=1 and soc_model" in line
    assert "static shapes" not in line  # the shapes were static already


def test_native_chatter_is_kept_in_the_log_not_the_terminal(corpus, tmp_path, capsys):
    code, record, captured = _run(corpus["unnamed_hw"], QNN, tmp_path, capsys, "--shape", "image=1,3,48,192")
    assert code == 0, captured.err
    assert "LIBNATIVE" not in captured.err + captured.out
    assert "native runtime output" not in captured.err  # named only when a run fails
    with open(record.worker_log, encoding="utf-8", errors="replace") as log:
        assert "LIBNATIVE" in log.read()  # what the QNN libraries printed, kept


def test_corpus_models_run_on_onnxruntime_as_built():
    """The builders make valid models: each runs on ORT CPU at a sensible size."""
    feeds = {
        "ocr_detector": {"x": np.zeros((1, 3, 64, 96), np.float32)},
        "unknown_dims": {"x": np.zeros((2, 3, 40, 56), np.float32)},
        "unnamed_hw": {"image": np.zeros((1, 3, 48, 192), np.float32)},
        "crnn": {"x": np.zeros((1, 3, 32, 100), np.float32)},
        "vad": {"input": np.zeros((1, 512), np.float32), "sr": np.array(16000, np.int64),
                "state": np.zeros(models.VAD_STATE, np.float32)},
        "dynamic_quant": {"x": np.zeros((1, 3, 32, 32), np.float32)},
        "htp_big_float": {"x": np.zeros((1, 3, 128, 128), np.float32)},
    }
    for name, build in models.ALL.items():
        sess = ort.InferenceSession(build().SerializeToString(), providers=["CPUExecutionProvider"])
        outs = sess.run(None, feeds[name])
        assert all(np.isfinite(o).all() for o in outs), name
