"""Native OpenVINO engine: ov/<device> targets, compile_model, one InferRequest.

The ONNX file is read directly (no IR conversion). Dynamic inputs are
reshaped to the resolved static shapes so NPU/GPU compile once; any OpenVINO
property may be set with --ep-option (e.g. INFERENCE_PRECISION_HINT=f32).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from app.common import fmt
from app.common.cpuinfo import cpu_model_name
from app.common.errors import ModelError, TargetError, UserError
from app.common.targets import READY, UNAVAILABLE, Target
from app.engines.base import (
    Engine,
    EngineSession,
    PerfCount,
    Placement,
    RawProfile,
    SessionFacts,
    SessionSettings,
)
from app.engines.ort_options import ov_precision_name
from app.engines.requests import RequestPool

ENGINE = "openvino"
DEFAULT_OPTIONS = {"PERFORMANCE_HINT": "LATENCY"}
NON_COMPUTE_LAYERS = frozenset({"Input", "Output", "Const", "Parameter", "Result", "Constant"})
# Layers whose u8/i8 runtime precision means the model really computes in int8 (not a bool mask).
MATMUL_LAYERS = frozenset({"Convolution", "GroupConvolution", "Deconvolution", "FullyConnected", "MatMul", "Gemm"})
INT8 = frozenset({"u8", "i8", "u4", "i4"})
# Recorded with the effective options: how the measured loop feeds this engine.
INPUT_BINDING = "inputs set once on one InferRequest (plain and io_binding alike)"
INPUT_BINDING_QUEUE = "inputs set once on each InferRequest of the AsyncInferQueue (plain and io_binding alike)"
_NO_RULE = re.compile(r"No conversion rule found for operations:\s*([^\n]+)")
_UNSUPPORTED_PROP = re.compile(r"Unsupported property (\S+) by (\S+) plugin")
_WRONG_VALUE = re.compile(r"Wrong value (\S*?)\s*for property key (\S+?)\.")

_core: ov.Core | None = None


def core() -> ov.Core:
    """One Core per process (creating one loads the device plugins)."""
    global _core
    if _core is None:
        _core = ov.Core()
    return _core


def runtime_version() -> str:
    return ov.get_version().split("-")[0]


def device_slug(device: str) -> str:
    """'GPU.0' -> 'gpu', 'GPU.1' -> 'gpu.1', 'NPU' -> 'npu'."""
    return device.lower().removesuffix(".0")


class OpenVinoSession(EngineSession):
    def __init__(self, compiled: Any, target: Target, facts: SessionFacts, placement: Placement | None,
                 model_path: str = "", settings: SessionSettings | None = None) -> None:
        self.compiled = compiled
        self.target = target
        self.facts = facts
        self.placement = placement
        self.model_path = model_path
        self.settings = settings or SessionSettings()
        self._outputs = list(compiled.outputs)
        self._request = compiled.create_infer_request()
        self._keepalive: list[Any] = []  # numpy arrays whose memory the request's tensors share
        self._profiled: Any = None  # a profiling session: the request whose perf counts are collected
        self._perf_counts: list[list[PerfCount]] = []

    def output_names(self) -> list[str]:
        return [_port_name(port, i, "output") for i, port in enumerate(self._outputs)]

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        try:
            results = self._request.infer(feeds)
        except Exception as exc:  # noqa: BLE001 - a failure that comes from the input sizes is explained
            shapes = {name: list(array.shape) for name, array in feeds.items()}
            explained = _shape_error(str(exc), self.model_path, shapes, self.settings)
            if explained is None:
                raise
            raise explained from None
        return [np.array(results[port]) for port in self._outputs]

    def make_runner(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> Callable[[], Any]:
        request = self.compiled.create_infer_request()
        for name, array in feeds.items():
            data = np.require(array, requirements="C")
            self._keepalive.append(data)
            request.set_tensor(name, ov.Tensor(data, shared_memory=True))
        # share_outputs=True: hand back views of the output tensors, no copy per inference.
        runner = functools.partial(request.infer, None, False, True)
        runner.fetch_outputs = functools.partial(_fetch, request, len(self._outputs))  # type: ignore[attr-defined]
        self._profiled = request
        return runner

    def after_profiled_run(self) -> None:
        if self.settings.profile_dir and self._profiled is not None:
            self._perf_counts.append(perf_counts(self._profiled))

    def end_profile(self) -> RawProfile | None:
        if not self.settings.profile_dir:
            return None
        return RawProfile(engine=ENGINE, perf_counts=self._perf_counts, originals=original_layers(self.compiled))

    def request_pool(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> RequestPool:
        from app.engines.openvino_requests import AsyncQueuePool  # noqa: PLC0415 - throughput mode only

        return AsyncQueuePool(self.compiled, feeds, self.settings.requests)

    def close(self) -> None:
        self._keepalive.clear()
        self._request = None
        self.compiled = None


def _fetch(request: Any, count: int) -> list[np.ndarray]:
    return [np.array(request.get_output_tensor(i).data) for i in range(count)]


def _port_name(port: Any, index: int, kind: str) -> str:
    try:
        return port.get_any_name()
    except RuntimeError:  # an unnamed port
        return f"{kind}{index}"


class OpenVinoEngine(Engine):
    name = ENGINE

    def discover(self) -> list[Target]:
        available = list(core().available_devices)
        targets = [self._device_target(device) for device in available]
        kinds = {device.split(".")[0] for device in available}
        targets += [_absent(kind) for kind in ("CPU", "GPU", "NPU") if kind not in kinds]
        return targets

    def _device_target(self, device: str) -> Target:
        kind = device.split(".")[0]
        full_name = _property(device, "FULL_DEVICE_NAME")
        details = {"ov_device": device}
        for key in ("DEVICE_ARCHITECTURE", "OPTIMIZATION_CAPABILITIES", "DEVICE_LUID", "DEVICE_TYPE"):
            value = _property(device, key)
            if value:
                details[key.lower()] = value
        return Target(id=f"ov/{device_slug(device)}", engine=ENGINE, provider=device, device_type=kind,
                      vendor=_vendor(kind, full_name), device_name=full_name or cpu_model_name(),
                      runtime_version=runtime_version(), status=READY,
                      default_options=dict(DEFAULT_OPTIONS), details=details)

    def open(self, model_path: str, target: Target, settings: SessionSettings) -> OpenVinoSession:
        if target.engine != ENGINE:
            raise TargetError(f"target {target.id} belongs to the {target.engine} engine, not openvino.")
        if not target.ready:
            raise TargetError(f"target {target.id} is not available here: {target.reason}.", hint=target.fix)
        model = _read(model_path)
        try:
            notes = _reshape(model, settings.input_shapes)
            config = _config(target, settings)
            before = _listing(settings.cache_dir)
            compiled = _compile(model, target.provider, config)
        except UserError as e:  # the raw text is on the exception's cause
            raise _shape_error(str(e.__context__ or e), model_path, settings.input_shapes, settings) or e from None
        facts = SessionFacts(providers=_execution_devices(compiled, target.provider),
                             precision=_precision(compiled), cache=_cache_state(compiled, settings.cache_dir, before),
                             effective_options={**{k: str(v) for k, v in config.items()}, "input_binding": INPUT_BINDING_QUEUE if settings.throughput else INPUT_BINDING},
                             notes=notes)
        return OpenVinoSession(compiled, target, facts, _placement(compiled, target.provider), model_path, settings)


def _shape_error(raw: str, model_path: str, shapes: dict[str, list[int]], settings: SessionSettings) -> UserError | None:
    """A reshape/compile/infer failure explained by the input sizes (app.model.shape_explain), or None."""
    from app.engines.ort_errors import explain_shapes  # noqa: PLC0415 - error path only

    return explain_shapes(raw, model_path, shapes, settings.guessed_dims) if shapes else None


def _property(device: str, key: str) -> str:
    try:
        value = core().get_property(device, key)
    except Exception:  # noqa: BLE001 - not every device has every property
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _vendor(kind: str, full_name: str) -> str:
    for vendor in ("Intel", "AMD", "NVIDIA", "Qualcomm", "Apple", "ARM"):
        if vendor.lower() in full_name.lower():
            return vendor
    return "Intel" if kind in ("GPU", "NPU") else ""


def _absent(kind: str) -> Target:
    if kind == "CPU":
        reason, fix = "OpenVINO reports no CPU device", "pip install --force-reinstall openvino"
    elif kind == "GPU":
        reason = "OpenVINO sees no GPU: needs an Intel GPU (Arc / Iris Xe) and its compute runtime driver"
        fix = "Install the Intel GPU driver (Linux: intel-opencl-icd / compute-runtime)."
    else:
        reason = "OpenVINO sees no NPU: needs an Intel Core Ultra NPU (AI Boost) and its driver"
        fix = "Install the Intel NPU driver (Linux: linux-npu-driver; Windows: Intel NPU driver)."
    return Target(id=f"ov/{kind.lower()}", engine=ENGINE, provider=kind, device_type=kind, vendor="Intel",
                  runtime_version=runtime_version(), status=UNAVAILABLE, reason=reason, fix=fix,
                  default_options=dict(DEFAULT_OPTIONS))


def _read(model_path: str) -> Any:
    if not Path(model_path).is_file():
        raise ModelError(f"model file not found: {model_path}.", hint="Check the path.")
    try:
        return core().read_model(model_path)
    except MemoryError:  # out of memory is a runtime failure (exit 1), not bad input
        raise
    except Exception as exc:  # noqa: BLE001
        raise _read_error(str(exc), model_path) from None


def _read_error(message: str, model_path: str) -> UserError:
    if match := _NO_RULE.search(message):
        ops = match.group(1).strip()
        domain, _, op = ops.split(",")[0].strip().rpartition(".")
        where = f" (domain {domain})" if domain else ""
        return UserError(f"op {op}{where} is not supported by OpenVINO's ONNX frontend.",
                         hint="Use an ONNX Runtime target or export the model with standard ONNX ops.")
    return ModelError(f"OpenVINO could not read {model_path}: {_last_line(message)}")


def _last_line(message: str) -> str:
    lines = [ln.strip() for ln in message.splitlines() if ln.strip() and not ln.strip().startswith("Exception from")]
    line = lines[-1] if lines else message.strip()
    return line[:240]


def _reshape(model: Any, shapes: dict[str, list[int]]) -> list[str]:
    """Static shapes for dynamic inputs; notes for inputs left dynamic."""
    wanted, left = {}, []
    for port in model.inputs:
        if port.get_partial_shape().is_static:
            continue
        name = port.get_any_name()
        if name in shapes:
            wanted[name] = [int(d) for d in shapes[name]]
        else:
            left.append(name)
    if wanted:
        try:
            model.reshape(wanted)
        except MemoryError:  # out of memory is a runtime failure (exit 1), not bad input
            raise
        except Exception as exc:  # noqa: BLE001
            raise UserError(f"OpenVINO could not reshape the inputs to {wanted}: {_last_line(str(exc))}",
                            hint="Check --shape against the model's inputs.") from None
    return [f"inputs left dynamic for OpenVINO: {', '.join(left)}"] if left else []


def _config(target: Target, settings: SessionSettings) -> dict[str, str]:
    config = {**DEFAULT_OPTIONS, **target.default_options, **_mode_options(settings),
              **{k: str(v) for k, v in settings.ep_options.items()}}
    if settings.threads:
        config["INFERENCE_NUM_THREADS"] = str(settings.threads)
    if settings.cache_dir:
        Path(settings.cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
        config["CACHE_DIR"] = str(Path(settings.cache_dir).expanduser())
    if settings.profile_dir:  # a profiling session (--op-profile)
        config["PERF_COUNT"] = "YES"
    return config


def original_layers(compiled: Any) -> dict[str, list[str]]:
    """Each runtime node's originalLayersNames: the model layers OpenVINO made it from ({} if not reported)."""
    out = {}
    try:
        for op in compiled.get_runtime_model().get_ordered_ops():
            info = op.get_rt_info()
            if "originalLayersNames" in info:
                names = [n for n in info["originalLayersNames"].astype(str).split(",") if n]
                out[op.get_friendly_name()] = names
    except Exception:  # noqa: BLE001 - a device without a runtime model: no mapping, the op types stay OpenVINO's
        return {}
    return out


