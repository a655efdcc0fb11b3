"""Execution-provider options: defaults, validation, and what they imply.

QNN silently ignores unknown provider options (a typo such as
`htp_perfomance_mode=burst` would run at default clocks and nobody would
know), so keys of EPs that document theirs are checked here and a wrong key
is a UserError naming `--ep-option`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping

from app.common.errors import UserError
from app.common.targets import Target

QNN = "QNNExecutionProvider"
OPENVINO = "OpenVINOExecutionProvider"
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
DML = "DmlExecutionProvider"

QNN_DEFAULTS = {"backend_type": "htp", "htp_performance_mode": "burst"}
# The HTP computes float graphs in fp16; the QNN EP does so only with enable_htp_fp16_precision=1 AND a
# soc_model (it refuses one without the other). Without them it builds an fp32 graph, which the x86_64
# emulator cannot allocate for anything bigger than a toy (QNN_COMMON_ERROR_MEM_ALLOC at finalisation).
QNN_FP16 = "enable_htp_fp16_precision"
QNN_SOC = "soc_model"
# CPU names (lower case) -> (soc_model, what it is); the emulator stands for the first one.
QNN_SOCS = (("x elite", "60", "Snapdragon X Elite, SC8380XP"), ("x1e", "60", "Snapdragon X Elite, SC8380XP"))
EMULATED_SOC = QNN_SOCS[0][1:]

# QNN EP options (ORT QNN EP docs, onnxruntime_perf_test help, onnxruntime-qnn 2.x library).
QNN_KEYS = frozenset({
    "backend_type", "backend_path", "profiling_level", "profiling_file_path", "rpc_control_latency",
    "vtcm_mb", "htp_performance_mode", "qnn_saver_path", "qnn_context_priority",
    "htp_graph_finalization_optimization_mode", "soc_model", "htp_arch", "device_id",
    "enable_htp_fp16_precision", "offload_graph_io_quantization", "enable_htp_spill_fill_buffer",
    "enable_htp_shared_memory_allocator", "dump_json_qnn_graph", "json_qnn_graph_dir", "htp_bf16_enable",
    "op_packages", "skip_qnn_version_check", "extended_udma", "enable_vtcm_backup_buffer_sharing",
    "enable_htp_weight_sharing", "enable_htp_fp16_clamp_overflow", "enable_htp_graph_splitting",
    "htp_graph_splitting_num_prepare_threads", "enable_htp_monolithic_lstm", "dump_qnn_ir_dlc",
    "dump_qnn_ir_dlc_dir", "qnn_ir_backend_path", "htp_share_resource_optimization",
    "htp_reused_io_limit_mb", "skip_backend_op_validation", "enable_dx12_shared_memory_allocator",
})
QNN_VALUES = {
    "backend_type": ("htp", "cpu", "gpu", "saver", "ir"),
    "htp_performance_mode": ("burst", "balanced", "default", "high_performance", "high_power_saver",
                             "low_balanced", "extreme_power_saver", "low_power_saver", "power_saver",
                             "sustained_high_performance"),
    "enable_htp_fp16_precision": ("0", "1"),
    "htp_bf16_enable": ("0", "1"),
    "offload_graph_io_quantization": ("0", "1"),
    "profiling_level": ("off", "basic", "detailed", "optrace"),
    "qnn_context_priority": ("low", "normal", "normal_high", "high"),
    "htp_graph_finalization_optimization_mode": ("0", "1", "2", "3"),
}

# OpenVINO EP options (ORT OpenVINO EP docs; the 1.8 plugin ignores device_type and
# picks the device from the EP device, so it is not a default here).
OPENVINO_KEYS = frozenset({
    "device_type", "device_id", "device_luid", "precision", "num_of_threads", "num_streams", "cache_dir",
    "load_config", "context", "enable_opencl_throttling", "enable_qdq_optimizer", "disable_dynamic_shapes",
    "model_priority", "reshape_input", "layout", "enable_causallm",
})

KNOWN_KEYS: dict[str, frozenset[str]] = {QNN: QNN_KEYS, OPENVINO: OPENVINO_KEYS, CPU: frozenset()}
ALLOWED_VALUES: dict[str, dict[str, tuple[str, ...]]] = {QNN: QNN_VALUES}

QUANT_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger",
                       "ConvInteger", "DynamicQuantizeLinear", "QLinearAdd", "QLinearMul", "MatMulNBits",
                       "DynamicQuantizeMatMul", "QAttention", "QGemm"})


def qnn_soc(cpu_name: str, emulated: bool) -> tuple[str, str] | None:
    """(soc_model, what it is) for the HTP of this machine; the emulator's is a stated default."""
    if emulated:
        return EMULATED_SOC
    name = cpu_name.lower()
    return next((soc[1:] for soc in QNN_SOCS if soc[0] in name), None)


def merge_options(target: Target, user: Mapping[str, object]) -> dict[str, str]:
    """Target defaults updated with the user's --ep-option pairs, checked, as strings."""
    options = {k: str(v) for k, v in target.default_options.items()}
    given = {str(k): _as_option_value(v) for k, v in user.items()}
    options.update(given)
    if target.provider == QNN:
        _qnn_fp16_pair(options, given)
    validate(target.provider, options)
    return options


