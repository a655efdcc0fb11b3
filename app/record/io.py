"""Reading and writing run records (docs/run-record.md); the record itself is app.record.schema.

The CLI, the GUI history and the comparison view all read and write this one
format. Writes are atomic (temp file + rename) so a crash never leaves a
half-written record. Every output file of the app (records, exports) goes
through `check_writable` / `atomic_write`; every record read goes through
`load`, which opens regular files only and refuses a file too large or too
deeply nested before parsing it (docs/security.md).
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from app.common.errors import UserError
from app.record import jsontext
from app.record.schema import RunRecord, check_schema
from app.record.typed import RecordFormatError
from app.record.upgrade import upgrade

MAX_RECORD_BYTES = 256 * 2**20  # a record with hours of telemetry is a few MiB; beyond this it is not ours
MAX_JSON_DEPTH = 64  # records nest about 6 levels; json/typed conversion recurse, so a bomb is refused first
_NAME_MAX = 255  # bytes per file name where the OS cannot say
_WRITE_HINT = "Choose another path (a folder you can write to, on a disk with free space)."


class OutputError(UserError):
    """An output path (record, export, screenshot) cannot be written."""


def dumps(record: RunRecord) -> str:
    return jsontext.dumps_indent1(record.to_json(), allow_nan=False)  # = json.dumps(indent=1), faster


def check_writable(path: str | os.PathLike, option: str = "--out") -> Path:
    """Fail early (before a long run) with one line if `path` cannot be written; return it as a Path.

    A regular file is replaced atomically, so its folder must take a new file (checked by
    creating and removing one) and the file itself must not be read-only (by its mode bits:
    as root `os.access` says yes to everything). A character device (/dev/null) or a FIFO is
    written in place; a block device or a socket is refused.
    """
    p = _given_path(path, option)
    _check_name_length(p, option)
    st = _stat(p, option)
    if st is not None and not stat.S_ISREG(st.st_mode):
        _check_special(p, st, option)
        return p
    if st is not None and (not os.access(p, os.W_OK) or not st.st_mode & 0o222):
        raise OutputError(f"{option} {p}: the file is read-only.",
                          hint="Choose another name, or make the file writable first.")
    target = _target(p)
    folder = _folder(target)
    if not folder.is_dir():
        raise OutputError(f"{option} {p}: folder {folder} does not exist.", hint="Create it or choose another path.")
    _check_name_length(target, option)
    _probe(folder, option, p)
    return p


def atomic_write(path: str | os.PathLike, data: str | bytes, option: str | None = None) -> Path:
    """Write `data` to `path`; a full disk or a crash leaves the previous file (or none), never half a file.

    A regular file (or a new one) is written to a short-named temp file in the same
    folder, fsynced and renamed over it, with the user's normal mode (0666 & ~umask)
    for a new file and the old file's mode for a replaced one. A character device or a
    FIFO is written directly: replacing /dev/null with a file is never what was meant.
    Every OS failure is an OutputError naming `option` (when given) and the path.
    """
    p = Path(path)
    blob = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    label = f"{option} {p}" if option else str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"{label}: cannot write ({_problem(e)}).", hint=_WRITE_HINT) from None
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            _write_special(p, st, blob, label)
        else:
            _replace(_target(p), blob, st)
    except OSError as e:
        raise OutputError(f"{label}: cannot write ({_problem(e)}).", hint=_WRITE_HINT) from None
    return p


def write_atomic(path: str | os.PathLike, data: str | bytes, option: str = "--out") -> Path:
    """check_writable + atomic_write: a user-given output path."""
    return atomic_write(check_writable(path, option), data, option)


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
    text = _read_text(p)
    depth = _nesting_depth(text, MAX_JSON_DEPTH)
    if depth > MAX_JSON_DEPTH:
        raise UserError(f"{p}: JSON nested more than {MAX_JSON_DEPTH} levels deep; not a run record.",
                        hint="The file is corrupted or was made to crash readers; do not use it.")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        line = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise UserError(f"{p}: not valid JSON{line}.", hint="The file is corrupted or not a run record.") from None
    return parse(data, str(p))


# -- reading -----------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _read_text(p: Path) -> str:
    """The text of a regular file of at most MAX_RECORD_BYTES; a FIFO or a device is refused, never opened
    in a way that blocks (O_NONBLOCK, and the type is checked on the open file)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise UserError(f"{p}: no such run file.", hint="Check the path.") from None
    except OSError as e:
        raise UserError(f"{p}: cannot read run file ({_problem(e)}).", hint="Is it a run JSON?") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{p}: is {_kind(st)}, not a run file.", hint="Pass a run JSON file.")
        if st.st_size > MAX_RECORD_BYTES:
            raise UserError(f"{p}: is {st.st_size / 2**20:.0f} MiB, over the {MAX_RECORD_BYTES // 2**20} MiB "
                            "limit of a run record.", hint="Is it a run JSON?")
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(MAX_RECORD_BYTES + 1)
    except OSError as e:
        raise UserError(f"{p}: cannot read run file ({_problem(e)}).", hint="Is it a run JSON?") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_RECORD_BYTES:  # grew while being read
        raise UserError(f"{p}: over the {MAX_RECORD_BYTES // 2**20} MiB limit of a run record.",
                        hint="Is it a run JSON?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{p}: cannot read run file (not UTF-8 text).", hint="Is it a run JSON?") from None


