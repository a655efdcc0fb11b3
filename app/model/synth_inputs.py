"""Input data: arrays from --input (file or value) and deterministic synthetic arrays.

Re-exported by app.model.inputs; kept apart so each module stays small. Ranges
follow what real models expect: token ids below the vocabulary size, masks of
ones, position ids counting up, images in [0, 1), small loop counts.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import ml_dtypes
import numpy as np

from app.common.errors import InputSpecError
from app.model.input_files import ArrayHeader, inspect_input_file, looks_like_file

if TYPE_CHECKING:
    from app.model.inputs import IOSpec

_IMAGE = re.compile(r"(?i)image|pixel|img|picture|photo")
_IDS = re.compile(r"(?i)ids|token|index|indices")
_LENGTH = re.compile(r"(?i)length|lens\b|seqlen|_len\b")
_SEQ_DIM = re.compile(r"(?i)seq|len|token")
# Recurrent state (an RNN's h/c, a streaming model's `state`): a fresh stream starts from zeros.
_STATE = re.compile(r"(?i)(^|[_.\-/])(state|h|c|h0|c0|hn|cn|hx|cx|hidden|cell)$")
SCALAR_COUNT = 3  # a loop trip count or similar: small, so control flow stays cheap
DEFAULT_VOCAB = 100  # id range when no embedding table reveals the vocabulary


def _rng(seed: int, name: str) -> np.random.Generator:
    """One stream per input, so adding an input never changes another's data."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _int_max(dtype: np.dtype) -> int:
    try:
        return int(np.iinfo(dtype).max)
    except ValueError:
        return int(ml_dtypes.iinfo(dtype).max)


def _is_int(dtype: np.dtype) -> bool:
    return dtype.kind in "iu" or dtype in (np.dtype(ml_dtypes.int4), np.dtype(ml_dtypes.uint4))


def _float(spec: IOSpec, shape: list[int], rng: np.random.Generator) -> tuple[np.ndarray, str]:
    if _STATE.search(spec.name):
        return np.zeros(shape, spec.dtype), "zeros (recurrent state)"
    if _IMAGE.search(spec.name):
        values, how = rng.random(shape), "uniform [0, 1) (image)"
    else:
        values, how = rng.standard_normal(shape), "standard normal"
    if spec.dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(spec.dtype), how


def _int(spec: IOSpec, shape: list[int], rng: np.random.Generator, seq_hint: int) -> tuple[np.ndarray, str]:
    name, top = spec.name.lower(), _int_max(spec.dtype) + 1
    if "position" in name or "pos_ids" in name:
        count = shape[-1] if shape else 1
        values = np.broadcast_to(np.arange(count) % (spec.index_limit or count or 1), shape)
        return values.astype(spec.dtype), "arange (positions)"
    if "token_type" in name or "segment" in name:
        return np.zeros(shape, spec.dtype), "zeros (token types)"
    if _IDS.search(name):
        high = min(spec.index_limit or DEFAULT_VOCAB, top)
        source = "vocabulary of the table it indexes" if spec.index_limit else "default vocabulary"
        return rng.integers(0, high, shape).astype(spec.dtype), f"ids in [0, {high}) ({source})"
    if _LENGTH.search(name):
        return np.full(shape, min(seq_hint, top - 1), spec.dtype), f"{min(seq_hint, top - 1)} (lengths)"
    if not shape:
        return np.array(min(SCALAR_COUNT, top - 1), spec.dtype), f"{SCALAR_COUNT} (scalar count)"
    high = 256 if spec.dtype == np.uint8 else min(10, top)
    return rng.integers(0, high, shape).astype(spec.dtype), f"integers in [0, {high})"


