"""A stand-in for the `windowsml` module that replays tests/data/winml/catalog_listing.json.

It has windowsml 2.5.96's surface as far as app.engines.winml uses it: `EpCatalog()` with
`find_all_providers()`, providers with str properties and `EpReadyState` / `EpCertification`
enum properties (the same members and values as windowsml._bindings), and
`ensure_ready_async(on_progress=...)` returning an operation whose `wait()` raises OSError
when the recorded acquisition failed.
"""

from __future__ import annotations

import json
import types
from enum import IntEnum
from pathlib import Path

LISTING = Path(__file__).resolve().parents[1] / "data" / "winml" / "catalog_listing.json"


class EpReadyState(IntEnum):  # windowsml._bindings.EpReadyState
    Ready = 0
    NotReady = 1
    NotPresent = 2


class EpCertification(IntEnum):  # windowsml._bindings.EpCertification
    Unknown = 0
    Certified = 1
    Uncertified = 2


class _Operation:
    def __init__(self, record: dict, on_progress, provider) -> None:
        self.record, self.on_progress, self.provider = record, on_progress, provider

    def wait(self) -> None:
        for value in self.record.get("progress", []):
            if self.on_progress is not None:
                self.on_progress(value)
        if self.record.get("error"):
            raise OSError(self.record["error"])
        self.provider.data["ready_state"] = "Ready"
        self.provider.data["library_path"] = self.record.get("library_path", self.provider.data["library_path"])


class _Provider:
    def __init__(self, data: dict, acquisition: dict) -> None:
        self.data, self.acquisition = data, acquisition

    def __getattr__(self, name: str):
        if name == "ready_state":
            return EpReadyState[self.data[name]]
        if name == "certification":
            return EpCertification[self.data[name]]
        if name in self.data:
            if isinstance(self.data[name], dict) and "raise" in self.data[name]:
                raise OSError(self.data[name]["raise"])
            return self.data[name]
        raise AttributeError(name)

    def ensure_ready_async(self, on_complete=None, on_progress=None) -> _Operation:
        return _Operation(self.acquisition.get(self.data["name"], {"progress": [1.0]}), on_progress, self)


def module(listing: dict | None = None, catalog_error: str | None = None) -> types.ModuleType:
    """A `windowsml` stand-in over `listing` (default: the committed one)."""
    data = listing if listing is not None else load()

    class EpCatalog:
        def __init__(self) -> None:
            if catalog_error:
                raise OSError(catalog_error)

        def find_all_providers(self):
            return [_Provider(p, data.get("ensure_ready", {})) for p in data["providers"]]

    mod = types.ModuleType("windowsml")
    mod.EpCatalog = EpCatalog
    mod.EpReadyState, mod.EpCertification = EpReadyState, EpCertification
    return mod


def load() -> dict:
    return json.loads(LISTING.read_text(encoding="utf-8"))
