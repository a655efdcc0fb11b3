"""ONNX Runtime's compiled-model compatibility check, run in a child process.

`get_model_compatibility_for_ep_devices` calls into the EP's own validation, and
the QNN plugin (onnxruntime-qnn 2.7) crashes the process there once a QNN session
has existed in it (segfault, seen on the x86_64 emulator); before any session it
answers. So the check runs in this process only while no session has been opened
in it (a run's worker: the check comes first), else in a short-lived child, where a
crash costs one line of explanation, never the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TIMEOUT_S = 120.0
UNCHECKED = ""
_state = {"fresh": False, "opened": False}


def fresh_process() -> None:
    """This process has opened no ONNX Runtime session yet (a run's worker says so when it starts)."""
    _state["fresh"] = True


def session_opened() -> None:
    _state["opened"] = True


def safe_in_process() -> bool:
    """The check may run here: a fresh process, and no session opened in it since."""
    return _state["fresh"] and not _state["opened"]


def compatibility(path: str, eps: list[str], isolated: bool = True) -> tuple[str, str]:
    """(OrtCompiledModelCompatibility name, "") or ("", why there is no verdict); `isolated`: in a child process."""
    if not isolated:
        return check_here(path, eps)
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    try:
        proc = subprocess.run([sys.executable, "-m", "app.engines.ort_compat", path, *eps], capture_output=True,
                              text=True, timeout=TIMEOUT_S, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return UNCHECKED, f"the compatibility check did not finish ({type(exc).__name__})"
    answer = next((line for line in reversed(proc.stdout.splitlines()) if line.startswith("[")), None)
    if proc.returncode != 0 or answer is None:
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
        return UNCHECKED, f"the EP's compatibility check did not answer ({how}, in a separate process)"
    try:
        status, why = json.loads(answer)
    except ValueError:
        return UNCHECKED, "the compatibility check gave no answer"
    return str(status), str(why)


def check_here(path: str, eps: list[str]) -> tuple[str, str]:
    """The check in this process (the child's side)."""
    try:
        import onnxruntime as ort  # noqa: PLC0415
        import onnxruntime.capi._pybind_state as capi  # noqa: PLC0415
    except ImportError:
        return UNCHECKED, "onnxruntime is not installed"
    if not hasattr(capi, "get_model_compatibility_for_ep_devices"):
        return UNCHECKED, "this onnxruntime has no compiled-model compatibility check (needs >= 1.23)"
    from app.engines.ort_discovery import plugin_packages  # noqa: PLC0415
    from app.engines.ort_errors import clean  # noqa: PLC0415

    plugin_packages(ort)
    devices = [d for d in ort.get_ep_devices() if d.ep_name in eps]
    if not devices:
        return UNCHECKED, f"no device of {', '.join(eps)} here to check against"
    for ep in eps:
        info = capi.get_compatibility_info_from_model(path, ep)
        if not info:
            continue
        try:
            return str(capi.get_model_compatibility_for_ep_devices(devices, info).name), ""
        except Exception as exc:  # noqa: BLE001 - the EP refused to judge: say why rather than guess
            return UNCHECKED, f"{ep} could not check it: {clean(str(exc))}"
    return UNCHECKED, "the model carries no ONNX Runtime compatibility info"


if __name__ == "__main__":
    status, why = check_here(sys.argv[1], sys.argv[2:])
    print(json.dumps([status, why]), flush=True)
