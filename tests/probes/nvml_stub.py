"""A stand-in for the `pynvml` module: one GPU whose newer queries raise NotSupported.

Exceptions carry `.value` like pynvml's NVMLError subclasses (3 = NOT_SUPPORTED,
9 = DRIVER_NOT_LOADED, 13 = FUNCTION_NOT_FOUND), which is all the probe looks at.
"""

from __future__ import annotations

from types import SimpleNamespace


class NVMLError(Exception):
    value = 999

    def __init__(self, value: int | None = None) -> None:
        if value is not None:
            self.value = value
        super().__init__(f"NVML error {self.value}")


class NVMLError_NotSupported(NVMLError):  # noqa: N801 - pynvml's name
    value = 3


class NVMLError_FunctionNotFound(NVMLError):  # noqa: N801
    value = 13


class NVMLError_DriverNotLoaded(NVMLError):  # noqa: N801
    value = 9


class StubNvml:
    """Turing-era board: power/energy fields missing, everything else works."""

    def __init__(self, *, init_error: NVMLError | None = None, energy_mj: list[int] | None = None,
                 instant_field_ok: bool = False) -> None:
        self.init_error = init_error
        self.energy = list(energy_mj or [])
        self.instant_field_ok = instant_field_ok
        self.calls: dict[str, int] = {}
        self.shutdown_called = False

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise self.init_error

    def nvmlShutdown(self) -> None:
        self.shutdown_called = True

    def nvmlSystemGetDriverVersion(self) -> bytes:
        return b"550.54.14"

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, i: int) -> str:
        return f"gpu{i}"

    def nvmlDeviceGetName(self, h) -> str:
        return "NVIDIA GeForce RTX 4070 Laptop GPU"

    def nvmlDeviceGetPciInfo(self, h):
        return SimpleNamespace(busId=b"00000000:01:00.0")

    def nvmlDeviceGetUtilizationRates(self, h):
        return SimpleNamespace(gpu=42, memory=7)

    def nvmlDeviceGetFieldValues(self, h, ids):
        self._count("field")
        if not self.instant_field_ok:
            return [SimpleNamespace(nvmlReturn=3, valueType=1, value=SimpleNamespace(uiVal=0))]
        return [SimpleNamespace(nvmlReturn=0, valueType=1, value=SimpleNamespace(uiVal=35250))]

    def nvmlDeviceGetPowerUsage(self, h) -> int:
        return 31000  # mW

    def nvmlDeviceGetTotalEnergyConsumption(self, h) -> int:
        self._count("energy")
        if not self.energy:
            raise NVMLError_NotSupported()
        return self.energy.pop(0)

    def nvmlDeviceGetTemperature(self, h, sensor) -> int:
        return 61

    def nvmlDeviceGetClockInfo(self, h, clock) -> int:
        raise NVMLError_FunctionNotFound()

    def nvmlDeviceGetMemoryInfo(self, h):
        return SimpleNamespace(used=3 << 30, total=8 << 30, free=5 << 30)
