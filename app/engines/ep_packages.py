"""Which package brings each target's EP: `details["package"]` on every target row.

A ready target names the installed distribution (and version) that provides its EP:
the plugin-EP package (onnxruntime-qnn, onnxruntime-ep-openvino,
onnxruntime-ep-nv-tensorrt-rtx, ...), the onnxruntime build that compiled it in
(onnxruntime, onnxruntime-directml, onnxruntime-gpu, ...), windowsml for the Windows ML
catalog's EPs, openvino for native OpenVINO. An unavailable target names the package
that would bring it.
"""

from __future__ import annotations

import importlib.metadata as metadata
from functools import lru_cache

from app.common.targets import Target

# EP -> the pip package that brings it when it is not installed here.
WOULD_BRING = {
    "CPUExecutionProvider": "onnxruntime",
    "QNNExecutionProvider": "onnxruntime-qnn",
    "OpenVINOExecutionProvider": "onnxruntime-ep-openvino",
    "DmlExecutionProvider": "onnxruntime-directml",
    "CUDAExecutionProvider": "onnxruntime-gpu",
    "TensorrtExecutionProvider": "onnxruntime-gpu",
    "NvTensorRTRTXExecutionProvider": "onnxruntime-ep-nv-tensorrt-rtx",
    "MIGraphXExecutionProvider": "onnxruntime-migraphx",
    "ROCMExecutionProvider": "onnxruntime-rocm",
    "WebGpuExecutionProvider": "onnxruntime-ep-webgpu",
    "VitisAIExecutionProvider": "AMD Ryzen AI Software (its onnxruntime build)",
    "CoreMLExecutionProvider": "onnxruntime",
    "XnnpackExecutionProvider": "onnxruntime",
}


@lru_cache(maxsize=8)
def installed(module: str) -> str:
    """'onnxruntime-directml 1.24.4': the distribution that provides importable `module` ('' if none)."""
    names = metadata.packages_distributions().get(module, [])
    for name in names:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return ""


def package_for(target: Target, plugin: str = "") -> str:
    """What brings `target`'s EP: `plugin` ('onnxruntime-qnn 2.7.0') when a plugin package provides it."""
    if plugin:
        return plugin
    if target.engine == "openvino":
        return installed("openvino") or "openvino"
    if target.details.get("selection") == "policy":
        return installed("onnxruntime") or "onnxruntime"
    library = target.details.get("ep.library_path", "")
    if target.ready and library:  # a plugin library no installed package claims (registered by hand)
        return f"plugin EP library {library}"
    if target.ready:
        return installed("onnxruntime") or "onnxruntime"
    return WOULD_BRING.get(target.provider, "")


def annotate(targets: list[Target], plugins: dict[str, str]) -> list[Target]:
    """Fill details["package"] where discovery left it empty; `plugins`: EP name -> 'dist version'."""
    for target in targets:
        if not target.details.get("package"):
            target.details["package"] = package_for(target, plugins.get(target.provider, ""))
    return targets