def perf_counts(request: Any) -> list[PerfCount]:
    """InferRequest.get_profiling_info() of the last inference as plain data (seconds)."""
    return [PerfCount(p.node_name, p.node_type, p.exec_type, p.status.name, p.real_time.total_seconds(),
                      p.cpu_time.total_seconds()) for p in request.get_profiling_info()]


def _mode_options(settings: SessionSettings) -> dict[str, str]:
    """Throughput mode: the THROUGHPUT hint (as benchmark_app -hint throughput), sized for --requests when given."""
    if not settings.throughput:
        return {}
    options = {"PERFORMANCE_HINT": "THROUGHPUT"}
    if settings.requests:
        options["PERFORMANCE_HINT_NUM_REQUESTS"] = str(settings.requests)
    return options


def _compile(model: Any, device: str, config: dict[str, str]) -> Any:
    try:
        return core().compile_model(model, device, config)
    except MemoryError:  # out of memory is a runtime failure (exit 1), not bad input
        raise
    except Exception as exc:  # noqa: BLE001
        message = str(exc)
        if match := _UNSUPPORTED_PROP.search(message):
            raise UserError(f"--ep-option {match.group(1)} is not a property of the OpenVINO "
                            f"{match.group(2)} plugin.", hint="Use OpenVINO property names, "
                            "e.g. INFERENCE_PRECISION_HINT=f32 or PERFORMANCE_HINT=THROUGHPUT.") from None
        if match := _WRONG_VALUE.search(message):
            expected = message[message.find("Expected"):].strip() if "Expected" in message else ""
            raise UserError(f"--ep-option {match.group(2)}={match.group(1)} is not a valid value.",
                            hint=_last_line(expected) if expected else "") from None
        raise UserError(f"OpenVINO could not compile the model for {device}: {_last_line(message)}") from None


