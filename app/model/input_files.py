"""`--input NAME=FILE.npy|.npz` files are untrusted: what they hold, read from headers only.

A .npy header declares the array's shape and dtype; numpy allocates that much
before it reads a byte of data. So a 128-byte file may declare 4 TB, and a
2 MB .npz member may inflate to 2 GB. `inspect_input_file` reads only the
header (for a .npz member: the first bytes of that member, decompressed) and
refuses, with one line naming the file, the member and the sizes:

* what is not a regular file (a folder, /dev/zero, a pipe), never opened;
* what is not a .npy/.npz (a text file, a pickle), by its first bytes;
* a header declaring more data than the file (or the zip member) holds;
* an array larger than the memory available.

The parent (CLI and desktop app: app.run.runner.ProfileRun) runs these checks
before it spawns a worker; the worker runs them again and checks the header
against the model's input before loading (app.model.synth_inputs).
"""

from __future__ import annotations

import math
import os
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from app.common.errors import InputSpecError
from app.common.fmt import fmt_bytes

NPY_MAGIC = npy_format.MAGIC_PREFIX  # b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members / an empty zip
MAX_HEADER = 10_000  # numpy's own default limit on a .npy header
MAX_LISTED = 8  # member names quoted in a message


@dataclass(frozen=True)
class ArrayHeader:
    """What a .npy (or one .npz member) declares, and what it really stores."""

    member: str | None  # the .npz key (member name without .npy); None for a .npy file
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int  # bytes the declared array takes in memory
    stored: int  # bytes of data the file or member holds after its header

    def describe(self) -> str:
        return f"shape {list(self.shape)} {self.dtype} ({fmt_bytes(self.nbytes)})"


def looks_like_file(text: str) -> bool:
    """Whether an --input value names a file (not a literal like 3 or 0.5)."""
    return text.lower().endswith((".npy", ".npz")) or "/" in text or "\\" in text or os.path.isfile(text)


def _bad(where: str, problem: str, hint: str = "Save a plain array with np.save(path, arr).") -> InputSpecError:
    return InputSpecError(f"{where}: {problem}.", hint=hint)


def _regular_file(path: Path, where: str) -> int:
    """The file's size, after refusing (without opening) what is not a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _bad(where, f"no such file {str(path)!r}", "Check the path.") from None
    except OSError as e:
        raise _bad(where, f"cannot read {str(path)!r} ({e.strerror or e.__class__.__name__})",
                   "Check the path and its permissions.") from None
    if stat.S_ISDIR(st.st_mode):
        raise _bad(where, f"{str(path)!r} is a folder, not a .npy/.npz file", "Pass the .npy or .npz file itself.")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a character device" if stat.S_ISCHR(st.st_mode) else "a block device" if stat.S_ISBLK(st.st_mode)
                else "a pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise _bad(where, f"{str(path)!r} is {kind}, not a .npy/.npz file", "Pass a .npy or .npz file.")
    return st.st_size


def _what_else(head: bytes) -> str:
    """A short description of a file that is neither .npy nor .npz, from its first bytes."""
    if not head:
        return "is empty (0 bytes)"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "is a Python pickle, not a .npy/.npz array; not loaded (unpickling can run code)"
    text = head[:40].decode("utf-8", errors="replace")
    if "\ufffd" not in text and all(c.isprintable() or c in "\r\n\t" for c in text):
        first = (text.strip().splitlines() or [""])[0][:30]
        return f"is a text file (starts with {first!r}), not a .npy/.npz array"
    return "is not a .npy/.npz array (no NumPy or zip signature)"


def _read_header(fp, where: str, stored_total: int, member: str | None) -> ArrayHeader:
    """Parse a .npy header from `fp` (positioned at its start); reads a few hundred bytes at most."""
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, _fortran, dtype = npy_format.read_array_header_1_0(fp, max_header_size=MAX_HEADER)
        elif version in ((2, 0), (3, 0)):
            shape, _fortran, dtype = npy_format.read_array_header_2_0(fp, max_header_size=MAX_HEADER)
        else:
            raise ValueError(f"unknown .npy format version {version}")
    except (ValueError, EOFError, OSError, SyntaxError, zipfile.BadZipFile) as e:
        raise _bad(where, f"{_member(member)}has a damaged .npy header ({str(e).splitlines()[0][:80]})") from None
    if dtype.hasobject:
        raise _bad(where, f"{_member(member)}holds Python objects (a pickle inside the .npy); not loaded "
                          f"(unpickling can run code)", "Save an array of numbers or str, not objects.")
    if any(d < 0 for d in shape):
        raise _bad(where, f"{_member(member)}declares a negative dimension {list(shape)}")
    nbytes = math.prod(shape) * dtype.itemsize
    return ArrayHeader(member, tuple(int(d) for d in shape), dtype, nbytes, max(0, stored_total - fp.tell()))


def _member(member: str | None) -> str:
    return f"member {member!r} " if member is not None else ""


def _npz_member(zf: zipfile.ZipFile, name: str, where: str, path: Path) -> zipfile.ZipInfo:
    """The member np.load(npz)[key] would read for input `name`: `name`.npy, or the only array."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    keys = {(i.filename[:-4] if i.filename.endswith(".npy") else i.filename): i for i in infos}
    if name in keys:
        return keys[name]
    if len(keys) == 1:
        return next(iter(keys.values()))
    listed = ", ".join(list(keys)[:MAX_LISTED]) + (f" (and {len(keys) - MAX_LISTED} more)" if len(keys) > MAX_LISTED else "")
    raise _bad(where, f"the .npz holds {listed or 'no arrays'} but none named {name!r}",
               f"Name the array after the input: np.savez(path, **{{{name!r}: arr}}).")


