"""Small facts about the host that target discovery needs (no runtime imports).

The CPU's marketing name comes from app.common.cpuinfo (the app's one
/proc/cpuinfo parser, shared with the device inventory and the run record).
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import sys

# PCI vendor ids as ONNX Runtime reports them on OrtHardwareDevice.vendor_id.
VENDOR_IDS = {0x8086: "Intel", 0x1022: "AMD", 0x1002: "AMD", 0x10DE: "NVIDIA", 0x5143: "Qualcomm",
              0x4D4F4351: "Qualcomm", 0x1414: "Microsoft"}
INTEL_VENDOR_ID = 0x8086


def os_name() -> str:
    """'Linux', 'Windows' or 'macOS' (what a reason sentence should say)."""
    return {"linux": "Linux", "win32": "Windows", "darwin": "macOS"}.get(sys.platform, sys.platform)


def machine() -> str:
    """Normalised CPU architecture: 'x86_64' or 'arm64'."""
    m = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(m, m)


def is_windows_arm64() -> bool:
    return sys.platform == "win32" and machine() == "arm64"


def vendor_name(vendor_id: int, fallback: str = "") -> str:
    return VENDOR_IDS.get(vendor_id, fallback or f"vendor 0x{vendor_id:04x}")


@functools.lru_cache(maxsize=1)
def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (Linux proc node) or nvidia-smi is on PATH."""
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None
