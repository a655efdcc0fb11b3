"""Every engine's targets in one list, and the engine that runs a target.

Importing this module is cheap: onnxruntime and openvino are imported only
when discovery or a session needs them. Discovery runs once per process
(`refresh=True` reruns it).
"""

from __future__ import annotations

import importlib
import threading

from app.common.errors import TargetError
from app.common.targets import UNAVAILABLE, Target
from app.engines.base import Engine

# engine name -> (module, class, the pip package it needs, the target a missing package hides)
ENGINES = {
    "onnxruntime": ("app.engines.onnxruntime_engine", "OnnxRuntimeEngine", "onnxruntime", "ort/cpu", "CPUExecutionProvider"),
    "openvino": ("app.engines.openvino_engine", "OpenVinoEngine", "openvino", "ov/cpu", "CPU"),
    "onnxruntime-genai": ("app.engines.genai_engine", "GenAIEngine", "onnxruntime-genai", "genai/cpu", "cpu"),
    "openvino-genai": ("app.engines.ov_genai_engine", "OVGenAIEngine", "openvino-genai", "ov-genai/cpu", "CPU"),
}

_lock = threading.RLock()
_targets: list[Target] | None = None
_engines: dict[str, Engine] = {}


def engine(name: str) -> Engine:
    """The engine instance called `name` ("onnxruntime" | "openvino" | "onnxruntime-genai" | "openvino-genai"), created once."""
    with _lock:
        if name not in _engines:
            if name not in ENGINES:
                raise TargetError(f"unknown engine '{name}'.", hint=f"Engines: {', '.join(ENGINES)}.")
            module, cls = ENGINES[name][:2]
            _engines[name] = getattr(importlib.import_module(module), cls)()
        return _engines[name]


def discover_targets(refresh: bool = False) -> list[Target]:
    """All targets of all engines: ready ones first (engine order), then unavailable ones."""
    global _targets
    with _lock:
        if _targets is None or refresh:
            found: list[Target] = []
            for name in ENGINES:
                found += _discover(name)
            _targets = [t for t in found if t.ready] + [t for t in found if not t.ready]
        return [Target.from_dict(t.to_dict()) for t in _targets]  # copies: callers may edit them


def _discover(name: str) -> list[Target]:
    from app.engines.ep_packages import annotate

    try:
        return annotate(engine(name).discover(), {})
    except ImportError as exc:
        _, _, package, target_id, provider = ENGINES[name]
        return [Target(id=target_id, engine=name, provider=provider, device_type="CPU", status=UNAVAILABLE,
                       reason=f"{package} is not installed or does not import ({exc})",
                       fix=f"pip install {package}")]


def find_target(target_id: str) -> Target:
    """The target with this id; TargetError if unknown (listing valid ids) or not ready here."""
    wanted = target_id.strip().lower()
    targets = discover_targets()
    match = next((t for t in targets if t.id.lower() == wanted), None)
    if match is None and wanted.startswith("ort/auto/"):  # a device policy this onnxruntime does not have
        from app.engines.ort_policy import unknown_policy

        raise unknown_policy(target_id, _onnxruntime())
    if match is None:
        ready = [t.id for t in targets if t.ready]
        others = [t.id for t in targets if not t.ready]
        hint = f"Valid targets here: {', '.join(ready)}"
        hint += f" (not available here: {', '.join(others)})." if others else "."
        raise TargetError(f"unknown target '{target_id}'.", hint=hint)
    if not match.ready:
        fix = f"Fix: {match.fix}" if match.fix else ""
        raise TargetError(f"target {match.id} is not available here: {match.reason}.", hint=fix)
    return match


def _onnxruntime():
    try:
        return importlib.import_module("onnxruntime")
    except ImportError:
        return None


def engine_for(target: Target) -> Engine:
    return engine(target.engine)