def _npz_header(path: Path, name: str, where: str) -> ArrayHeader:
    try:
        with zipfile.ZipFile(path) as zf:
            info = _npz_member(zf, name, where, path)
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.flag_bits & 0x1:
                raise _bad(where, f"member {key!r} is encrypted", "Save it with np.savez (no password).")
            with zf.open(info) as fp:  # decompresses only the bytes read: the header
                header = _read_header(fp, where, info.file_size, key)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as e:
        raise _bad(where, f"the file is not a readable .npz (zip) archive ({e.__class__.__name__})",
                   "Save it with np.savez(path, name=arr).") from None
    if header.nbytes > header.stored:
        raise _bad(where, f"member {key!r} declares {header.describe()} but holds only {fmt_bytes(header.stored)} "
                          f"of data (a damaged or forged .npz)", "Save the array again with np.savez.")
    return header


def _npy_header(path: Path, size: int, where: str) -> ArrayHeader:
    with open(path, "rb") as fp:
        header = _read_header(fp, where, size, None)
    if header.nbytes > header.stored:
        raise _bad(where, f"the header declares {header.describe()} but the file holds only "
                          f"{fmt_bytes(header.stored)} of data (a truncated or forged .npy)",
                   "Save the array again with np.save(path, arr).")
    return header


def _available_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - without the figure the runtime's own limit applies
        return None


def inspect_input_file(path: str | os.PathLike, name: str, where: str) -> ArrayHeader:
    """The header of the array `--input name=path` would load, checked; reads no array data.

    `where` starts every message (e.g. "--input ids=ids.npz").
    """
    p = Path(path)
    size = _regular_file(p, where)
    try:
        with open(p, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as e:
        raise _bad(where, f"cannot read {str(p)!r} ({e.strerror or e.__class__.__name__})",
                   "Check the file's permissions.") from None
    if head.startswith(NPY_MAGIC):
        header = _npy_header(p, size, where)
    elif head[:4] in ZIP_MAGICS:
        header = _npz_header(p, name, where)
    else:
        with open(p, "rb") as f:
            head = f.read(64)
        raise _bad(where, f"the file {_what_else(head)}")
    available = _available_memory()
    if available is not None and header.nbytes > available:
        raise _bad(where, f"{_member(header.member)}declares {header.describe()}, more than the "
                          f"{fmt_bytes(available)} of memory available", "Pass a smaller array.")
    return header


def check_input_files(inputs: Mapping[str, str], option: str = "--input") -> None:
    """Before a run: every --input that names a file holds a loadable array (headers only)."""
    for name, text in inputs.items():
        if looks_like_file(text):
            inspect_input_file(text, name, f"{option} {name}={text}")
