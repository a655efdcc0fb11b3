"""Generative models on onnxruntime-genai (the ONNX Runtime generate() API): `genai/<ep>` targets.

A target is the provider onnxruntime-genai runs the decoder with, set through its config
(`og.Config.clear_providers()` / `append_provider()`), overriding what genai_config.json asks for.
How each is verified (docs/genai.md):

* `genai/cpu`: run by the tests on the real runtime with a real (tiny, generated) model folder.
* the others: ready only when onnxruntime-genai says it can use the EP (`is_<ep>_available()`) AND the
  onnxruntime it runs on has the EP compiled in (`get_available_providers()`, less the plugin EPs this
  tool registered with onnxruntime, which onnxruntime-genai does not see): onnxruntime-genai 0.18
  answers `is_qnn_available()` True on a CPU-only onnxruntime, so its word alone is not enough.
  Not run here (no GPU/NPU on the build machine).

onnxruntime_genai is imported only in `discover()` and `open_generator()`: in the worker, or when the
target list is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.common.errors import TargetError, UserError
from app.common.targets import READY, UNAVAILABLE, Target
from app.engines.base import Engine, SessionSettings

ENGINE = "onnxruntime-genai"
PREFIX = "genai/"


@dataclass(frozen=True)
class GenAIProvider:
    target_id: str
    provider: str  # onnxruntime-genai's name for it (append_provider)
    ort_ep: str  # the ONNX Runtime EP behind it
    device_type: str
    available_fn: str  # onnxruntime_genai.is_<...>_available, "" for the CPU
    options: tuple[tuple[str, str], ...] = ()  # provider options set with set_provider_option


PROVIDERS = (
    GenAIProvider("genai/cpu", "cpu", "CPUExecutionProvider", "CPU", ""),
    GenAIProvider("genai/cuda", "cuda", "CUDAExecutionProvider", "GPU", "is_cuda_available"),
    GenAIProvider("genai/dml", "dml", "DmlExecutionProvider", "GPU", "is_dml_available"),
    GenAIProvider("genai/qnn", "qnn", "QNNExecutionProvider", "NPU", "is_qnn_available"),
    GenAIProvider("genai/openvino/npu", "OpenVINO", "OpenVINOExecutionProvider", "NPU", "is_openvino_available",
                  (("device_type", "NPU"),)),
    GenAIProvider("genai/openvino/gpu", "OpenVINO", "OpenVINOExecutionProvider", "GPU", "is_openvino_available",
                  (("device_type", "GPU"),)),
    GenAIProvider("genai/webgpu", "WebGPU", "WebGpuExecutionProvider", "GPU", "is_webgpu_available"),
)
BY_ID = {p.target_id: p for p in PROVIDERS}


def is_genai_target(target_id: str) -> bool:
    return target_id.strip().lower().startswith(PREFIX)


class GenAIEngine(Engine):
    name = ENGINE

    def discover(self) -> list[Target]:
        import onnxruntime
        import onnxruntime_genai as og

        from app.common.cpuinfo import cpu_model_name
        from app.engines.ep_packages import installed
        from app.engines.ort_discovery import plugin_packages

        plugins = {ep: p.dist for p in plugin_packages(onnxruntime).values() for ep in p.ep_names}
        # compiled into onnxruntime: a plugin EP registered with onnxruntime is not registered with onnxruntime-genai
        ort_eps = {ep: plugins.get(ep, "") for ep in onnxruntime.get_available_providers()}
        version = getattr(og, "__version__", "")
        package = installed("onnxruntime_genai") or f"onnxruntime-genai {version}"
        targets = [_target(p, og, ort_eps, version) for p in PROVIDERS]
        for t in targets:
            t.details["package"] = package
            if t.device_type == "CPU" and t.ready:
                t.device_name = cpu_model_name()
        return targets

    def open(self, model_path: str, target: Target, settings: SessionSettings):
        raise TargetError(f"{target.id} runs generative model folders (with genai_config.json), not '{model_path}'.",
                          hint="Pass the model's folder, or pick an ort/ or ov/ target for a single .onnx file.")


def _target(p: GenAIProvider, og, ort_eps: dict[str, str], version: str) -> Target:
    status, reason, fix = READY, "", ""
    if p.available_fn and not getattr(og, p.available_fn, lambda: False)():
        status, reason = UNAVAILABLE, f"this onnxruntime-genai build cannot use {p.provider} ({p.available_fn}() is False)"
        fix = f"install the onnxruntime-genai package built for {p.provider}"
    elif p.ort_ep not in ort_eps:
        status = UNAVAILABLE
        reason = f"the onnxruntime onnxruntime-genai runs on has no {p.ort_ep}"
        fix = "install the onnxruntime build with this EP (onnxruntime-genai uses the installed onnxruntime)"
    elif ort_eps[p.ort_ep]:
        status = UNAVAILABLE
        reason = (f"{p.ort_ep} is a plugin EP here ({ort_eps[p.ort_ep]}); this tool does not yet register plugin "
                  f"EPs with onnxruntime-genai")
        fix = f"install the onnxruntime build with {p.ort_ep} compiled in"
    return Target(id=p.target_id, engine=ENGINE, provider=p.provider, device_type=p.device_type,
                  runtime_version=version, status=status, reason=reason, fix=fix,
                  default_options=dict(p.options))


@dataclass
class GenAIRuntime:
    """An open generative model: the onnxruntime-genai model and tokenizer, and how they were made."""

    og: object  # the onnxruntime_genai module
    model: object
    tokenizer: object
    provider: str
    effective_options: dict[str, str]


def open_generator(folder: str, target: Target, ep_options: dict[str, str], threads: int | None) -> GenAIRuntime:
    """og.Model + og.Tokenizer on the target's provider; UserError for what the user can fix."""
    import onnxruntime_genai as og

    spec = BY_ID.get(target.id)
    if spec is None:
        raise TargetError(f"unknown generative target '{target.id}'.",
                          hint=f"Generative targets: {', '.join(BY_ID)}.")
    config = og.Config(folder)
    config.clear_providers()  # the target decides, not what genai_config.json asks for
    options = {**dict(spec.options), **ep_options}
    if spec.provider != "cpu":
        config.append_provider(spec.provider)
        for key, value in options.items():
            config.set_provider_option(spec.provider, key, value)
    elif ep_options:
        raise UserError(f"--ep-option {', '.join(ep_options)}: genai/cpu takes no provider options.")
    if threads is not None:
        config.overlay(json.dumps({"model": {"decoder": {"session_options": {"intra_op_num_threads": threads}}}}))
    try:
        model = og.Model(config)
    except RuntimeError as e:
        raise TargetError(f"onnxruntime-genai could not open the model on {target.id}: {e}".rstrip(),
                          hint="Check the provider is installed, or try genai/cpu.") from None
    effective = {"provider": spec.provider, **options}
    if threads is not None:
        effective["intra_op_num_threads"] = str(threads)
    return GenAIRuntime(og=og, model=model, tokenizer=og.Tokenizer(model), provider=spec.provider,
                        effective_options=effective)
