"""The run record: one versioned JSON document per run (docs/run-record.md).

The CLI, the GUI history and the comparison view all read and write this one
format. Writes are atomic (temp file + rename) so a crash never leaves a
half-written record.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from app.common.errors import UserError

SCHEMA = "aipcprof.run"
SCHEMA_VERSION = 1

# Top-level sections, in the order they are written. Every record has all of
# them; a section the run did not reach holds null.
SECTIONS = (
    "schema", "schema_version", "tool", "created_utc", "status", "host", "versions",
    "model", "target", "settings", "inputs", "phases", "latency", "placement",
    "output_check", "precision", "telemetry", "energy", "warnings", "error",
)


def new_record() -> dict[str, Any]:
    rec: dict[str, Any] = {k: None for k in SECTIONS}
    rec["schema"] = SCHEMA
    rec["schema_version"] = SCHEMA_VERSION
    rec["warnings"] = []
    return rec


def _jsonable(obj: Any) -> Any:
    """NaN/inf are not JSON: write them as null (missing), never as 0."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return _jsonable(obj.tolist())
    return obj


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(_jsonable(record), indent=1, allow_nan=False)


def check_writable(path: str | os.PathLike, option: str = "--out") -> Path:
    """Fail early (before a long run) if `path` cannot be written."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise UserError(f"{option} {p}: is a directory.", hint="Give a file name, e.g. run.json.")
    if not parent.is_dir():
        raise UserError(f"{option} {p}: folder {parent} does not exist.", hint="Create it or choose another path.")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UserError(f"{option} {p}: not writable.", hint="Choose a path in a folder you can write to.")
    return p


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write via a temp file in the same folder, fsync and an atomic rename.

    A crash or a full disk leaves the previous file (or none), never half a file.
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p


def write_atomic(path: str | os.PathLike, data: str | bytes, option: str = "--out") -> Path:
    """check_writable + atomic_write: a user-given output path."""
    return atomic_write(check_writable(path, option), data)


def save(record: dict[str, Any], path: str | os.PathLike) -> Path:
    return write_atomic(path, dumps(record) + "\n")


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a run record; every problem is a UserError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{p}: no such run file.", hint="Check the path.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{p}: cannot read run file ({e.__class__.__name__}).", hint="Is it a run JSON?") from None
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"{p}: not valid JSON (line {e.lineno}).",
                        hint="The file is corrupted or not a run record.") from None
    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA:
        raise UserError(f"{p}: not an AI PC Profiler run record.", hint="Pass a file written by `aipcprof run --out`.")
    version = rec.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise UserError(f"{p}: run record has no valid schema_version.", hint="The file is corrupted.")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{p}: run record version {version} is newer than this tool understands ({SCHEMA_VERSION}).",
            hint="Update AI PC Profiler to read it.",
        )
    for key in SECTIONS:
        rec.setdefault(key, None)
    if rec["warnings"] is None:
        rec["warnings"] = []
    return rec