def _execution_devices(compiled: Any, fallback: str) -> list[str]:
    try:
        devices = compiled.get_property("EXECUTION_DEVICES")
    except Exception:  # noqa: BLE001
        return [fallback]
    return [str(d) for d in devices] or [fallback]


def _runtime_ops(compiled: Any) -> list[dict[str, str]]:
    ops = []
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        ops.append({key: info[key].astype(str) for key in ("layerType", "runtimePrecision") if key in info})
    return [op for op in ops if op.get("layerType") not in NON_COMPUTE_LAYERS]


def _precision(compiled: Any) -> str:
    try:
        hint = ov_precision_name(str(compiled.get_property("INFERENCE_PRECISION_HINT")))
    except Exception:  # noqa: BLE001 - some devices do not report it
        hint = "device default"
    ops = _runtime_ops(compiled)
    histogram = Counter(op.get("runtimePrecision", "?") for op in ops)
    if not histogram:
        return hint
    quantised = any(op.get("layerType") in MATMUL_LAYERS and op.get("runtimePrecision") in INT8 for op in ops)
    label = f"int8 + {hint}" if quantised else hint
    runtime = ", ".join(f"{p} {n}" for p, n in histogram.most_common())
    return f"{label}{fmt.RUNTIME_OPS_SUFFIX}{runtime})"


def _placement(compiled: Any, device: str) -> Placement:
    total = len(_runtime_ops(compiled))
    devices = _execution_devices(compiled, device)
    # HETERO/AUTO may split a model; per-op devices are not reported, so a split is one bucket.
    key = devices[0] if len(devices) == 1 else "+".join(devices)
    return Placement(total_nodes=total, nodes_by_provider={key: total}, accelerator=device,
                     source="openvino runtime model", subgraphs=1 if total else 0)


def _listing(folder: str | None) -> set[str]:
    if not folder:
        return set()
    path = Path(folder).expanduser()
    return {p.name for p in path.iterdir()} if path.is_dir() else set()


def _cache_state(compiled: Any, folder: str | None, before: set[str]) -> str:
    if not folder:
        return "n/a"
    try:
        return "hit" if compiled.get_property("LOADED_FROM_CACHE") else "miss"
    except Exception:  # noqa: BLE001 - older OpenVINO: compare the folder instead
        after = _listing(folder)
        return "miss" if after - before or not after else "hit"
