"""Read every schema version this tool has written: upgrade a parsed record to the current one.

Version 1 (the first release) wrote warnings as plain strings and internal errors
as kind "internal:<last traceback line>", and left unreached sections as null.
Classifying a version-1 warning by its wording happens here and only here: it is
the one place that knows how those strings were written.

A file is untrusted input: an upgrade never fails on a value of the wrong type,
it passes it on for the typed conversion to reject with its key path.
"""

from __future__ import annotations

from typing import Any

from app.common.errors import ErrorKind
from app.record.schema import SCHEMA_VERSION, WarningKind

# How version 1 started each kind of warning (app/core/assemble.py of 0.1.0).
_V1_WARNING_PREFIXES = (
    ("NOTHING RAN ON ", WarningKind.NOTHING_ON_ACCELERATOR),
    ("output '", WarningKind.OUTPUT_MISMATCH),
    ("cancelled by the user", WarningKind.CANCELLED),
    ("the p50 did not settle", WarningKind.NOT_STEADY),
)
# Sections version 1 wrote as null when the run did not reach them; version 2 has defaults for them.
_V1_NULLABLE_WITH_DEFAULT = ("tool", "host", "versions", "model", "settings", "inputs", "phases", "latency",
                             "telemetry", "warnings")


def _v1_warning_kind(text: str) -> WarningKind:
    for prefix, kind in _V1_WARNING_PREFIXES:
        if text.startswith(prefix):
            return kind
    if " nodes fell back from " in text:
        return WarningKind.PARTIAL_FALLBACK
    return WarningKind.OTHER


def _v1_error(error: dict[str, Any]) -> dict[str, Any]:
    """Version 1's free-text kind: "internal:<traceback line>" or an exception class name."""
    kind = error.get("kind")
    if not isinstance(kind, str):
        return error
    if kind.startswith("internal"):
        return {**error, "kind": ErrorKind.INTERNAL.value, "detail": kind.partition(":")[2]}
    if ErrorKind.parse(kind) is ErrorKind.INTERNAL:  # a class name version 2 has no kind for
        return {**error, "kind": ErrorKind.INTERNAL.value, "detail": kind}
    return error


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if not (v is None and k in _V1_NULLABLE_WITH_DEFAULT)}
    warnings = out.get("warnings", [])
    session = out.get("session") if isinstance(out.get("session"), dict) else {}
    notes = session.get("notes")  # the engine's notes were copied into warnings
    notes = {str(n) for n in notes} if isinstance(notes, list) else set()
    if isinstance(warnings, list):
        out["warnings"] = [
            {"kind": (WarningKind.ENGINE_NOTE if w in notes else _v1_warning_kind(w)).value, "text": w}
            if isinstance(w, str) else w for w in warnings]
    if isinstance(out.get("error"), dict):
        out["error"] = _v1_error(out["error"])
    energy = out.get("energy")
    if isinstance(energy, dict) and "joules_per_inference" not in energy and "j_per_inference" in energy:
        out["energy"] = {**energy, "joules_per_inference": energy["j_per_inference"]}  # v1 readers took both
    if "target" not in out or out["target"] is None:
        settings = out.get("settings")
        target_id = settings.get("target_id") if isinstance(settings, dict) else None
        out["target"] = {"id": target_id if isinstance(target_id, str) else "?"}
    if isinstance(out.get("host"), dict) and out["host"].get("power") is None:
        out["host"] = {k: v for k, v in out["host"].items() if k != "power"}
    out["schema_version"] = 2
    return out


_UPGRADES = {1: _from_v1}


def upgrade(data: dict[str, Any], version: int) -> dict[str, Any]:
    """A parsed record of `version`, brought to SCHEMA_VERSION step by step."""
    while version < SCHEMA_VERSION:
        data = _UPGRADES[version](data)
        version += 1
    return data
