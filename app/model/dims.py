"""Where each input dim's value comes from, and the stated defaults for dims nobody set.

A run needs a number for every dim. In order of trust: the model fixes it
(`MODEL`), the user set it (`BOUND`: --shape, --dim, an --input array, the
GUI's editor), the model hints at it (`HINT`: metadata, value_info, the
channels its first Conv takes), it is a batch dim (`DEFAULT`: 1), or it looks
like an image side or a sequence length and takes a stated default
(`GUESSED`: 224 / 128; the run warns loudly). Anything else `NEEDS` a value and
the run refuses to start. A literal -1 or 0 in the model is dynamic, like `?`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import numpy as np

IMAGE_SIDE = 224  # a classifier's usual input side; detectors/OCR differ, hence the warning
IMAGE_CHANNELS = 3
SEQUENCE = 128
_BATCH_NAME = re.compile(r"(?i)^(nbatch|batch|batch_?size|bs|.*batch.*)$")
_BATCH_SHORT = re.compile(r"(?i)^(n|b)$")  # a batch only as the first dim (`n` elsewhere is a count)
_SEQ_NAME = re.compile(r"(?i)seq|len|token|sentence|past|total|position")
_SIDE_NAME = re.compile(r"(?i)^(h|w|height|width|img_?[hw]|image_?[hw]|.*[_\-.](h|w)|.*height|.*width)$")


class DimSource(str, Enum):
    """Where a dim's value comes from (the value is what the record and the GUI show)."""

    MODEL = "model"  # fixed in the model file
    BOUND = "bound"  # set by the user
    HINT = "hint"  # the model's own hint (metadata, value_info, what its first Conv/MatMul takes)
    DEFAULT = "default"  # a batch dim: 1
    GUESSED = "guessed"  # a stated default (image side 224, sequence 128): the run warns
    NEEDED = "needed"  # no value and no sensible default: the run refuses to start

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


@dataclass(frozen=True)
class DimValue:
    """One dim of one input: its value (None while NEEDED), where it comes from and why."""

    value: int | None
    source: DimSource
    why: str = ""  # "image default 224", "Conv 'conv0' takes 3 channels", "--dim seq=128"
    name: str | None = None  # the model's symbolic name, if it has one

    @property
    def label(self) -> str:
        """'model', 'bound', 'guessed (image default 224)', 'needs a value'."""
        if self.source is DimSource.NEEDED:
            return "needs a value"
        return f"{self.source.value} ({self.why})" if self.why and self.source is not DimSource.MODEL else \
            self.source.value

    def to_dict(self) -> dict:
        return {"value": self.value, "source": self.source.value, "why": self.why, "name": self.name,
                "label": self.label}


def is_batch(name: str | None, axis: int, rank: int) -> bool:
    """A batch dim: named like one, or an unnamed / `n` / `b` first dim of a tensor of rank >= 2."""
    if name and _BATCH_NAME.match(name):
        return True
    return axis == 0 and rank >= 2 and (not name or bool(_BATCH_SHORT.match(name)))


@dataclass(frozen=True)
class ImageLayout:
    channel_axis: int
    side_axes: tuple[int, int]  # (height, width)


def image_layout(dtype: np.dtype | None, shape: list, known: dict[int, int]) -> ImageLayout | None:
    """NCHW / NHWC for a 4-D float (or uint8) input; `known`: axis -> value already settled."""
    if shape is None or len(shape) != 4 or dtype is None or not (dtype.kind == "f" or dtype == np.uint8):
        return None
    nchw, nhwc = known.get(1), known.get(3)
    if nhwc in (1, 3, 4) and nchw not in (1, 3, 4):
        return ImageLayout(3, (1, 2))
    return ImageLayout(1, (2, 3))


def guess(name: str | None, axis: int, layout: ImageLayout | None) -> DimValue | None:
    """The stated default for a dim nobody set, or None (it then needs a value)."""
    if layout is not None and axis in layout.side_axes:
        return DimValue(IMAGE_SIDE, DimSource.GUESSED, f"image default {IMAGE_SIDE}", name)
    if layout is not None and axis == layout.channel_axis:
        return DimValue(IMAGE_CHANNELS, DimSource.GUESSED, f"image default {IMAGE_CHANNELS} channels", name)
    if name and _SIDE_NAME.match(name):
        return DimValue(IMAGE_SIDE, DimSource.GUESSED, f"image default {IMAGE_SIDE}", name)
    if name and _SEQ_NAME.search(name):
        return DimValue(SEQUENCE, DimSource.GUESSED, f"sequence default {SEQUENCE}", name)
    return None


def spatial_one(shape: list[int], layout: ImageLayout | None, sources: list[DimSource]) -> list[int]:
    """Side axes of an image input that are 1 by someone's choice (a model that fixes 1 means it)."""
    if layout is None or len(shape) != 4:
        return []
    return [a for a in layout.side_axes if shape[a] == 1 and sources[a] is not DimSource.MODEL]