def _one(spec: IOSpec, shape: list[int], rng: np.random.Generator, seq_hint: int) -> tuple[np.ndarray, str]:
    kind = spec.dtype.kind if spec.dtype is not None else ""
    if spec.dtype is None or spec.kind != "tensor":
        raise InputSpecError(f"input {spec.name!r} is a {spec.dtype_name}; no data can be made for it.",
                             hint=f"Pass it with --input {spec.name}=FILE.npy, or re-export the model.")
    if kind == "b":
        if not shape or "mask" in spec.name.lower():
            return np.ones(shape, bool), "True" if not shape else "all True (mask)"
        return rng.random(shape) < 0.5, "random booleans"
    if kind == "O":
        flat = np.array([f"sample text {i}" for i in range(int(np.prod(shape, dtype=np.int64)))], dtype=object)
        return flat.reshape(shape), "'sample text N' strings"
    if "mask" in spec.name.lower():
        return np.ones(shape, spec.dtype), "ones (mask)"
    if _is_int(spec.dtype):
        return _int(spec, shape, rng, seq_hint)
    return _float(spec, shape, rng)


def _seq_hint(specs: list[IOSpec], shapes: dict[str, list[int]]) -> int:
    """The sequence length in use (from dims named like seq/len), for length inputs."""
    hint = 1
    for spec in specs:
        for axis, d in enumerate(spec.shape or []):
            if isinstance(d, str) and _SEQ_DIM.search(d) and spec.name in shapes and axis < len(shapes[spec.name]):
                hint = max(hint, shapes[spec.name][axis])
    return hint


