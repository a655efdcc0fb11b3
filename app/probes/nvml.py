"""NVIDIA GPUs through NVML (nvidia-ml-py's `pynvml`, imported lazily).

Per GPU: utilisation, memory, instantaneous power (field 186), NVML's 1 s
average power, the total-energy counter (mJ since driver load, the right
source for per-inference energy), temperature and SM clock. NotSupported /
FunctionNotFound become "unsupported" once and are not asked again.

The module object is injectable (`NvmlProbe(nvml=stub)`) so tests run a stub
that raises NotSupported. Device keys are "pci:<domain:bus:dev.fn>", the same
key the Linux sysfs inventory uses for that GPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.probes.counters import CounterDelta
from app.probes.model import (
    BYTES,
    CELSIUS,
    ERROR,
    GPU,
    HERTZ,
    JOULE,
    NOT_READY,
    PERCENT,
    UNSUPPORTED,
    WATT,
    Clock,
    Probe,
    Sample,
    missing,
    reading,
)

# NVML constants (nvml.h); kept here so a stub module needs none of them.
ERROR_NOT_SUPPORTED, ERROR_NO_PERMISSION = 3, 4
ERROR_DRIVER_NOT_LOADED, ERROR_LIBRARY_NOT_FOUND, ERROR_FUNCTION_NOT_FOUND = 9, 12, 13
FI_DEV_POWER_INSTANT = 186
TEMPERATURE_GPU, CLOCK_SM = 0, 1
VALUE_NOT_AVAILABLE = (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
_FIELD_ATTR = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}
_UNSUPPORTED_CODES = (ERROR_NOT_SUPPORTED, ERROR_FUNCTION_NOT_FOUND)
SCOPE = "GPU board (NVML)"


def normalize_bus_id(bus_id: str | bytes) -> str:
    """NVML '00000000:01:00.0' -> sysfs '0000:01:00.0' (lower case)."""
    s = bus_id.decode() if isinstance(bus_id, bytes) else str(bus_id)
    s = s.strip("\x00").strip().lower()
    domain, _, rest = s.partition(":")
    return f"{int(domain, 16):04x}:{rest}" if rest else s


def error_code(exc: BaseException) -> int | None:
    return getattr(exc, "value", None)


def error_reason(exc: BaseException) -> str:
    code = error_code(exc)
    if code == ERROR_DRIVER_NOT_LOADED:
        return "NVIDIA driver not loaded"
    if code == ERROR_LIBRARY_NOT_FOUND:
        return "NVML library not found (no NVIDIA driver installed)"
    if code in _UNSUPPORTED_CODES:
        return "not supported by this GPU/driver (NVML)"
    if code == ERROR_NO_PERMISSION:
        return "NVML: no permission"
    return f"NVML error: {exc}"


def field_value(fv: Any) -> float | None:
    """One nvmlFieldValue_t -> number, or None when NVML reports no value."""
    if getattr(fv, "nvmlReturn", 0) != 0:
        return None
    attr = _FIELD_ATTR.get(int(getattr(fv, "valueType", 1)), "uiVal")
    value = getattr(fv.value, attr)
    return None if value in VALUE_NOT_AVAILABLE else float(value)


def _load_pynvml() -> Any:
    import pynvml  # nvidia-ml-py; imported only when a GPU is expected

    return pynvml


@dataclass
class _Gpu:
    handle: Any
    key: str
    name: str
    energy: CounterDelta = field(default_factory=CounterDelta)
    unsupported: dict[str, str] = field(default_factory=dict)  # metric -> reason


class NvmlProbe(Probe):
    name = "nvml"
    period_s = 0.1

    def __init__(self, nvml: Any = None, *, clock: Clock = time.perf_counter_ns,
                 loader: Callable[[], Any] = _load_pynvml,
                 is_suspended: Callable[[], bool] | None = None) -> None:
        self._nvml = nvml
        self._loader = loader
        self._clock = clock
        # Opening NVML wakes a runtime-suspended laptop dGPU (and its ~10 W): wait until
        # something else wakes it. None: open right away (inventory, desktops).
        self._is_suspended = is_suspended
        self._gpus: list[_Gpu] = []
        self._failure: tuple[str, str] | None = None  # (status, reason) when NVML is unusable
        self._opened = False
        self.driver_version = ""

    def open(self) -> None:
        if self._opened:
            return
        self._opened, self._gpus, self._failure = True, [], None
        try:
            if self._nvml is None:
                self._nvml = self._loader()
            nv = self._nvml
            nv.nvmlInit()
            try:
                raw = nv.nvmlSystemGetDriverVersion()
                self.driver_version = raw.decode() if isinstance(raw, bytes) else str(raw)
            except Exception:  # noqa: BLE001 - optional fact
                pass
            for i in range(nv.nvmlDeviceGetCount()):
                h = nv.nvmlDeviceGetHandleByIndex(i)
                name = nv.nvmlDeviceGetName(h)
                name = name.decode() if isinstance(name, bytes) else str(name)
                key = f"pci:{normalize_bus_id(nv.nvmlDeviceGetPciInfo(h).busId)}"
                self._gpus.append(_Gpu(h, key, name))
        except ImportError:
            self._failure = (UNSUPPORTED, "nvidia-ml-py (pynvml) is not installed")
        except Exception as e:  # noqa: BLE001 - any NVML failure means "no NVML here"
            code = error_code(e)
            bad = code in (ERROR_DRIVER_NOT_LOADED, ERROR_LIBRARY_NOT_FOUND) + _UNSUPPORTED_CODES
            self._failure = (UNSUPPORTED if bad else ERROR, error_reason(e))

    def gpus(self) -> list[tuple[str, str]]:
        """(device key, name) per GPU, after open()."""
        return [(g.key, g.name) for g in self._gpus]

    def close(self) -> None:
        if self._opened and self._failure is None and self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        self._opened = False  # gpus() stays valid for the inventory; open() starts afresh

    def _all_metrics(self, status: str, reason: str) -> list[Sample]:
        """One reading per metric, so every category says why."""
        t = self._clock()
        return [missing("nvml", m, u, status, reason, "NVML", t_ns=t, kind=GPU) for m, u in (
            ("util", PERCENT), ("power", WATT), ("energy", JOULE), ("temp", CELSIUS), ("freq", HERTZ),
            ("mem_used", BYTES))]

    def read(self) -> list[Sample]:
        if not self._opened:
            if self._is_suspended is not None and self._is_suspended():
                return self._all_metrics(NOT_READY, "NVIDIA GPU is runtime-suspended; NVML opens when it "
                                                    "wakes (opening it would wake the GPU)")
            self.open()
        if self._failure is not None:
            return self._all_metrics(*self._failure)
        out: list[Sample] = []
        for gpu in self._gpus:
            out.extend(self._read_gpu(gpu))
        return out

    def _query(self, gpu: _Gpu, metric: str, unit: str, fn: Callable[[], float | None],
               source: str, scale: float = 1.0, scope: str = "") -> Sample:
        if metric in gpu.unsupported:
            return missing(gpu.key, metric, unit, UNSUPPORTED, gpu.unsupported[metric], source,
                           t_ns=self._clock(), kind=GPU, scope=scope)
        try:
            value = fn()
            t = self._clock()
        except Exception as e:  # noqa: BLE001 - pynvml raises NVMLError subclasses
            t = self._clock()
            if error_code(e) in _UNSUPPORTED_CODES:
                gpu.unsupported[metric] = error_reason(e)
                return missing(gpu.key, metric, unit, UNSUPPORTED, gpu.unsupported[metric], source,
                               t_ns=t, kind=GPU, scope=scope)
            return missing(gpu.key, metric, unit, ERROR, error_reason(e), source, t_ns=t, kind=GPU, scope=scope)
        if value is None or value in VALUE_NOT_AVAILABLE:
            gpu.unsupported[metric] = "NVML reports no value (sentinel)"
            return missing(gpu.key, metric, unit, UNSUPPORTED, gpu.unsupported[metric], source,
                           t_ns=t, kind=GPU, scope=scope)
        return reading(gpu.key, metric, float(value) * scale, unit, source, t_ns=t, kind=GPU, scope=scope)

    def _read_gpu(self, gpu: _Gpu) -> list[Sample]:
        nv, h = self._nvml, gpu.handle
        out = [
            self._query(gpu, "util", PERCENT, lambda: nv.nvmlDeviceGetUtilizationRates(h).gpu,
                        "nvmlDeviceGetUtilizationRates"),
            self._query(gpu, "power", WATT, lambda: field_value(
                nv.nvmlDeviceGetFieldValues(h, [FI_DEV_POWER_INSTANT])[0]),
                "nvmlDeviceGetFieldValues(POWER_INSTANT)", 1e-3, SCOPE),
            self._query(gpu, "power_avg", WATT, lambda: nv.nvmlDeviceGetPowerUsage(h),
                        "nvmlDeviceGetPowerUsage (1 s average)", 1e-3, SCOPE),
            self._query(gpu, "temp", CELSIUS, lambda: nv.nvmlDeviceGetTemperature(h, TEMPERATURE_GPU),
                        "nvmlDeviceGetTemperature"),
            self._query(gpu, "freq", HERTZ, lambda: nv.nvmlDeviceGetClockInfo(h, CLOCK_SM),
                        "nvmlDeviceGetClockInfo(SM)", 1e6),
        ]
        mem_src = "nvmlDeviceGetMemoryInfo"
        mem = self._query(gpu, "mem_used", BYTES, lambda: nv.nvmlDeviceGetMemoryInfo(h).used, mem_src)
        out.append(mem)
        if mem.status == "ok":
            out.append(self._query(gpu, "mem_total", BYTES, lambda: nv.nvmlDeviceGetMemoryInfo(h).total, mem_src))
        out.append(self._energy(gpu))
        return out

    def _energy(self, gpu: _Gpu) -> Sample:
        """Cumulative joules since this probe started (the raw counter starts at driver load)."""
        src = "nvmlDeviceGetTotalEnergyConsumption"
        raw = self._query(gpu, "energy", JOULE,
                          lambda: self._nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle), src, 1e-3, SCOPE)
        if raw.status != "ok":
            return raw
        first = not gpu.energy.primed
        gpu.energy.update(raw.value, raw.t_ns)
        if first:
            raw.value = 0.0
            return raw
        if gpu.energy.resets and gpu.energy.total == 0.0:
            return missing(gpu.key, "energy", JOULE, NOT_READY, "energy counter reset", src,
                           t_ns=raw.t_ns, kind=GPU, scope=SCOPE)
        raw.value = gpu.energy.total
        return raw
