"""Calibration samples for `aipcprof quantize --calib DIR`, read by the eval's data-set reader (dataset.py).

The same folders as `aipcprof eval --data`: `.npy` files (single-input models),
`.npz` files keyed by input name, or images decoded with a `--preprocess`
recipe; class sub-folders are read too (their labels are not needed). Every
sample's header is checked against the model's inputs before any is used, and a
bad one stops the quantisation, named by file: calibrating on the wrong data
would silently give a bad model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.common.errors import InputSpecError, UserError
from app.model.dataset import Dataset, InputSlot, check_sample, load_sample, open_dataset, slots_of
from app.model.inputs import IOSpec
from app.model.preprocess import BadSample, parse_recipe


@dataclass
class Calibration:
    """The checked samples of a folder, in name order; each is read when the calibrator asks for it."""

    dataset: Dataset
    slots: list[InputSlot]
    preprocess: str | None = None  # the --preprocess recipe as given (images)
    option: str = "--calib"

    @property
    def folder(self) -> Path:
        return self.dataset.folder

    def __len__(self) -> int:
        return len(self.dataset.samples)

    def load(self, index: int) -> dict[str, np.ndarray]:
        ref = self.dataset.samples[index]
        try:
            return load_sample(self.dataset, ref, self.slots)[0]
        except BadSample as e:
            raise InputSpecError(f"{self.option} sample {ref.file}: {e}.",
                                 hint="Fix or remove it: every calibration sample is used.") from None

    def describe(self) -> str:
        """'32 samples from DIR' (+ the recipe): written into the quantised model's metadata."""
        recipe = f" (--preprocess {self.preprocess})" if self.preprocess else ""
        return f"{len(self)} samples from {self.folder}{recipe}"


def open_calibration(folder: str | Path, specs: list[IOSpec], preprocess: str | None = None,
                     option: str = "--calib") -> Calibration:
    """List and check the samples of `folder` for a model with inputs `specs`; UserError naming the bad file."""
    if any(s.kind != "tensor" for s in specs):
        raise UserError(f"{option}: the model has non-tensor inputs, which samples cannot feed.")
    recipe = parse_recipe(preprocess) if preprocess else None
    ds = open_dataset(str(folder), recipe=recipe, labelled=False, option=option)
    slots = slots_of(specs)
    for ref in ds.samples:
        try:
            check_sample(ds, ref, slots)
        except BadSample as e:
            raise InputSpecError(f"{option} sample {ref.file}: {e}.",
                                 hint="Fix or remove it: every calibration sample is used.") from None
    return Calibration(ds, slots, preprocess, option)
