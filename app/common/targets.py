"""Targets: where a model can run (engine x execution provider x device).

A target id is stable and readable, e.g. `ort/cpu`, `ort/qnn/npu`,
`ort/qnn/htp-emulator`, `ort/openvino/cpu`, `ort/dml/gpu0`, `ov/cpu`, `ov/npu`.
Engines (app.engines.*) discover them; this module only holds the data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

READY = "ready"
UNAVAILABLE = "unavailable"
POLICY_DEVICE_TYPE = "AUTO"  # the device type of ort/auto/* targets: the policy picks the device


@dataclass
class Target:
    id: str
    engine: str  # "onnxruntime" | "openvino"
    provider: str  # ORT EP name ("QNNExecutionProvider") or OpenVINO device ("CPU")
    device_type: str  # "CPU" | "GPU" | "NPU"
    vendor: str = ""
    device_name: str = ""
    runtime_version: str = ""
    ep_version: str = ""
    status: str = READY  # READY or UNAVAILABLE
    reason: str = ""  # why not ready, or a note ("x86_64 HTP emulator: not for timing")
    fix: str = ""  # what to do to make it ready (install command, driver)
    emulated: bool = False
    default_options: dict[str, str] = field(default_factory=dict)
    # Engine-private facts needed to open a session (EP-device index, LUID, ...).
    details: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.status == READY

    @property
    def is_policy(self) -> bool:
        """An ONNX Runtime device policy (ort/auto/*): it picks one of the other targets when the session opens."""
        return self.device_type == POLICY_DEVICE_TYPE

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Target:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
