"""Windows ML: the EPs of the Windows ML catalog as ONNX Runtime targets `winml/<ep>/<device>`.

On Windows 11 (24H2, build 26100+) Windows ML keeps a catalog of vendor EPs (QNN,
OpenVINO, VitisAI, NvTensorRtRtx, MIGraphX), downloads the ones this PC can use and
updates them. The path here: catalog listing -> `ensure_ready` (the "EP acquisition"
phase: a download that can take minutes the first time, only on request: `aipcprof
devices --acquire`) -> `onnxruntime.register_execution_provider_library(name, the EP's
library_path)` -> `get_ep_devices()` -> one target per device.

The catalog is reached through the `windowsml` package (ctypes over the WinML flat C
API, with its DLL bundled; see docs/ep-selection.md for why this one and not the pywinrt
projection). Everything it does goes through a `CatalogBackend`, so tests feed a
recorded listing through the same parsing code. Every failure is a target marked
unavailable with the reason and the fix, never an exception out of discovery.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from app.common.targets import UNAVAILABLE, Target
from app.engines import hostinfo
from app.engines.ort_errors import clean

PACKAGE = "windowsml"
PREFIX = "winml/"
MIN_WINDOWS = "Windows 11 24H2 (build 26100) or later"
# The catalog's EPs (Microsoft's "Windows ML execution providers" page) -> the device they are known for.
WELL_KNOWN = {"QNNExecutionProvider": "npu", "OpenVINOExecutionProvider": "npu", "VitisAIExecutionProvider": "npu",
              "NvTensorRTRTXExecutionProvider": "gpu0", "MIGraphXExecutionProvider": "gpu0"}
ACQUIRE_FIX = "aipcprof devices --acquire (Windows ML downloads and installs it; minutes the first time)"


@dataclass
class CatalogEntry:
    """One EP of the Windows ML catalog, as windowsml's ExecutionProvider describes it."""

    name: str
    version: str = ""
    package_family_name: str = ""
    library_path: str = ""
    package_root_path: str = ""
    ready_state: str = ""  # windowsml EpReadyState member name: Ready | NotReady | NotPresent
    certification: str = ""  # EpCertification: Unknown | Certified | Uncertified
    error: str = ""  # reading the entry, acquiring or registering it failed: why


class CatalogBackend(Protocol):
    """What the engine needs from Windows ML (the real one wraps `windowsml`; tests feed recordings)."""

    def entries(self) -> list[CatalogEntry]: ...

    def ensure_ready(self, name: str, on_progress: Callable[[float], None]) -> CatalogEntry:
        """Download/install the EP `name` and read its entry again (now with a library path);
        OSError (or any error) with the reason when it fails."""


def entry_from_provider(ep: Any) -> CatalogEntry:
    """A windowsml ExecutionProvider (or a recording of one) as a CatalogEntry; property errors are kept."""
    try:
        name = str(ep.name)
    except Exception as exc:  # noqa: BLE001 - one unreadable entry must not hide the others
        return CatalogEntry(name="?", error=f"the catalog entry could not be read: {clean(str(exc))}")
    entry = CatalogEntry(name=name)
    for attr in ("version", "package_family_name", "library_path", "package_root_path"):
        try:
            setattr(entry, attr, str(getattr(ep, attr)))
        except Exception as exc:  # noqa: BLE001
            entry.error = entry.error or f"{attr} could not be read: {clean(str(exc))}"
    for attr in ("ready_state", "certification"):
        try:
            setattr(entry, attr, str(getattr(ep, attr).name))
        except Exception as exc:  # noqa: BLE001
            entry.error = entry.error or f"{attr} could not be read: {clean(str(exc))}"
    return entry


