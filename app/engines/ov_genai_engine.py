"""Generative models on openvino-genai (LLMPipeline over an OpenVINO IR LLM folder): `ov-genai/<device>` targets.

A target is the OpenVINO device LLMPipeline compiles the model for. How each is verified (docs/genai.md):

* `ov-genai/cpu`: run by the tests on the real runtime with a real (tiny, generated) IR folder.
* `ov-genai/gpu`, `ov-genai/npu` (and `gpu.1`...): ready when OpenVINO lists the device
  (`ov.Core().available_devices`), unavailable with the reason otherwise. Not run here (no GPU/NPU on the
  build machine); the NPU needs a model exported for it (static shapes, int4 symmetric weights).

openvino_genai is imported only in `discover()` and `open_pipeline()`: in the worker, or when the target list
is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.common.errors import TargetError, UserError
from app.common.targets import READY, UNAVAILABLE, Target
from app.engines.base import Engine, SessionSettings
from app.model.ov_genai_folder import RUNTIME as ENGINE
from app.model.ov_genai_folder import TARGET_PREFIX as PREFIX

KINDS = ("CPU", "GPU", "NPU")
THREADS_KEY = "INFERENCE_NUM_THREADS"
PRECISION_KEY = "INFERENCE_PRECISION_HINT"


def is_ov_genai_target(target_id: str) -> bool:
    return target_id.strip().lower().startswith(PREFIX)


def target_id(device: str) -> str:
    return PREFIX + device.lower()


class OVGenAIEngine(Engine):
    name = ENGINE

    def discover(self) -> list[Target]:
        import openvino_genai

        from app.engines.ep_packages import installed
        from app.engines.openvino_engine import _absent, core

        available = list(core().available_devices)
        version = _version(openvino_genai)
        targets = [_device_target(d, version) for d in available if d.split(".")[0] in KINDS]
        kinds = {d.split(".")[0] for d in available}
        targets += [Target(id=target_id(k), engine=ENGINE, provider=k, device_type=k, runtime_version=version,
                           status=UNAVAILABLE, reason=f"OpenVINO lists no {k} device here", fix=_absent(k).fix)
                    for k in KINDS if k not in kinds]
        package = installed("openvino_genai") or f"openvino-genai {version}"
        for t in targets:
            t.details["package"] = package
        return targets

    def open(self, model_path: str, target: Target, settings: SessionSettings):
        raise TargetError(f"{target.id} runs OpenVINO IR LLM folders (openvino_model.xml with its tokenizer "
                          f"IRs), not '{model_path}'.",
                          hint="Pass the model's folder, or pick an ort/ or ov/ target for a single model file.")


def _device_target(device: str, version: str) -> Target:
    from app.common.cpuinfo import cpu_model_name
    from app.engines.openvino_engine import _property

    kind = device.split(".")[0]
    name = _property(device, "FULL_DEVICE_NAME") or (cpu_model_name() if kind == "CPU" else "")
    return Target(id=target_id(device), engine=ENGINE, provider=device, device_type=kind, device_name=name,
                  runtime_version=version, status=READY, details={"ov_device": device})


def _version(module) -> str:
    return str(getattr(module, "__version__", "")).split("-")[0]


class OVTokenizer:
    """openvino-genai's Tokenizer with the two calls the generative loop makes (app.run.genai_loop)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.tokenizer.encode(text, add_special_tokens=False).input_ids.data[0], np.int64)

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids])


@dataclass
class OVGenAIRuntime:
    """An open LLMPipeline on one device, and how it was made."""

    module: object  # openvino_genai
    pipeline: object
    tokenizer: OVTokenizer
    device: str
    effective_options: dict[str, str]
    inference_precision: str = ""  # "fp32" | "bf16 (device default)": what the device computes in

    def precision(self, weights: str) -> str:
        """The session's precision: the device's inference precision and the IR's weights ("bf16 inference (device
        default), fp32 weights"): LLMPipeline does not expose its compiled model, so no per-op runtime precision."""
        return f"{self.inference_precision} inference, {weights or 'unknown'} weights"

    @property
    def version(self) -> str:
        return _version(self.module)


def open_pipeline(folder: str, target: Target, ep_options: dict[str, str], threads: int | None) -> OVGenAIRuntime:
    """LLMPipeline(folder, device, **properties); UserError for what the user can fix.

    `ep_options` (--ep-option K=V) go to LLMPipeline as properties (OpenVINO's, e.g. INFERENCE_PRECISION_HINT=f32,
    KV_CACHE_PRECISION=u8, or openvino-genai's ATTENTION_BACKEND=SDPA); `threads` is INFERENCE_NUM_THREADS."""
    import openvino_genai

    if not is_ov_genai_target(target.id) or not target.provider:
        raise TargetError(f"unknown openvino-genai target '{target.id}'.", hint="See `aipcprof devices`.")
    device = target.provider
    properties = dict(ep_options)
    if threads is not None:
        if THREADS_KEY in properties:
            raise UserError(f"--ep-option {THREADS_KEY} and --threads both set the threads; give one.")
        properties[THREADS_KEY] = str(threads)
    try:
        pipeline = openvino_genai.LLMPipeline(folder, device, **properties)
    except RuntimeError as e:
        raise TargetError(f"openvino-genai could not open the model on {target.id}: {_first_line(e)}",
                          hint="Check the --ep-option names and values, or try ov-genai/cpu.") from None
    from app.engines.openvino_engine import _property
    from app.engines.ort_options import ov_precision_name

    effective = {"device": device, **properties}
    if PRECISION_KEY in properties:
        precision = ov_precision_name(properties[PRECISION_KEY])
    else:
        value = _property(device, PRECISION_KEY)  # what the device computes in when nobody asks
        precision = f"{ov_precision_name(value)} (device default)" if value else "device default (not reported)"
        effective[PRECISION_KEY] = precision
    return OVGenAIRuntime(module=openvino_genai, pipeline=pipeline, tokenizer=OVTokenizer(pipeline.get_tokenizer()),
                          device=device, effective_options=effective, inference_precision=precision)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # OpenVINO's messages start with "Exception from src/...cpp:NN:" lines: the last line says what went wrong
    return (lines[-1] if lines else e.__class__.__name__)[:300]