def synthesize_inputs(specs: list[IOSpec], resolved_shapes: dict[str, list[int]], seed: int = 0,
                      provided: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """name -> array for every input: `provided` ones checked and used as-is, the rest made up."""
    return synthesize_with_sources(specs, resolved_shapes, seed, provided)[0]


def synthesize_with_sources(specs: list[IOSpec], resolved_shapes: dict[str, list[int]], seed: int = 0,
                            provided: dict[str, np.ndarray] | None = None
                            ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Like synthesize_inputs, plus name -> how each array was made (for the run record)."""
    provided = provided or {}
    feeds, sources = {}, {}
    hint = _seq_hint(specs, resolved_shapes)
    for spec in specs:
        if spec.name not in resolved_shapes:
            raise InputSpecError(f"input {spec.name!r} has no resolved shape.",
                                 hint=f"Pass --shape {spec.name}=D1,D2,...")
        shape = [int(d) for d in resolved_shapes[spec.name]]
        if spec.name in provided:
            feeds[spec.name], sources[spec.name] = check_provided(spec, provided[spec.name], shape), "provided"
            continue
        need = spec.needs_value
        if need is not None and need.default is not None:  # a value the model itself justifies
            feeds[spec.name] = check_provided(spec, _literal(need.default, spec), shape)
            sources[spec.name] = f"{need.default} ({need.why})"
            continue
        if need is not None:  # a sample rate: a made-up one would mislead
            raise InputSpecError(f"input {spec.name!r} needs a value: it is {need.what}.",
                                 hint=f"Pass --input {spec.name}={need.example} (or the value your data uses).")
        feeds[spec.name], how = _one(spec, shape, _rng(seed, spec.name), hint)
        sources[spec.name] = f"synthesized: {how}, seed {seed}"
    return feeds, sources


def check_provided(spec: IOSpec, array: np.ndarray, shape: list[int]) -> np.ndarray:
    """The user's array if it fits the input (a scalar fills the whole shape), else InputSpecError."""
    array = np.asarray(array)
    if spec.dtype is not None and spec.dtype.kind == "O":
        if array.dtype.kind not in "USO":
            raise _mismatch(spec, f"holds {array.dtype} values but the model wants strings",
                            "Save an array of str, e.g. np.array(['a', 'b']).")
        array = array.astype(object)
    elif array.dtype != spec.dtype:
        raise _mismatch(spec, f"is {array.dtype} but the model wants {spec.dtype_name}",
                        f"Convert it: np.save(path, arr.astype(np.{spec.dtype.name})).")
    if array.ndim == 0 and shape:
        return np.full(shape, array, dtype=array.dtype)
    if list(array.shape) != list(shape):
        given = ",".join(map(str, array.shape))
        raise _mismatch(spec, f"has shape {list(array.shape)} but the run uses {list(shape)}",
                        f"Pass --shape {spec.name}={given} to run at the array's shape, or save a "
                        f"{list(shape)} array.")
    return array


def _mismatch(spec: IOSpec, problem: str, hint: str) -> InputSpecError:
    return InputSpecError(f"--input {spec.name}: the array {problem}.", hint=hint)


def load_input_value(text: str, spec: IOSpec, shape: list | None = None) -> np.ndarray:
    """An --input value: FILE.npy, FILE.npz (key = input name or its only array) or a literal.

    `shape`: the input's shape as far as --shape/--dim fix it (ints where known); a file's
    declared array must fit it before a byte of it is loaded.
    """
    if looks_like_file(text):
        return _load_file(Path(text), spec, spec.shape if shape is None else shape)
    return _literal(text, spec)


def _load_file(path: Path, spec: IOSpec, shape: list | None) -> np.ndarray:
    """Check the header (kind, sizes, memory, the input's dtype and known dims), then load that array only."""
    where = f"--input {spec.name}={path}"
    header = inspect_input_file(path, spec.name, where)
    _check_header_fits(spec, header, where, shape)
    try:
        data = np.load(path, allow_pickle=False)  # never unpickle: a .npy can carry code
        if isinstance(data, np.ndarray):
            return data
        with data:
            return data[header.member]
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise InputSpecError(f"{where}: the array could not be read ({e.__class__.__name__}: "
                             f"{str(e).splitlines()[0][:80] if str(e) else 'damaged data'}).",
                             hint="Save it again with np.save(path, arr).") from None


def _check_header_fits(spec: IOSpec, header: ArrayHeader, where: str, shape: list | None) -> None:
    """The declared array against the input (dtype, rank, every known dim), before a byte of it is loaded."""
    member = f" member {header.member!r}" if header.member is not None else ""
    wanted = spec.dtype
    if wanted is not None and not (wanted.kind == "O" and header.dtype.kind in "US") and header.dtype != wanted:
        raise InputSpecError(f"{where}:{member} holds {header.describe()} but the model wants {spec.dtype_name}.",
                             hint=f"Convert it: np.save(path, arr.astype(np.{wanted.name})).")
    if not header.shape or shape is None:
        return  # a scalar fills any shape; a rank-less input takes any
    fixed_ok = all(not isinstance(w, int) or w == g for w, g in zip(shape, header.shape, strict=False))
    if len(header.shape) != len(shape) or not fixed_ok:
        want = "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
        raise InputSpecError(f"{where}:{member} declares {header.describe()} but the run needs {want} "
                             f"(the model's shape, with --shape/--dim applied); not loaded.",
                             hint="Save an array of that shape (symbolic dims may take any size).")


def _literal(text: str, spec: IOSpec) -> np.ndarray:
    """A single value, cast to the input's dtype (it fills the whole shape)."""
    dtype, low = spec.dtype, text.strip().lower()
    try:
        if dtype is None:
            raise ValueError
        if dtype.kind == "O":
            return np.array(text, dtype=object)
        if dtype.kind == "b":
            return np.array({"true": True, "1": True, "false": False, "0": False}[low])
        if _is_int(dtype):
            value = int(low)
            if not -_int_max(dtype) - 1 <= value <= _int_max(dtype) or (dtype.kind == "u" and value < 0):
                raise ValueError
            return np.array(value).astype(dtype)
        return np.array(float(low)).astype(dtype)
    except (ValueError, KeyError):
        raise InputSpecError(f"--input {spec.name}={text}: {text!r} is neither a file nor a "
                             f"{spec.dtype_name} value.",
                             hint=f"Pass FILE.npy, FILE.npz or one value, e.g. --input {spec.name}=1.") from None
