"""Reading and writing run records (docs/run-record.md); the record itself is app.record.schema.

The CLI, the GUI history and the comparison view all read and write this one
format. Writes are atomic (temp file + rename) so a crash never leaves a
half-written record.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record.schema import RunRecord, check_schema
from app.record.typed import RecordFormatError
from app.record.upgrade import upgrade


def dumps(record: RunRecord) -> str:
    return json.dumps(record.to_json(), indent=1, allow_nan=False)


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


def save(record: RunRecord, path: str | os.PathLike) -> Path:
    return write_atomic(path, dumps(record) + "\n")


def parse(data: Any, source: str) -> RunRecord:
    """A parsed JSON document as a RunRecord of the current schema; a UserError naming `source` if it is not one."""
    version = check_schema(data, source)
    try:
        return RunRecord.from_json(upgrade(data, version))
    except RecordFormatError as e:
        raise UserError(f"{source}: invalid run record ({e}).", hint="The file is corrupted or was edited.") from None


def load(path: str | os.PathLike) -> RunRecord:
    """Read, validate and upgrade a run record; every problem is a UserError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{p}: no such run file.", hint="Check the path.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{p}: cannot read run file ({e.__class__.__name__}).", hint="Is it a run JSON?") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        line = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise UserError(f"{p}: not valid JSON{line}.", hint="The file is corrupted or not a run record.") from None
    return parse(data, str(p))
