"""ONNX Runtime's automatic EP selection: one target per device policy (`ort/auto/prefer-npu`, ...).

A policy target opens its session with `SessionOptions.set_provider_selection_policy`:
ONNX Runtime picks among the EP devices registered in this process (plugin EPs
included) and appends its own CPU EP as the fallback. What it chose is read back
from the session (its providers and the graph-assignment info), never predicted.
EP options reach whichever EP it picks as session config entries
`ep.<ep name in lower case>.<key>`; on the command line they are given as
`--ep-option qnn.htp_performance_mode=balanced`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from app.common.errors import TargetError, UserError
from app.common.targets import POLICY_DEVICE_TYPE, UNAVAILABLE, Target
from app.engines.base import Placement, PolicyChoice
from app.engines.ort_options import CPU, validate

PREFIX = "ort/auto/"
SELECTION = "policy"
PROVIDER = "auto"
DEVICE_TYPE = POLICY_DEVICE_TYPE
# Policy members as of ONNX Runtime 1.32, for messages when onnxruntime cannot be imported.
KNOWN = ("DEFAULT", "PREFER_CPU", "PREFER_NPU", "PREFER_GPU", "MAX_PERFORMANCE", "MAX_EFFICIENCY", "MIN_OVERALL_POWER")
# The device type each policy looks for first (ONNX Runtime 1.32 provider_policy_context.cc:
# MAX_EFFICIENCY and MIN_OVERALL_POWER select like PREFER_NPU, MAX_PERFORMANCE like PREFER_GPU).
WANTS = {"PREFER_NPU": "NPU", "MAX_EFFICIENCY": "NPU", "MIN_OVERALL_POWER": "NPU",
         "PREFER_GPU": "GPU", "MAX_PERFORMANCE": "GPU", "PREFER_CPU": "CPU", "DEFAULT": "CPU"}


def slug(policy: str) -> str:
    """'PREFER_NPU' -> 'prefer-npu'."""
    return policy.lower().replace("_", "-")


def policy_names(ort: ModuleType | None) -> list[str]:
    enum = getattr(ort, "OrtExecutionProviderDevicePolicy", None)
    return list(enum.__members__) if enum is not None else list(KNOWN)


def supported(ort: ModuleType) -> bool:
    return hasattr(ort, "OrtExecutionProviderDevicePolicy") and hasattr(
        getattr(ort, "SessionOptions", None), "set_provider_selection_policy")


def config_key(ep_name: str, key: str) -> str:
    """The session config entry ONNX Runtime reads an EP option from when a policy picks that EP."""
    return f"ep.{ep_name.lower()}.{key}"


def policy_targets(ort: ModuleType, found: list[Target]) -> list[Target]:
    """One target per policy member, listing the EP devices ONNX Runtime can pick among."""
    version = str(getattr(ort, "__version__", ""))
    if not supported(ort):
        return [Target(id=f"{PREFIX}{slug(p)}", engine="onnxruntime", provider=PROVIDER, device_type=DEVICE_TYPE,
                       runtime_version=version, status=UNAVAILABLE,
                       reason=f"onnxruntime {version} has no device-selection policies",
                       fix="pip install --upgrade onnxruntime (>= 1.22)") for p in KNOWN]
    pickable = [t for t in found if t.ready and t.details.get("selection") == "ep_device"]
    devices: dict[str, list[dict[str, Any]]] = {t.provider: [] for t in pickable}
    for t in pickable:
        devices[t.provider].append({"id": t.id, "type": t.device_type, "name": t.device_name or t.vendor,
                                    "emulated": t.emulated, "reason": t.reason if t.emulated else ""})
    options: dict[str, str] = {}
    for t in pickable:  # the defaults of each EP's first device (QNN: backend_type=htp, ...)
        for key, value in t.default_options.items():
            options.setdefault(config_key(t.provider, key), str(value))
    offered = ", ".join(f"{t.provider.removesuffix('ExecutionProvider')} ({t.id})" for t in pickable)
    targets = []
    for name in policy_names(ort):
        reason = f"ONNX Runtime picks among the EP devices {offered or '(none)'}"
        wanted = WANTS.get(name, "")
        if wanted in ("NPU", "GPU") and not any(t.device_type == wanted for t in pickable):
            reason += f"; no EP offers {_a(wanted)} here, so it falls back to a CPU-type device"
        targets.append(Target(id=f"{PREFIX}{slug(name)}", engine="onnxruntime", provider=PROVIDER,
                              device_type=DEVICE_TYPE, runtime_version=version, reason=reason,
                              default_options=dict(options),
                              details={"selection": SELECTION, "policy": name, "ep_devices": json.dumps(devices)}))
    return targets


def _a(device_type: str) -> str:
    return f"an {device_type}" if device_type == "NPU" else f"a {device_type}"


def is_policy(target: Target) -> bool:
    return target.details.get("selection") == SELECTION


def unknown_policy(target_id: str, ort: ModuleType | None) -> TargetError:
    names = ", ".join(f"{PREFIX}{slug(p)}" for p in policy_names(ort))
    return TargetError(f"unknown device policy '{target_id.removeprefix(PREFIX)}' in target '{target_id}'.",
                       hint=f"Policies: {names}.")


def merge_policy_options(target: Target, user: Mapping[str, object]) -> dict[str, str]:
    """The target's per-EP defaults updated with the user's `EP.KEY=VALUE` pairs, as config entries."""
    from app.engines.ort_discovery import EP_SHORT  # noqa: PLC0415 - ort_discovery imports this module

    options = {k: str(v) for k, v in target.default_options.items()}
    by_short = {short: ep for ep, short in EP_SHORT.items()}
    for key, value in user.items():
        short, _, name = str(key).partition(".")
        ep = by_short.get(short.lower())
        if not name or ep is None:
            raise UserError(f"--ep-option {key}: a policy target takes EP options as EP.KEY=VALUE, "
                            f"e.g. qnn.htp_performance_mode=burst.",
                            hint=f"EP prefixes: {', '.join(sorted(by_short))}.")
        text = "1" if value is True else "0" if value is False else str(value)
        validate(ep, {name: text})
        options[config_key(ep, name)] = text
    return options


def apply(so: Any, ort: ModuleType, target: Target, options: Mapping[str, str]) -> None:
    """Set the policy and the EP options on SessionOptions `so`."""
    so.set_provider_selection_policy(getattr(ort.OrtExecutionProviderDevicePolicy, target.details["policy"]))
    for key, value in options.items():
        so.add_session_config_entry(key, value)


def _offered(target: Target) -> dict[str, list[dict[str, Any]]]:
    return json.loads(target.details.get("ep_devices", "{}") or "{}")


def resolved_target(target: Target, providers: list[str]) -> Target:
    """The target as the EP the policy put first: the one device it offers here, when only one."""
    ep = providers[0] if providers else CPU
    offered = _offered(target).get(ep, [])
    resolved = Target.from_dict(target.to_dict())
    resolved.provider = ep
    resolved.device_type = "CPU" if ep == CPU else target.device_type
    resolved.reason = ""
    if len(offered) == 1:
        device = offered[0]
        resolved.device_type, resolved.device_name = device["type"], device["name"]
        resolved.emulated, resolved.reason = bool(device["emulated"]), device["reason"]
    return resolved


def choice(target: Target, providers: list[str], placement: Placement | None) -> PolicyChoice:
    """What the policy picked, from the session's providers; the device when the EP offers only one here."""
    ep = providers[0] if providers else ""
    everything = _offered(target)
    offered = everything.get(ep, [])
    policy = target.details.get("policy", "")
    result = PolicyChoice(policy=policy, ep=ep, fallback=list(providers[1:]), candidates=[d["id"] for d in offered])
    if ep == CPU:
        result.device_type = "CPU"
    if len(offered) == 1:
        result.device_target, result.device_type, result.device_name = (offered[0][k] for k in ("id", "type", "name"))
    if placement is not None and placement.total_nodes:
        result.nodes_on_ep = placement.nodes_by_provider.get(ep, 0)
        result.total_nodes = placement.total_nodes
    wanted = WANTS.get(policy, "")
    if wanted in ("NPU", "GPU") and not any(d["type"] == wanted for rows in everything.values() for d in rows):
        result.note = f"no EP offers {_a(wanted)} here, so {policy} fell back to a CPU-type device"
    return result


def options_for_ep(options: Mapping[str, str], ep: str) -> dict[str, str]:
    """The EP's own options out of the policy's config entries."""
    prefix = config_key(ep, "")
    return {k.removeprefix(prefix): v for k, v in options.items() if k.startswith(prefix)}
