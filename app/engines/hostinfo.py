"""Small facts about the host that target discovery needs (no runtime imports).

The CPU's marketing name is what users recognise ("AMD EPYC 7763 64-Core
Processor", "Intel(R) Core(TM) Ultra 7 155H"); runtimes often report less.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import sys
from pathlib import Path

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


@functools.lru_cache(maxsize=1)
def cpu_model_name() -> str:
    """The CPU's full model name, or '' when the platform does not say."""
    name = _cpu_name_linux() if sys.platform.startswith("linux") else ""
    if not name and sys.platform == "win32":
        name = _cpu_name_windows()
    return name or platform.processor() or ""


def _cpu_name_linux(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return ""
    return parse_cpuinfo_model(text)


def parse_cpuinfo_model(text: str) -> str:
    """First 'model name' (x86) or 'Hardware'/'Model' (ARM) line of /proc/cpuinfo."""
    for key in ("model name", "hardware", "model"):
        for line in text.splitlines():
            left, sep, right = line.partition(":")
            if sep and left.strip().lower() == key and right.strip():
                return " ".join(right.split())
    return ""


def _cpu_name_windows() -> str:
    try:
        import winreg  # noqa: PLC0415 - Windows only

        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0")
        value, _ = winreg.QueryValueEx(key, "ProcessorNameString")
        return " ".join(str(value).split())
    except OSError:
        return ""


def vendor_name(vendor_id: int, fallback: str = "") -> str:
    return VENDOR_IDS.get(vendor_id, fallback or f"vendor 0x{vendor_id:04x}")


@functools.lru_cache(maxsize=1)
def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (Linux proc node) or nvidia-smi is on PATH."""
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None
