"""ONNX Runtime target discovery: plugin EPs, EP devices, legacy providers, absentees.

Plugin EP packages (onnxruntime-qnn, onnxruntime-ep-openvino, ...) are
registered once per process; `ort.get_ep_devices()` then lists one OrtEpDevice
per (EP, hardware device). Providers compiled into the wheel (DirectML, CUDA,
TensorRT, VitisAI) come from `get_available_providers()` when they expose no
EP device. Well-known targets missing here are listed as unavailable with the
reason and the fix, so users learn what they could run elsewhere.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import re
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from app.common.cpuinfo import cpu_model_name
from app.common.targets import UNAVAILABLE, Target
from app.engines import ep_packages, hostinfo, ort_policy, winml
from app.engines.ort_errors import clean
from app.engines.ort_options import CPU, OPENVINO, QNN, QNN_DEFAULTS, QNN_FP16, QNN_SOC, qnn_soc

EMULATOR_NOTE = "Qualcomm HTP emulator on x86_64: exercises the QNN path, not for timing"
ENGINE = "onnxruntime"

EP_SHORT = {
    QNN: "qnn", OPENVINO: "openvino", "DmlExecutionProvider": "dml", "CUDAExecutionProvider": "cuda",
    "TensorrtExecutionProvider": "tensorrt", "NvTensorRTRTXExecutionProvider": "trt-rtx",
    "WebGpuExecutionProvider": "webgpu", "VitisAIExecutionProvider": "vitisai",
    "MIGraphXExecutionProvider": "migraphx", "ROCMExecutionProvider": "rocm",
    "CoreMLExecutionProvider": "coreml", "XnnpackExecutionProvider": "xnnpack", "WebNNExecutionProvider": "webnn",
}
# Providers compiled into an ORT wheel: (device type, device slug, default options).
LEGACY = {
    "DmlExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "CUDAExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "TensorrtExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "NvTensorRTRTXExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "MIGraphXExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "ROCMExecutionProvider": ("GPU", "gpu0", {"device_id": "0"}),
    "WebGpuExecutionProvider": ("GPU", "gpu0", {}),
    "VitisAIExecutionProvider": ("NPU", "npu", {}),
    "CoreMLExecutionProvider": ("NPU", "npu", {}),
    "XnnpackExecutionProvider": ("CPU", "cpu", {}),
    OPENVINO: ("CPU", "cpu", {"device_type": "CPU"}),
}
NVIDIA_EPS = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "NvTensorRTRTXExecutionProvider")
KNOWN_PLUGIN_MODULES = ("onnxruntime_qnn", "onnxruntime_ep_openvino")


@dataclass
class PluginPackage:
    """One installed plugin-EP package and how its registration went."""

    dist: str
    module: str
    version: str = ""
    ep_names: list[str] = field(default_factory=list)
    library_path: str = ""
    error: str = ""  # why it could not be imported or registered


_plugins: dict[str, PluginPackage] | None = None
_plugins_lock = threading.Lock()


def plugin_packages(ort: ModuleType) -> dict[str, PluginPackage]:
    """Every installed plugin-EP package, registered with ORT once per process (by dist name)."""
    global _plugins
    with _plugins_lock:
        if _plugins is None:
            _plugins = {p.dist: p for p in (_register(ort, p) for p in _find_plugin_packages())}
        return dict(_plugins)


def _find_plugin_packages() -> list[PluginPackage]:
    found: dict[str, PluginPackage] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name == "onnxruntime-qnn" or name.startswith("onnxruntime-ep-"):
            module = name.replace("-", "_")
            found[name] = PluginPackage(dist=name, module=module, version=dist.version or "")
    return sorted(found.values(), key=lambda p: p.dist)


def _register(ort: ModuleType, package: PluginPackage) -> PluginPackage:
    try:
        module = importlib.import_module(package.module)
        package.ep_names = list(module.get_ep_names())
        package.library_path = str(module.get_library_path())
        package.version = str(getattr(module, "__version__", "") or package.version)
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not hide the others
        package.error = f"cannot import {package.module}: {clean(str(exc))}"
        return package
    if not package.ep_names:
        package.error = f"{package.module} names no execution provider"
        return package
    try:
        # One registration per library; it may create several EP factories.
        ort.register_execution_provider_library(package.ep_names[0], package.library_path)
    except Exception as exc:  # noqa: BLE001
        if "already registered" not in str(exc).lower():
            package.error = f"registering {package.ep_names[0]} failed: {clean(str(exc))}"
    return package


@dataclass
class HostContext:
    """What the absentee reasons depend on."""

    ort_version: str
    providers: list[str]
    plugins: dict[str, PluginPackage]
    cpu_vendor_id: int = 0
    cpu_vendor: str = ""
    ep_names: set[str] = field(default_factory=set)  # EPs that offered at least one device

    def plugin_for(self, ep_name: str) -> PluginPackage | None:
        return next((p for p in self.plugins.values() if ep_name in p.ep_names), None)


def discover(ort: ModuleType) -> list[Target]:
    """All ONNX Runtime targets on this machine, ready first, then the unavailable ones."""
    plugins = plugin_packages(ort)
    devices = list(ort.get_ep_devices()) if hasattr(ort, "get_ep_devices") else []
    ctx = HostContext(ort_version=ort.__version__, providers=list(ort.get_available_providers()), plugins=plugins)
    targets = _device_targets(devices, ctx)
    targets += _legacy_targets(ctx, {t.provider for t in targets})
    if not any(t.id == "ort/cpu" for t in targets):
        targets.insert(0, _target("ort/cpu", CPU, "CPU", ctx, vendor=ctx.cpu_vendor,
                                  device_name=cpu_model_name()))
    present = {t.id for t in targets}
    targets += [t for t in _absent_targets(ctx) if t.id not in present]
    targets += winml.current().targets(ort)
    targets += ort_policy.policy_targets(ort, targets)
    brought = {ep: f"{p.dist} {p.version}".strip() for p in plugins.values() if not p.error for ep in p.ep_names}
    return ep_packages.annotate(targets, brought)


def _target(target_id: str, provider: str, device_type: str, ctx: HostContext, **fields: Any) -> Target:
    return Target(id=target_id, engine=ENGINE, provider=provider, device_type=device_type,
                  runtime_version=ctx.ort_version, **fields)


def ep_short(ep_name: str) -> str:
    if ep_name in EP_SHORT:
        return EP_SHORT[ep_name]
    base = re.sub(r"ExecutionProvider$", "", ep_name)
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "ep"


def _device_targets(devices: list[Any], ctx: HostContext) -> list[Target]:
    targets: list[Target] = []
    ordinals: dict[tuple[str, str], int] = {}
    for index, dev in enumerate(devices):
        if "." in dev.ep_name:  # meta-device factories (OpenVINO AUTO): not a device of their own
            continue
        dtype = dev.device.type.name
        key = (dev.ep_name, dtype)
        ordinal = ordinals.get(key, 0)
        ordinals[key] = ordinal + 1
        if dev.ep_name == CPU and dtype == "CPU":
            ctx.cpu_vendor_id, ctx.cpu_vendor = int(dev.device.vendor_id), str(dev.device.vendor)
        targets.append(_device_target(dev, index, ordinal, ctx))
        ctx.ep_names.add(dev.ep_name)
    return _dedupe(targets)


def _device_target(dev: Any, index: int, ordinal: int, ctx: HostContext) -> Target:
    ep, hw = dev.ep_name, dev.device
    dtype = hw.type.name
    ep_meta, hw_meta = dict(dev.ep_metadata), dict(hw.metadata)
    plugin = ctx.plugin_for(ep)
    target = _target(_device_id(ep, dtype, ordinal, ep_meta), ep, dtype, ctx,
                     vendor=hostinfo.vendor_name(int(hw.vendor_id), str(hw.vendor)),
                     device_name=_device_name(dtype, hw_meta, hw),
                     ep_version=(plugin.version if plugin else "") or ep_meta.get("version", ""))
    target.details = {"ep_name": ep, "ep_vendor": str(dev.ep_vendor), "ep_device_index": str(index),
                      "ep_device_ordinal": str(ordinal), "vendor_id": f"0x{int(hw.vendor_id):04x}",
                      "device_id": f"0x{int(hw.device_id):04x}", "selection": "ep_device"}
    target.details.update({f"ep.{k}": str(v) for k, v in ep_meta.items()})
    target.details.update({f"device.{k}": str(v) for k, v in hw_meta.items()})
    if "LUID" in hw_meta:
        target.details["luid"] = str(hw_meta["LUID"])
    if ep == QNN:
        _qnn_defaults(target, dtype)
    return target


def _device_id(ep: str, dtype: str, ordinal: int, ep_meta: dict[str, str]) -> str:
    if ep == CPU:
        return "ort/cpu" if ordinal == 0 else f"ort/cpu{ordinal}"
    short = ep_short(ep)
    if ep == QNN:
        slug = {"NPU": "npu", "GPU": "gpu"}.get(dtype, "htp-emulator" if hostinfo.machine() == "x86_64" else "cpu")
        return f"ort/qnn/{slug}{ordinal or ''}"
    if ep == OPENVINO and ep_meta.get("ov_device"):
        return f"ort/openvino/{ov_device_slug(ep_meta['ov_device'])}"
    return f"ort/{short}/{dtype.lower()}{ordinal}"


def ov_device_slug(device: str) -> str:
    """OpenVINO device name -> id part: 'GPU.0' -> 'gpu', 'GPU.1' -> 'gpu.1', 'NPU' -> 'npu'."""
    return device.lower().removesuffix(".0")


def _device_name(dtype: str, hw_meta: dict[str, str], hw: Any) -> str:
    if dtype == "CPU":
        return cpu_model_name() or str(hw.vendor)
    for key in ("Description", "DeviceDescription", "Name"):
        if hw_meta.get(key):
            return str(hw_meta[key])
    return f"{hw.vendor} {dtype} 0x{int(hw.device_id):04x}".strip()


def _qnn_defaults(target: Target, dtype: str) -> None:
    if dtype == "NPU":
        target.default_options = dict(QNN_DEFAULTS)
        _qnn_fp16(target, cpu_model_name(), emulated=False)
    elif dtype == "GPU":
        target.default_options = {"backend_type": "gpu"}
    elif hostinfo.machine() == "x86_64":
        # On x86_64 the "CPU" device of the QNN EP is Qualcomm's HTP simulator.
        target.default_options = dict(QNN_DEFAULTS)
        target.emulated = True
        target.reason = EMULATOR_NOTE
        target.device_name = f"Hexagon HTP emulator on {target.device_name}".strip()
        _qnn_fp16(target, "", emulated=True)
    else:
        target.default_options = {"backend_type": "cpu"}


def _qnn_fp16(target: Target, cpu_name: str, emulated: bool) -> None:
    """Float graphs in fp16 on the HTP by default: the SoC from the CPU name (the emulator: a stated one)."""
    soc = qnn_soc(cpu_name, emulated)
    if soc is None:
        target.details["qnn_soc"] = ("unknown SoC: float models run in fp32 unless --ep-option "
                                     "enable_htp_fp16_precision=1 and soc_model=N are given")
        return
    target.default_options.update({QNN_FP16: "1", QNN_SOC: soc[0]})
    target.details["qnn_soc"] = soc[1]


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: dict[str, int] = {}
    for t in targets:
        if t.id in seen:
            seen[t.id] += 1
            t.id = f"{t.id}-{seen[t.id]}"
        else:
            seen[t.id] = 1
    return targets


def _legacy_targets(ctx: HostContext, covered: set[str]) -> list[Target]:
    targets = []
    for provider in ctx.providers:
        if provider in covered or (provider not in LEGACY and provider != QNN):
            continue
        targets.append(_legacy_target(provider, ctx))
    return targets


def _legacy_target(provider: str, ctx: HostContext) -> Target:
    if provider == QNN:  # the pre-plugin onnxruntime-qnn 1.x wheel
        emulated = hostinfo.machine() == "x86_64"
        dtype, slug, options = ("CPU" if emulated else "NPU"), ("htp-emulator" if emulated else "npu"), QNN_DEFAULTS
    else:
        dtype, slug, options = LEGACY[provider]
    target = _target(f"ort/{ep_short(provider)}/{slug}", provider, dtype, ctx,
                     default_options=dict(options), details={"selection": "legacy"},
                     reason="compiled into this onnxruntime build; the device is checked when a session opens")
    if provider == QNN and dtype == "CPU":
        target.emulated, target.reason = True, EMULATOR_NOTE
    if provider == QNN:
        _qnn_fp16(target, "" if target.emulated else cpu_model_name(), emulated=target.emulated)
    if provider in NVIDIA_EPS:
        target.vendor = "NVIDIA"
        if not hostinfo.has_nvidia_gpu():
            target.status, target.reason = UNAVAILABLE, "no NVIDIA GPU or driver found"
            target.fix = "Run on a machine with an NVIDIA GPU and its driver."
    return target


def _absent_targets(ctx: HostContext) -> list[Target]:
    """Well-known targets, unavailable here, each with why and the fix."""
    out = [_absent_qnn_npu(ctx)]
    if hostinfo.machine() == "x86_64":
        out.append(_absent_qnn_emulator(ctx))
    out += [_absent_openvino(ctx, dtype) for dtype in ("CPU", "GPU", "NPU")]
    out += [_absent_dml(ctx), _absent_nvidia(ctx, "CUDAExecutionProvider", "ort/cuda/gpu0"),
            _absent_nvidia(ctx, "TensorrtExecutionProvider", "ort/tensorrt/gpu0"), _absent_trt_rtx(ctx),
            _absent_vitisai(ctx)]
    return out


def _unavailable(target_id: str, provider: str, dtype: str, ctx: HostContext, reason: str, fix: str,
                 **fields: Any) -> Target:
    return _target(target_id, provider, dtype, ctx, status=UNAVAILABLE, reason=reason, fix=fix, **fields)


def _absent_qnn_npu(ctx: HostContext) -> Target:
    plugin = ctx.plugin_for(QNN) or ctx.plugins.get("onnxruntime-qnn")
    if not hostinfo.is_windows_arm64():
        where = f"{hostinfo.os_name()} {hostinfo.machine()}"
        reason = f"the Hexagon NPU is on Snapdragon (Windows on ARM64) PCs; this is {where}"
        fix = "Run on a Snapdragon X PC with `pip install onnxruntime-qnn`" + (
            "; here ort/qnn/htp-emulator exercises the QNN path." if hostinfo.machine() == "x86_64" else ".")
    elif plugin is None:
        reason, fix = "onnxruntime-qnn is not installed", "pip install onnxruntime-qnn"
    elif plugin.error:
        reason, fix = plugin.error, "pip install --force-reinstall onnxruntime-qnn"
    else:
        reason, fix = "the QNN EP found no Hexagon NPU", "Install or update the Qualcomm Hexagon NPU driver."
    return _unavailable("ort/qnn/npu", QNN, "NPU", ctx, reason, fix, vendor="Qualcomm",
                        default_options=dict(QNN_DEFAULTS))


def _absent_qnn_emulator(ctx: HostContext) -> Target:
    plugin = ctx.plugins.get("onnxruntime-qnn")
    if plugin is None:
        reason, fix = "onnxruntime-qnn is not installed", "pip install onnxruntime-qnn"
    elif plugin.error:
        reason, fix = plugin.error, "pip install --force-reinstall onnxruntime-qnn"
    else:
        reason, fix = "the QNN EP offered no CPU (HTP emulator) device", "pip install --upgrade onnxruntime-qnn"
    return _unavailable("ort/qnn/htp-emulator", QNN, "CPU", ctx, reason, fix, emulated=True,
                        default_options=dict(QNN_DEFAULTS))


def _absent_openvino(ctx: HostContext, dtype: str) -> Target:
    plugin = ctx.plugins.get("onnxruntime-ep-openvino")
    target_id = f"ort/openvino/{dtype.lower()}"
    if plugin is None:
        reason, fix = "onnxruntime-ep-openvino is not installed", "pip install onnxruntime-ep-openvino"
    elif plugin.error:
        reason, fix = plugin.error, "pip install --force-reinstall onnxruntime-ep-openvino"
    elif dtype == "CPU" and ctx.cpu_vendor_id and ctx.cpu_vendor_id != hostinfo.INTEL_VENDOR_ID:
        vendor = hostinfo.vendor_name(ctx.cpu_vendor_id, ctx.cpu_vendor)
        reason = (f"the OpenVINO EP plugin only offers Intel devices; this CPU is {vendor} "
                  f"(vendor 0x{ctx.cpu_vendor_id:04x})")
        fix = "Use ov/cpu (native OpenVINO) on this CPU, or run on an Intel machine."
    elif dtype == "CPU":
        reason, fix = "the OpenVINO EP plugin offered no CPU device", "pip install --upgrade onnxruntime-ep-openvino"
    else:
        what = "Intel GPU (Arc / Iris Xe)" if dtype == "GPU" else "Intel NPU (Core Ultra AI Boost)"
        reason = f"no {what} found by ONNX Runtime"
        fix = f"Run on a PC with an {what} and its driver."
    return _unavailable(target_id, OPENVINO, dtype, ctx, reason, fix, vendor="Intel")


def _absent_dml(ctx: HostContext) -> Target:
    if hostinfo.os_name() != "Windows":
        reason = f"DirectML is Windows-only; this is {hostinfo.os_name()}"
        fix = "Run on Windows with `pip install onnxruntime-directml`."
    else:
        reason = "this onnxruntime build has no DirectML EP"
        fix = "pip install onnxruntime-directml (it replaces onnxruntime)"
    return _unavailable("ort/dml/gpu0", "DmlExecutionProvider", "GPU", ctx, reason, fix)


def _absent_nvidia(ctx: HostContext, provider: str, target_id: str) -> Target:
    why = []
    if provider not in ctx.providers and provider not in ctx.ep_names:
        why.append("onnxruntime-gpu is not installed")
    if not hostinfo.has_nvidia_gpu():
        why.append("no NVIDIA GPU found")
    reason = " and ".join(why) or f"{provider} offered no device"
    fix = "pip install onnxruntime-gpu (it replaces onnxruntime) on a machine with an NVIDIA GPU and CUDA 12"
    if provider == "TensorrtExecutionProvider":
        fix += " plus TensorRT"
    return _unavailable(target_id, provider, "GPU", ctx, reason, fix, vendor="NVIDIA")


def _absent_trt_rtx(ctx: HostContext) -> Target:
    """The TensorRT-RTX plugin EP (RTX GPUs, Windows and Linux)."""
    plugin = ctx.plugin_for("NvTensorRTRTXExecutionProvider") or next(
        (p for d, p in ctx.plugins.items() if d.startswith("onnxruntime-ep-nv-tensorrt-rtx")), None)
    if plugin is not None and plugin.error:
        reason, fix = plugin.error, f"pip install --force-reinstall {plugin.dist}"
    elif plugin is None:
        reason = "onnxruntime-ep-nv-tensorrt-rtx is not installed" + (
            "" if hostinfo.has_nvidia_gpu() else " and no NVIDIA GPU found")
        fix = "pip install onnxruntime-ep-nv-tensorrt-rtx on a PC with an NVIDIA RTX GPU and its driver"
    else:
        reason, fix = "the TensorRT-RTX EP found no NVIDIA RTX GPU", "Install or update the NVIDIA driver."
    return _unavailable("ort/trt-rtx/gpu0", "NvTensorRTRTXExecutionProvider", "GPU", ctx, reason, fix, vendor="NVIDIA")


def _absent_vitisai(ctx: HostContext) -> Target:
    return _unavailable("ort/vitisai/npu", "VitisAIExecutionProvider", "NPU", ctx,
                        "needs an AMD Ryzen AI NPU (XDNA) and the Ryzen AI Software's onnxruntime build",
                        "Install AMD Ryzen AI Software on a Ryzen AI PC (Windows).", vendor="AMD")