def _qnn_fp16_pair(options: dict[str, str], given: Mapping[str, str]) -> None:
    """fp16 and soc_model go together: a default soc_model leaves with fp16 (or off the HTP backend)."""
    off_htp = options.get("backend_type", "htp") != "htp"
    if off_htp and QNN_FP16 not in given:
        options.pop(QNN_FP16, None)
    if (off_htp or options.get(QNN_FP16) != "1") and QNN_SOC not in given:
        options.pop(QNN_SOC, None)


def _as_option_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def validate(provider: str, options: Mapping[str, str]) -> None:
    known = KNOWN_KEYS.get(provider)
    allowed = ALLOWED_VALUES.get(provider, {})
    for key, value in options.items():
        if known is not None and key not in known:
            raise UserError(f"--ep-option {key} is not an option of {provider}.", hint=_suggest(key, known))
        if key in allowed and value not in allowed[key]:
            raise UserError(f"--ep-option {key}={value} is not valid for {provider}.",
                            hint=f"Use one of: {', '.join(allowed[key])}.")


def _suggest(key: str, known: Iterable[str]) -> str:
    if not known:
        return "It takes no provider options (use --threads for intra-op threads)."
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"Did you mean {close[0]}?"
    return f"Known options: {', '.join(sorted(known))}."


def is_quantized(op_types: Iterable[str]) -> bool:
    return any(op in QUANT_OPS for op in op_types)


def precision(provider: str, device_type: str, options: Mapping[str, str], op_types: set[str],
              input_types: list[str], on_accelerator: bool, quant_label: str = "") -> str:
    """What the accelerator computes in, as the record should say it.

    `quant_label` is the model's own quantisation ("int8 (QOperator, dynamic quantisation)", from
    app.model.model_card.quant_label): the session's op types are fused and can hide the format.
    """
    if quant_label:
        return quant_label
    if is_quantized(op_types):
        return _quant_from_ops(op_types)
    if any("float16" in t for t in input_types):
        return "fp16 (model)"
    if not on_accelerator:
        return "fp32"
    if provider == QNN:
        return _qnn_precision(options)
    if provider == OPENVINO:
        return _openvino_precision(device_type, options)
    if provider == TENSORRT and options.get("trt_fp16_enable", "").lower() in ("1", "true"):
        return "fp16 (TensorRT trt_fp16_enable)"
    return "fp32"


def _quant_from_ops(op_types: Iterable[str]) -> str:
    ops = set(op_types)
    if ops & {"DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM"}:
        return "int8 (QOperator, dynamic quantisation)"
    if ops & {"QuantizeLinear", "DequantizeLinear"}:
        return "int8 (QDQ)"
    return "int8 (QOperator)"


def _qnn_precision(options: Mapping[str, str]) -> str:
    if options.get("backend_type", "htp") != "htp":
        return "fp32"
    if options.get("htp_bf16_enable") == "1":
        return "bf16 (QNN htp_bf16_enable)"
    if options.get(QNN_FP16) == "1":
        return "fp16 (QNN enable_htp_fp16_precision)"
    if options.get(QNN_SOC):  # a known SoC's HTP has no fp32 arithmetic: float still runs in fp16
        return f"fp16 (QNN HTP soc_model {options[QNN_SOC]} computes float in fp16)"
    return "fp32"


def _openvino_precision(device_type: str, options: Mapping[str, str]) -> str:
    hint = _load_config_hint(options.get("load_config", ""), device_type)
    if hint:
        return f"{ov_precision_name(hint)} (OpenVINO load_config INFERENCE_PRECISION_HINT)"
    default = ov_default_precision(device_type)
    return f"{ov_precision_name(default)} (OpenVINO {device_type} default)" if default else "device default"


def _load_config_hint(load_config: str, device_type: str) -> str:
    """INFERENCE_PRECISION_HINT for this device inside a load_config JSON, if any."""
    if not load_config:
        return ""
    try:
        config = json.loads(load_config)
    except ValueError:
        return ""
    section = config.get(device_type, {}) if isinstance(config, dict) else {}
    return str(section.get("INFERENCE_PRECISION_HINT", "")) if isinstance(section, dict) else ""


def ov_default_precision(device: str) -> str:
    """The device's default inference precision as native OpenVINO reports it ('' if unknown)."""
    try:
        import openvino as ov  # noqa: PLC0415 - optional, heavy

        return str(ov.Core().get_property(device, "INFERENCE_PRECISION_HINT"))
    except Exception:  # noqa: BLE001 - no openvino, or no such device here
        return ""


def ov_precision_name(hint: str) -> str:
    """'f32' / '<Type: 'float32'>' -> 'fp32' (the record's vocabulary)."""
    text = hint.lower()
    for ov_name, name in (("bfloat16", "bf16"), ("bf16", "bf16"), ("float16", "fp16"), ("f16", "fp16"),
                          ("float32", "fp32"), ("f32", "fp32"), ("i8", "int8"), ("u8", "int8")):
        if ov_name in text:
            return name
    return hint
