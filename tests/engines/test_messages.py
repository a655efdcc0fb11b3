"""Pure helpers: ORT message translation, option validation, precision wording."""

from __future__ import annotations

import pytest

from app.common.errors import ModelError, UserError
from app.engines import ort_errors, ort_options
from app.engines.ort_options import CPU, OPENVINO, QNN

RECORDED = [  # (raw ORT message, expected one-line start)
    ("[ONNXRuntimeError] : 1 : FAIL : Load model from m.onnx failed:Fatal error: "
     "com.example.custom:FancyGelu(-1) is not a registered function/op",
     "op FancyGelu (domain com.example.custom) is not implemented by ONNX Runtime here."),
    ("[ONNXRuntimeError] : 11 : EP_FAIL : Failed to finalize QNN graph. Error: QNN_COMMON_ERROR_MEM_ALLOC: "
     "Memory allocation related error., Code: 1002",
     "QNN could not compile the graph: QNN_COMMON_ERROR_MEM_ALLOC."),
    ("[ONNXRuntimeError] : 1 : FAIL : Invalid provider_option key: precison",
     "--ep-option precison is not an option of OpenVINOExecutionProvider."),
    ("[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : Could not find an implementation for Foo(21) node with name 'n1'",
     "ONNX Runtime has no kernel for Foo (opset 21) node 'n1' on this target."),
    ("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : something odd\nwith a second line",
     "ONNX Runtime could not create the session on OpenVINOExecutionProvider: something odd"),
]


@pytest.mark.parametrize(("raw", "expected"), RECORDED)
def test_translate_recorded_messages(raw, expected):
    error = ort_errors.translate(RuntimeError(raw), OPENVINO, "m.onnx")
    assert str(error).startswith(expected)
    assert "\n" not in str(error)


def test_translate_file_errors_are_model_errors():
    missing = "[ONNXRuntimeError] : 3 : NO_SUCHFILE : Load model from x failed:File doesn't exist"
    assert isinstance(ort_errors.translate(RuntimeError(missing), CPU, "x"), ModelError)
    broken = "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from x failed:Protobuf parsing failed."
    assert isinstance(ort_errors.translate(RuntimeError(broken), CPU, "x"), ModelError)


def test_strict_error_wording():
    assert str(ort_errors.strict_error(QNN, 3)) == (
        "strict mode: 3 nodes cannot run on QNN and CPU fallback is disabled; drop --strict to allow fallback.")
    assert str(ort_errors.strict_error(QNN, None)).startswith("strict mode: some nodes cannot run on QNN")


def test_clean_truncates_long_lines():
    assert len(ort_errors.clean("x" * 1000)) == 240


def test_validate_accepts_documented_keys_and_rejects_others():
    ort_options.validate(QNN, {"backend_type": "htp", "vtcm_mb": "8", "enable_htp_fp16_precision": "0"})
    ort_options.validate("SomeFutureExecutionProvider", {"anything": "goes"})
    with pytest.raises(UserError, match="Did you mean enable_htp_fp16_precision"):
        ort_options.validate(QNN, {"enable_fp16_precision": "1"})
    with pytest.raises(UserError, match="--ep-option backend_type=npu is not valid"):
        ort_options.validate(QNN, {"backend_type": "npu"})
    with pytest.raises(UserError, match="Did you mean num_of_threads"):
        ort_options.validate(OPENVINO, {"num_threads": "4"})


def test_precision_wording():
    def precision(provider, options=None, ops=(), inputs=("tensor(float)",), on_acc=True, device="NPU", quant=""):
        return ort_options.precision(provider, device, options or {}, set(ops), list(inputs), on_acc, quant)

    # The QNN EP builds fp32 graphs unless fp16 is on with a soc_model (it defaults to neither).
    assert precision(QNN, {"backend_type": "htp"}) == "fp32"
    assert precision(QNN, {"enable_htp_fp16_precision": "1", "soc_model": "60"}) == \
        "fp16 (QNN enable_htp_fp16_precision)"
    assert precision(QNN, {"enable_htp_fp16_precision": "0", "soc_model": "60"}).startswith("fp16 (QNN HTP soc_model 60")
    assert precision(QNN, ops={"DynamicQuantizeLinear", "MatMulInteger"}) == "int8 (QOperator, dynamic quantisation)"
    assert precision(QNN, ops={"QLinearConv"}) == "int8 (QOperator)"
    assert precision(QNN, ops={"Conv"}, quant="uint8 (QOperator, dynamic quantisation)") == \
        "uint8 (QOperator, dynamic quantisation)"
    assert precision(QNN, {"enable_htp_fp16_precision": "0"}) == "fp32"
    assert precision(QNN, {"htp_bf16_enable": "1"}) == "bf16 (QNN htp_bf16_enable)"
    assert precision(QNN, ops={"DequantizeLinear", "Conv"}) == "int8 (QDQ)"
    assert precision(QNN, inputs=("tensor(float16)",)) == "fp16 (model)"
    assert precision(QNN, on_acc=False) == "fp32"
    assert precision(CPU, device="CPU") == "fp32"
    load_config = '{"GPU": {"INFERENCE_PRECISION_HINT": "f32"}}'
    assert precision(OPENVINO, {"load_config": load_config}, device="GPU").startswith("fp32 (OpenVINO load_config")
    assert ort_options.ov_precision_name("<Type: 'bfloat16'>") == "bf16"
    assert ort_options.ov_precision_name("f16") == "fp16"
