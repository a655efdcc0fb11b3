"""Host facts for the run record: OS, CPU, memory, power source and plan, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform

from app import __version__
from app.common.cpuinfo import cpu_model_name

# Distribution names whose versions matter for reproducing a number.
_DISTRIBUTIONS = (
    "onnxruntime", "onnxruntime-directml", "onnxruntime-gpu", "onnxruntime-qnn", "onnxruntime-ep-openvino",
    "openvino", "onnx", "numpy", "psutil", "nvidia-ml-py",
)


def cpu_name() -> str:
    """The CPU's marketing name (app.common.cpuinfo), else the architecture."""
    return cpu_model_name() or platform.machine()


def power_source() -> dict:
    """AC or battery (and charge) when the OS says; otherwise unknown with a reason."""
    try:
        import psutil

        battery = psutil.sensors_battery()
    except Exception as e:  # psutil raises platform-specific errors here
        return {"source": "unknown", "reason": f"battery query failed: {e.__class__.__name__}"}
    if battery is None:
        return {"source": "AC", "reason": "no battery (desktop, VM or dev kit)"}
    return {"source": "AC" if battery.power_plugged else "battery", "battery_percent": battery.percent}


def power_plan(root: str | os.PathLike = "/") -> dict:
    """{"plan": one line, "saver": bool or None} or {"plan": None, "plan_reason": why}; never raises (it
    runs at every run start). The reading is app.probes.power_source's (imported here, when a run starts).
    """
    try:
        from app.probes.power_source import power_plan_facts

        plan, reason, saver = power_plan_facts(root)
    except Exception as e:  # the record matters more than the plan
        plan, reason, saver = "", f"power plan query failed: {e.__class__.__name__}: {e}", None
    return {"plan": plan, "saver": saver} if plan else {"plan": None, "plan_reason": reason or "not reported"}


def power_info() -> dict:
    """The record's host.power: `source`, `battery_percent` or `reason`, and `plan` or `plan_reason`."""
    return {**power_source(), **power_plan()}


def host_info() -> dict:
    try:
        import psutil

        ram = psutil.virtual_memory().total
        physical = psutil.cpu_count(logical=False)
    except Exception:
        ram, physical = None, None
    return {
        "hostname": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "os_version": platform.version(),
        "machine": platform.machine(),
        "cpu": cpu_name(),
        "logical_cpus": os.cpu_count(),
        "physical_cpus": physical,
        "ram_bytes": ram,
        "python": platform.python_version(),
        "power": power_info(),
    }


def versions() -> dict:
    out = {"aipcprof": __version__}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out
