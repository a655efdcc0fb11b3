r"""Windows GPU and NPU utilisation and memory from PDH, keyed by adapter LUID.

Every WDDM GPU and MCDM NPU appears in `\GPU Engine(*)\Utilization Percentage`
with instances such as `pid_9524_luid_0x00000000_0x000095CA_phys_0_eng_0_engtype_3D`.
Utilisation of an adapter = sum over processes per (luid, phys, eng), then
the max over engines (what Task Manager shows). An adapter whose engine types
are all `Compute*` / `Neural` is an NPU: discovered from the data, not
hard-coded. `\GPU Adapter Memory(*)\{Dedicated,Shared} Usage` gives bytes.

Pure parsing lives here and runs on Linux; the ctypes PDH query lives in
win_pdh_backend.py and is passed in (tests pass a fake that replays traces).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.probes.model import BYTES, GPU, NOT_READY, NPU, PERCENT, Clock, Probe, Sample, missing, reading

ENGINE_UTIL = r"\GPU Engine(*)\Utilization Percentage"
MEM_DEDICATED = r"\GPU Adapter Memory(*)\Dedicated Usage"
MEM_SHARED = r"\GPU Adapter Memory(*)\Shared Usage"

_ENGINE = re.compile(
    r"^pid_(?P<pid>\d+)_luid_(?P<hi>0x[0-9A-Fa-f]+)_(?P<lo>0x[0-9A-Fa-f]+)"
    r"_phys_(?P<phys>\d+)_eng_(?P<eng>\d+)_engtype_(?P<engtype>.*)$")
_ADAPTER = re.compile(r"^luid_(?P<hi>0x[0-9A-Fa-f]+)_(?P<lo>0x[0-9A-Fa-f]+)_phys_(?P<phys>\d+)$")


class PdhBackend(Protocol):
    def add_counter(self, path: str) -> Any: ...
    def collect(self) -> None: ...
    def get_values(self, handle: Any) -> dict[str, float]: ...
    def close(self) -> None: ...


def format_luid(high: int, low: int) -> str:
    return f"0x{high & 0xFFFFFFFF:08X}_0x{low & 0xFFFFFFFF:08X}"


def luid_key(luid: str) -> str:
    return f"luid:{luid}"


def luid_from_decimal(decimal: str | int) -> str:
    """ORT OrtHardwareDevice.metadata['LUID'] (a 64-bit decimal) -> '0xHHHHHHHH_0xLLLLLLLL'."""
    v = int(decimal)
    return format_luid(v >> 32, v)


@dataclass(frozen=True)
class EngineInstance:
    pid: int
    luid: str
    phys: int
    eng: int
    engtype: str


def parse_engine_instance(name: str) -> EngineInstance | None:
    m = _ENGINE.match(name.strip())
    if not m:
        return None
    return EngineInstance(int(m["pid"]), format_luid(int(m["hi"], 16), int(m["lo"], 16)),
                          int(m["phys"]), int(m["eng"]), m["engtype"])


def parse_adapter_instance(name: str) -> tuple[str, int] | None:
    m = _ADAPTER.match(name.strip())
    return (format_luid(int(m["hi"], 16), int(m["lo"], 16)), int(m["phys"])) if m else None


def is_npu_engine(engtype: str) -> bool:
    t = engtype.lower()
    return t.startswith("compute") or t == "neural"


@dataclass
class Adapter:
    luid: str
    engine_types: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        """NPU when every engine is Compute*/Neural, GPU when any is graphics, else ''."""
        types = {t for t in self.engine_types if t}
        if types and all(is_npu_engine(t) for t in types):
            return NPU
        return GPU if types else ""


def group_adapters(instances: list[str]) -> dict[str, Adapter]:
    adapters: dict[str, Adapter] = {}
    for name in instances:
        inst = parse_engine_instance(name)
        if inst is not None:
            adapters.setdefault(inst.luid, Adapter(inst.luid)).engine_types.add(inst.engtype)
    return adapters


def adapter_utilisation(values: dict[str, float], pid: int | None = None) -> dict[str, float]:
    """{instance: %} -> {luid: %}: sum per engine over processes, max over engines."""
    per_engine: dict[tuple[str, int, int], float] = {}
    for name, value in values.items():
        inst = parse_engine_instance(name)
        if inst is None or (pid is not None and inst.pid != pid) or value != value:  # NaN
            continue
        k = (inst.luid, inst.phys, inst.eng)
        per_engine[k] = per_engine.get(k, 0.0) + max(0.0, value)
    out: dict[str, float] = {}
    for (luid, _phys, _eng), total in per_engine.items():
        out[luid] = max(out.get(luid, 0.0), min(100.0, total))
    return out


def adapter_memory(values: dict[str, float]) -> dict[str, float]:
    """{luid_..._phys_N: bytes} -> {luid: bytes} (summed over physical adapters)."""
    out: dict[str, float] = {}
    for name, value in values.items():
        parsed = parse_adapter_instance(name)
        if parsed is not None and value == value:
            out[parsed[0]] = out.get(parsed[0], 0.0) + value
    return out


class WinPdhGpuProbe(Probe):
    """Per-adapter utilisation (and the worker's share), dedicated and shared memory."""

    name = "pdh-gpu"
    period_s = 0.5  # the wildcard GPU Engine query is the costliest source on Windows

    def __init__(self, backend: PdhBackend, *, clock: Clock = time.perf_counter_ns) -> None:
        self._backend = backend
        self._clock = clock
        self._handles: dict[str, Any] | None = None
        self._adapters: dict[str, Adapter] = {}
        self._primed = False
        self._pid: int | None = None

    def open(self) -> None:
        if self._handles is None:
            self._handles = {p: self._backend.add_counter(p) for p in (ENGINE_UTIL, MEM_DEDICATED, MEM_SHARED)}

    def close(self) -> None:
        self._backend.close()
        self._handles, self._primed = None, False  # a restart adds the counters again

    def set_worker_pid(self, pid: int | None) -> None:
        self._pid = pid

    def adapters(self) -> dict[str, Adapter]:
        return dict(self._adapters)

    def read(self) -> list[Sample]:
        self.open()
        assert self._handles is not None
        self._backend.collect()
        t = self._clock()
        engines = self._backend.get_values(self._handles[ENGINE_UTIL])
        dedicated = adapter_memory(self._backend.get_values(self._handles[MEM_DEDICATED]))
        shared = adapter_memory(self._backend.get_values(self._handles[MEM_SHARED]))
        for luid, adapter in group_adapters(list(engines)).items():
            self._adapters.setdefault(luid, Adapter(luid)).engine_types |= adapter.engine_types
        for luid in set(dedicated) | set(shared):
            self._adapters.setdefault(luid, Adapter(luid))
        primed, self._primed = self._primed, True
        util = adapter_utilisation(engines)
        mine = adapter_utilisation(engines, self._pid) if self._pid is not None else {}
        out: list[Sample] = []
        for luid, adapter in sorted(self._adapters.items()):
            key, kind = luid_key(luid), adapter.kind
            if not primed:  # a rate counter needs two collections
                out.append(missing(key, "util", PERCENT, NOT_READY, "first collection", ENGINE_UTIL, t_ns=t, kind=kind))
            else:
                src = ENGINE_UTIL if luid in util else f"{ENGINE_UTIL} (no engine instance: no process uses it)"
                out.append(reading(key, "util", util.get(luid, 0.0), PERCENT, src, t_ns=t, kind=kind))
                if self._pid is not None:
                    out.append(reading(key, "worker_util", mine.get(luid, 0.0), PERCENT,
                                       f"{ENGINE_UTIL} pid_{self._pid}", t_ns=t, kind=kind))
            if luid in dedicated:
                out.append(reading(key, "mem_dedicated", dedicated[luid], BYTES, MEM_DEDICATED, t_ns=t, kind=kind))
            if luid in shared:
                out.append(reading(key, "mem_shared", shared[luid], BYTES, MEM_SHARED, t_ns=t, kind=kind))
            if luid in dedicated or luid in shared:
                used = dedicated.get(luid, 0.0) + shared.get(luid, 0.0)
                out.append(reading(key, "mem_used", used, BYTES, "GPU Adapter Memory (dedicated + shared)",
                                   t_ns=t, kind=kind))
        return out
