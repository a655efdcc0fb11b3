"""The CPU's vendor and marketing name: the one /proc/cpuinfo parser of the app.

Target discovery (app.engines.hostinfo, ort_discovery, openvino_engine), the
device inventory (app.probes.inventory_linux) and the run record's host section
(app.run.host) all take the CPU name from here, so they agree. The marketing
name is what users recognise ("AMD EPYC 7763 64-Core Processor", "Intel(R)
Core(TM) Ultra 7 155H"); runtimes often report less.

Standard library only (app.common imports nothing else).
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from pathlib import Path
from typing import NamedTuple

# /proc/cpuinfo `vendor_id` (x86) or `CPU implementer` (Arm) -> vendor.
CPU_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "0x51": "Qualcomm", "0x41": "Arm"}
# Where the name is, best first: x86 `model name`; Arm `Hardware` (SoC), 32-bit Arm
# `Processor`, Raspberry Pi style `Model`. Exact case: x86 also has `processor` (the
# CPU number) and `model` (a family-model number), which are not names.
_NAME_KEYS = ("model name", "Hardware", "Processor", "Model")


class CpuInfo(NamedTuple):
    vendor: str  # "Intel", "AMD", "Qualcomm", "Arm", the raw vendor_id, or ""
    name: str  # the marketing name, whitespace collapsed, or ""


def parse_cpuinfo(text: str) -> CpuInfo:
    """(vendor, model name) from the text of /proc/cpuinfo; ('', '') when it says neither."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip(), " ".join(value.split())
        if sep and value and key not in fields:  # the first CPU's value
            fields[key] = value
    raw_vendor = fields.get("vendor_id", "")
    vendor = CPU_VENDORS.get(raw_vendor or fields.get("CPU implementer", ""), "") or raw_vendor
    return CpuInfo(vendor, next((fields[k] for k in _NAME_KEYS if k in fields), ""))


def read_cpuinfo(root: str | os.PathLike = "/") -> CpuInfo:
    """parse_cpuinfo of <root>/proc/cpuinfo; ('', '') when it cannot be read (not Linux)."""
    try:
        text = (Path(root) / "proc" / "cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuInfo("", "")
    return parse_cpuinfo(text)


@functools.lru_cache(maxsize=1)
def cpu_model_name() -> str:
    """This machine's CPU name: /proc/cpuinfo (Linux), the registry (Windows), else platform.processor()."""
    name = read_cpuinfo().name if sys.platform.startswith("linux") else ""
    if not name and sys.platform == "win32":
        name = _windows_cpu_name()
    return name or platform.processor() or ""


def _windows_cpu_name() -> str:
    try:
        import winreg  # noqa: PLC0415 - Windows only

        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0")
        value, _ = winreg.QueryValueEx(key, "ProcessorNameString")
        return " ".join(str(value).split())
    except OSError:
        return ""