class WindowsMLCatalog:
    """The real backend: `windowsml.EpCatalog` (module injectable for tests)."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.catalog = module.EpCatalog()  # OSError when the Windows ML runtime is missing or too old
        self._providers = {str(ep.name): ep for ep in self.catalog.find_all_providers()}

    def entries(self) -> list[CatalogEntry]:
        return [entry_from_provider(ep) for ep in self._providers.values()]

    def ensure_ready(self, name: str, on_progress: Callable[[float], None]) -> CatalogEntry:
        provider = self._providers[name]
        provider.ensure_ready_async(on_progress=on_progress).wait()  # OSError when the download/install failed
        return entry_from_provider(provider)


@dataclass
class Registration:
    entry: CatalogEntry
    registered_as: str = ""  # the name given to register_execution_provider_library


@dataclass
class WinmlState:
    """The catalog as last read in this process (discovery runs once per process)."""

    entries: list[CatalogEntry] = field(default_factory=list)
    registered: dict[str, str] = field(default_factory=dict)  # EP name -> library path registered
    problem: tuple[str, str] | None = None  # (reason, fix) when there is no catalog at all


def open_backend(module_loader: Callable[[], ModuleType] | None = None) -> tuple[CatalogBackend | None, tuple[str, str]]:
    """The real catalog, or None with (reason, fix)."""
    if hostinfo.os_name() != "Windows":
        return None, (f"Windows ML runs on {MIN_WINDOWS}; this is {hostinfo.os_name()}",
                      f"Run on Windows 11 with `pip install {PACKAGE}`.")
    try:
        module = (module_loader or _import_windowsml)()
    except ImportError:
        return None, (f"{PACKAGE} is not installed", f"pip install {PACKAGE}")
    except OSError as exc:  # its bundled Microsoft.Windows.AI.MachineLearning.dll is missing or does not load
        return None, (f"{PACKAGE} does not load: {clean(str(exc))}", f"pip install --force-reinstall {PACKAGE}")
    try:
        return WindowsMLCatalog(module), ("", "")
    except Exception as exc:  # noqa: BLE001 - OSError(WinError) from WinMLEpCatalogCreate, typically
        return None, (f"the Windows ML runtime did not open its EP catalog ({clean(str(exc))}); it needs "
                      f"{MIN_WINDOWS}", f"Update Windows (Settings > Windows Update), then pip install --upgrade {PACKAGE}")


def _import_windowsml() -> ModuleType:
    import importlib  # noqa: PLC0415

    return importlib.import_module(PACKAGE)


def ep_slug(ep_name: str) -> str:
    """'NvTensorRTRTXExecutionProvider' -> 'nvtensorrtrtx'."""
    return re.sub(r"[^a-z0-9]", "", ep_name.lower().removesuffix("executionprovider")) or "ep"


def read_catalog(backend: CatalogBackend | None, problem: tuple[str, str]) -> WinmlState:
    if backend is None:
        return WinmlState(problem=problem)
    try:
        return WinmlState(entries=backend.entries())
    except Exception as exc:  # noqa: BLE001
        return WinmlState(problem=(f"the Windows ML catalog could not be listed: {clean(str(exc))}",
                                   f"pip install --upgrade {PACKAGE}"))


def acquire(backend: CatalogBackend, state: WinmlState, report: Callable[[str, float], None]) -> list[CatalogEntry]:
    """The EP acquisition phase: ensure_ready for every entry not Ready; progress through report(name, 0..1)."""
    done = []
    for index, entry in enumerate(state.entries):
        if entry.ready_state == "Ready" or entry.error:
            continue
        try:
            fresh = backend.ensure_ready(entry.name, lambda value, name=entry.name: report(name, float(value)))
        except Exception as exc:  # noqa: BLE001 - a refused download is a reason on the target, not a crash
            entry.error = f"EP acquisition failed: {clean(str(exc))}"
            continue
        state.entries[index] = fresh
        done.append(fresh)
    return done


def register(ort: ModuleType, state: WinmlState) -> None:
    """register_execution_provider_library(EP name, library path) for every Ready entry, once per process.

    The EP name is the registration name (as Microsoft's Windows ML samples do): a plugin package that
    registered the same EP first (onnxruntime-qnn) keeps it, and the catalog's entry says so."""
    for entry in state.entries:
        if entry.ready_state != "Ready" or entry.error or state.registered.get(entry.name) == entry.library_path:
            continue
        if not entry.library_path:
            entry.error = "the catalog gives no library path for it"
            continue
        try:
            ort.register_execution_provider_library(entry.name, entry.library_path)
        except Exception as exc:  # noqa: BLE001
            if "already registered" not in str(exc).lower():
                entry.error = (f"registering {entry.library_path} with onnxruntime {ort.__version__} failed: "
                               f"{clean(str(exc))}")
                continue
            other = _registered_library(ort, entry.name)
            if other and other.lower() != entry.library_path.lower():
                entry.error = (f"{entry.name} is already registered in this process from {other} (another "
                               f"package brings it), so Windows ML's copy is not used")
                continue
        state.registered[entry.name] = entry.library_path


def _registered_library(ort: ModuleType, ep_name: str) -> str:
    for dev in ort.get_ep_devices():
        if dev.ep_name == ep_name:
            return str(dict(dev.ep_metadata).get("library_path", ""))
    return ""


def targets(ort: ModuleType, state: WinmlState) -> list[Target]:
    """winml/<ep>/<device> for every device of every registered entry; the rest unavailable, with why and fix."""
    if state.problem is not None:
        reason, fix = state.problem
        return [_unavailable(f"{PREFIX}{ep_slug(ep)}/{slug}", ep, ort, reason, fix) for ep, slug in WELL_KNOWN.items()]
    out: list[Target] = []
    devices = list(ort.get_ep_devices()) if hasattr(ort, "get_ep_devices") else []
    for entry in state.entries:
        mine = [d for d in devices if d.ep_name == entry.name and _same_library(d, entry.library_path)]
        if entry.name in state.registered and mine:
            seen: dict[str, int] = {}
            for dev in mine:  # the ordinal among this library's devices of one type (what the engine re-finds)
                dtype = dev.device.type.name
                seen[dtype] = seen.get(dtype, -1) + 1
                out.append(_device_target(ort, entry, dev, seen[dtype]))
        else:
            out.append(_entry_unavailable(ort, entry, registered=entry.name in state.registered))
    listed = {e.name for e in state.entries}
    out += [_unavailable(f"{PREFIX}{ep_slug(ep)}/{slug}", ep, ort, "not in this PC's Windows ML catalog "
                         "(Windows ML lists only the EPs that fit this PC's hardware)",
                         "Run on a PC with that vendor's NPU/GPU.") for ep, slug in WELL_KNOWN.items() if ep not in listed]
    return out


def _same_library(dev: Any, library_path: str) -> bool:
    path = dict(dev.ep_metadata).get("library_path")
    return path is None or str(path).lower() == library_path.lower()


def _device_target(ort: ModuleType, entry: CatalogEntry, dev: Any, ordinal: int) -> Target:
    dtype = dev.device.type.name
    slug = {"NPU": f"npu{ordinal or ''}", "GPU": f"gpu{ordinal}", "CPU": f"cpu{ordinal or ''}"}.get(dtype, dtype.lower())
    target = Target(id=f"{PREFIX}{ep_slug(entry.name)}/{slug}", engine="onnxruntime", provider=entry.name,
                    device_type=dtype, vendor=hostinfo.vendor_name(int(dev.device.vendor_id), str(dev.device.vendor)),
                    device_name=str(dict(dev.device.metadata).get("Description", "")) or str(dev.device.vendor),
                    runtime_version=str(ort.__version__), ep_version=entry.version)
    target.details = {"selection": "ep_device", "ep_name": entry.name, "ep_device_ordinal": str(ordinal),
                      "vendor_id": f"0x{int(dev.device.vendor_id):04x}",
                      "device_id": f"0x{int(dev.device.device_id):04x}", "ep.library_path": entry.library_path,
                      "package": f"{PACKAGE} (Windows ML catalog: {entry.package_family_name or entry.name})",
                      "winml.certification": entry.certification}
    if entry.certification == "Uncertified":
        target.reason = "Windows ML lists this EP as uncertified"
    return target


def _entry_unavailable(ort: ModuleType, entry: CatalogEntry, registered: bool) -> Target:
    slug = WELL_KNOWN.get(entry.name, "device")
    where = f"{PREFIX}{ep_slug(entry.name)}/{slug}"
    version = f" {entry.version}" if entry.version else ""
    if entry.error:
        return _unavailable(where, entry.name, ort, f"{entry.name}{version}: {entry.error}", _fix_for(entry.error))
    if entry.ready_state == "NotPresent":
        reason = f"{entry.name}{version} is in the Windows ML catalog but not on this PC yet"
        return _unavailable(where, entry.name, ort, reason, ACQUIRE_FIX)
    if entry.ready_state == "NotReady":
        reason = f"{entry.name}{version} is installed but not ready (Windows ML has not finished setting it up)"
        return _unavailable(where, entry.name, ort, reason, ACQUIRE_FIX)
    if registered:
        return _unavailable(where, entry.name, ort, f"Windows ML registered {entry.name}{version}, but it offers no "
                            "device here", "Install or update the device's driver.")
    return _unavailable(where, entry.name, ort, f"{entry.name}: unknown catalog state '{entry.ready_state}'",
                        f"pip install --upgrade {PACKAGE}")


def _fix_for(error: str) -> str:
    if error.startswith("EP acquisition"):
        return ("Check the network and the Windows Update / Store policy (a managed PC may block the download), "
                f"then {ACQUIRE_FIX}")
    if "already registered" in error:
        return "Uninstall the other package that brings this EP (e.g. pip uninstall onnxruntime-qnn) to use Windows ML's."
    return f"pip install --upgrade {PACKAGE} onnxruntime"


def _unavailable(target_id: str, ep: str, ort: ModuleType, reason: str, fix: str) -> Target:
    dtype = "GPU" if target_id.split("/")[-1].startswith("gpu") else "NPU"
    return Target(id=target_id, engine="onnxruntime", provider=ep, device_type=dtype, status=UNAVAILABLE,
                  runtime_version=str(getattr(ort, "__version__", "")), reason=reason, fix=fix,
                  details={"package": f"{PACKAGE} (Windows ML catalog)"})


class WindowsML:
    """The catalog, its registrations and its targets in one process."""

    def __init__(self, backend: CatalogBackend | None, problem: tuple[str, str] = ("", "")) -> None:
        self.backend = backend
        self.state = read_catalog(backend, problem)

    def targets(self, ort: ModuleType) -> list[Target]:
        register(ort, self.state)
        return targets(ort, self.state)

    def acquire(self, report: Callable[[str, float], None]) -> list[CatalogEntry]:
        """The EP acquisition phase (ensure_ready with progress); nothing to do without a catalog."""
        return acquire(self.backend, self.state, report) if self.backend is not None else []


_current: WindowsML | None = None


def current() -> WindowsML:
    """This process's Windows ML catalog, opened once."""
    global _current
    if _current is None:
        _current = WindowsML(*open_backend())
    return _current
