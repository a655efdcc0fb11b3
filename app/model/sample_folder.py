"""A folder of input samples (`--calib DIR`): one `.npy` (single-input models) or `.npz` per sample.

A `.npz` holds one array per model input, keyed by the input's name (or a single array
for a single-input model). Every sample is checked against the model's inputs (rank,
fixed dims, dtype) by its headers before any is used, and a bad one is named by file:
calibrating on the wrong data would silently give a bad model. (The `eval --data`
loader of issue 13 part 1 reads richer datasets; this one is only what quantisation
and the layer-wise check need.)
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.common.errors import InputSpecError, UserError
from app.model.input_files import inspect_input_file
from app.model.inputs import IOSpec

SUFFIXES = (".npy", ".npz")


@dataclass
class SampleFolder:
    """The checked sample files of a folder, in name order; arrays are loaded one sample at a time."""

    folder: Path
    files: list[Path]
    specs: list[IOSpec]
    option: str = "--calib"

    def __len__(self) -> int:
        return len(self.files)

    def load(self, index: int) -> dict[str, np.ndarray]:
        path = self.files[index]
        return {s.name: _load(path, s, self._where(path)) for s in self.specs}

    def _where(self, path: Path) -> str:
        return f"{self.option} {self.folder}: sample {path.name}"


def open_sample_folder(folder: str | Path, specs: list[IOSpec], option: str = "--calib") -> SampleFolder:
    """List and check the samples of `folder` for a model with inputs `specs`; UserError naming the bad file."""
    p = Path(folder)
    if not p.is_dir():
        raise UserError(f"{option} {p}: not a folder.", hint="Pass a folder of .npy/.npz samples, one per file.")
    files = sorted(f for f in p.iterdir() if f.suffix.lower() in SUFFIXES and f.is_file())
    if not files:
        raise UserError(f"{option} {p}: the folder holds no .npy or .npz sample.",
                        hint="Save one sample per file with np.save / np.savez (input names as keys).")
    tensors = [s for s in specs if s.kind == "tensor"]
    if len(tensors) != len(specs):
        raise UserError(f"{option}: the model has non-tensor inputs, which samples cannot feed.")
    samples = SampleFolder(p, files, specs, option)
    for f in files:
        for s in specs:
            _check_header(f, s, samples._where(f))
    return samples


def _check_header(path: Path, spec: IOSpec, where: str) -> None:
    header = inspect_input_file(path, spec.name, where)
    if spec.dtype is not None and header.dtype != spec.dtype:
        raise InputSpecError(f"{where}: input {spec.name!r} is {header.dtype} but the model wants {spec.dtype_name}.",
                             hint=f"Convert it: arr.astype(np.{spec.dtype.name}).")
    if spec.shape is None:
        return
    fixed_ok = all(not isinstance(w, int) or w == g for w, g in zip(spec.shape, header.shape, strict=False))
    if len(header.shape) != len(spec.shape) or not fixed_ok:
        want = "[" + ", ".join(str(d) for d in spec.shape) + "]"
        raise InputSpecError(f"{where}: input {spec.name!r} has shape {list(header.shape)} but the model wants "
                             f"{want}.", hint="Save arrays of the model's input shape (one sample per file).")


def _load(path: Path, spec: IOSpec, where: str) -> np.ndarray:
    header = inspect_input_file(path, spec.name, where)
    try:
        data = np.load(path, allow_pickle=False)  # never unpickle: a .npy can carry code
        if isinstance(data, np.ndarray):
            return data
        with data:
            return data[header.member]
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise InputSpecError(f"{where}: the array could not be read ({type(e).__name__}).",
                             hint="Save it again with np.save / np.savez.") from None
