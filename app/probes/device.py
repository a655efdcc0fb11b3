"""DeviceInfo: one compute device of this machine and what can be read about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.probes.model import CATEGORIES


@dataclass
class MetricCapability:
    status: str  # ok / unsupported / denied / error / stale
    reason: str = ""  # why not ok (or a note)
    source: str = ""  # where it is read from
    fix: str = ""  # the exact command / rule that makes a denied metric readable

    @property
    def readable(self) -> bool:
        return self.status == "ok"


@dataclass
class DeviceInfo:
    key: str  # "cpu", "pci:0000:00:0b.0", "luid:0x00000000_0x000095CA", "system"
    kind: str  # CPU / GPU / NPU / SYSTEM
    vendor: str
    name: str
    driver: str = ""
    driver_version: str = ""
    vendor_id: str = ""  # "0x8086" (or "QCOM" for ACPI devices)
    device_id: str = ""  # "0x7D1D"
    bus: str = ""  # PCI address "0000:00:0b.0"
    luid: str = ""  # Windows adapter LUID "0x00000000_0x000095CA"
    aliases: list[str] = field(default_factory=list)  # other sample keys that belong here
    power_state: str = ""  # Linux runtime PM: active / suspended
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, MetricCapability] = field(default_factory=dict)  # category -> capability

    @property
    def keys(self) -> list[str]:
        return [self.key, *self.aliases]

    def capability(self, category: str) -> MetricCapability:
        return self.metrics.get(category, MetricCapability("unsupported", "not probed"))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["metrics"] = {c: asdict(self.capability(c)) for c in CATEGORIES}
        return d