def _nesting_depth(text: str, limit: int) -> int:
    """The deepest bracket nesting outside strings, counted up to limit + 1 (cheap: no parse, no recursion)."""
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(text):
        c = token.group()
        if c == "[" or c == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif c == "]" or c == "}":
            depth -= 1
    return deepest


# -- writing -----------------------------------------------------------------


def _given_path(path: str | os.PathLike, option: str) -> Path:
    if not str(os.fspath(path)).strip():
        raise OutputError(f"{option}: the path is empty.", hint="Give a file name, e.g. run.json.")
    return Path(path)


def _check_name_length(p: Path, option: str) -> None:
    folder = _folder(p)
    limit = _name_max(folder) if folder.is_dir() else _NAME_MAX
    size = len(os.fsencode(p.name))
    if size > limit:
        raise OutputError(f"{option} {p}: the file name is {size} bytes, over this file system's limit of {limit}.",
                          hint="Choose a shorter name.")


def _stat(p: Path, option: str) -> os.stat_result | None:
    """os.stat (following links) of an output path; None when it does not exist."""
    try:
        return os.stat(p)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise OutputError(f"{option} {p}: a part of the folder is a file, not a folder.",
                          hint="Choose another path.") from None
    except OSError as e:
        raise OutputError(f"{option} {p}: cannot be used ({_problem(e)}).", hint=_WRITE_HINT) from None


def _kind(st: os.stat_result) -> str:
    mode = st.st_mode
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device (a disk)"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _check_special(p: Path, st: os.stat_result, option: str) -> None:
    """An existing non-regular output: a device like /dev/null or a FIFO is written in place; the rest refused."""
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{option} {p}: is a directory.", hint="Give a file name, e.g. run.json.")
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise OutputError(f"{option} {p}: is {_kind(st)}; refusing to write over it.", hint="Give a file name.")
    if not os.access(p, os.W_OK):
        raise OutputError(f"{option} {p}: not writable.", hint=_WRITE_HINT)


def _target(p: Path) -> Path:
    """Where the bytes of a regular file go: a symlink is written through, not replaced by a file."""
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _folder(p: Path) -> Path:
    return p.parent if str(p.parent) else Path(".")


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, ValueError, OSError):  # Windows, or the file system does not say
        return _NAME_MAX


def _probe(folder: Path, option: str, p: Path) -> None:
    """Create and remove a temp file in `folder`: the one check that /proc, a read-only mount or a
    folder without write permission (as root too) cannot fool."""
    try:
        fd, tmp = _create_temp(folder)
    except OSError as e:
        raise OutputError(f"{option} {p}: cannot create files in {folder} ({_problem(e)}).",
                          hint=_WRITE_HINT) from None
    os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _create_temp(folder: Path) -> tuple[int, Path]:
    """A new, empty file with a short name in `folder`, created with 0666 so the umask applies
    (mkstemp's 0600 would make every record private)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = folder / f".aipcprof-{secrets.token_hex(4)}.tmp"  # short: a 255-byte target name still fits
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _replace(p: Path, blob: bytes, old: os.stat_result | None) -> None:
    """Temp file, fsync, rename over `p`; a replaced file keeps its mode (and, as root, its owner)."""
    fd, tmp = _create_temp(_folder(p))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            if old is not None:
                _keep_mode(f.fileno(), old)
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _keep_mode(fd: int, old: os.stat_result) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if hasattr(os, "fchown") and hasattr(os, "geteuid") and os.geteuid() == 0 and old.st_uid != 0:
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            pass  # the content matters more than the owner


def _write_special(p: Path, st: os.stat_result, blob: bytes, label: str) -> None:
    """Write straight into a character device or FIFO (never a temp file + rename over it)."""
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise OutputError(f"{label}: is {_kind(st)}; refusing to write over it.", hint="Give a file name.")
    # A FIFO nobody reads would block forever: O_NONBLOCK makes the open fail (ENXIO) instead.
    fifo = stat.S_ISFIFO(st.st_mode)
    nonblock = getattr(os, "O_NONBLOCK", 0) if fifo else 0
    fd = os.open(p, os.O_WRONLY | nonblock | getattr(os, "O_BINARY", 0))
    try:
        if nonblock:
            os.set_blocking(fd, True)  # a reader is there: let it take the data at its pace
        view = memoryview(blob)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _problem(e: OSError) -> str:
    """An OSError in the words a user reads."""
    words = {errno.ENOSPC: "the disk is full", errno.EROFS: "read-only file system",
             errno.EACCES: "permission denied", errno.EPERM: "not permitted",
             errno.ENAMETOOLONG: "the name is too long", errno.ENXIO: "no process is reading it",
             errno.EISDIR: "is a folder", errno.ENOTDIR: "a part of the path is not a folder"}
    if getattr(errno, "EDQUOT", None) is not None:
        words[errno.EDQUOT] = "over the disk quota"
    return words.get(e.errno, e.strerror or str(e) or e.__class__.__name__)
