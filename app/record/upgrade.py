"""Read every schema version this tool has written: upgrade a parsed record to the current one.

Version 1 (the first release) wrote warnings as plain strings and internal errors
as kind "internal:<last traceback line>", and left unreached sections as null.
Classifying a version-1 warning by its wording happens here and only here: it is
the one place that knows how those strings were written.
"""

from __future__ import annotations

from typing import Any

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


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if not (v is None and k in _V1_NULLABLE_WITH_DEFAULT)}
    warnings = out.get("warnings") or []
    session = out.get("session") if isinstance(out.get("session"), dict) else {}
    notes = {str(n) for n in session.get("notes") or []}  # the engine's notes were copied into warnings
    out["warnings"] = [w if isinstance(w, dict) else
                       {"kind": (WarningKind.ENGINE_NOTE if str(w) in notes else _v1_warning_kind(str(w))).value,
                        "text": str(w)}
                       for w in (warnings if isinstance(warnings, list) else [])]
    error = out.get("error")
    if isinstance(error, dict) and isinstance(error.get("kind"), str) and error["kind"].startswith("internal:"):
        out["error"] = {**error, "kind": "internal", "detail": error["kind"][len("internal:"):]}
    if not isinstance(out.get("target"), dict):
        out["target"] = {"id": str((out.get("settings") or {}).get("target_id", "?"))}
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
