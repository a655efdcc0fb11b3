"""Images as model inputs: the `--preprocess` recipe and its application with Pillow.

    resize=224,crop=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=NCHW,color=RGB,scale=1/255

Steps, in this order: decode, convert to `color` (RGB or L), `resize` (one
number: the shorter side, keeping the aspect ratio; WxH: exactly), centre
`crop` (one number: square; WxH), then as float32: multiply by `scale`,
subtract `mean`, divide by `std` (per channel), lay out as NCHW or NHWC and
add the batch axis. `dtype=uint8` keeps the pixels as bytes (no scale, mean
or std). Boxes predicted in the model input's pixels map back to the original
image with `to_original` (detection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.common.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".ppm", ".pgm")
_KEYS = ("resize", "crop", "mean", "std", "layout", "color", "scale", "dtype")


class BadSample(Exception):
    """One sample cannot be used; the message says why (the file is named by the caller)."""


@dataclass(frozen=True)
class Recipe:
    resize: tuple[int, int] | int | None = None  # int: the shorter side; (w, h): exactly
    crop: tuple[int, int] | None = None  # (w, h), centred
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    layout: str = "NCHW"
    color: str = "RGB"
    scale: float = 1.0
    dtype: str = "float32"
    text: str = ""

    @property
    def channels(self) -> int:
        return 1 if self.color == "L" else 3


@dataclass
class Geometry:
    """How one image's pixels were moved: original size, resize factors, crop offset (for boxes)."""

    width: int
    height: int
    sx: float = 1.0
    sy: float = 1.0
    left: float = 0.0
    top: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_original(self, boxes: np.ndarray) -> np.ndarray:
        """x1 y1 x2 y2 boxes in the model input's pixels -> the original image's pixels."""
        out = np.asarray(boxes, np.float64).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] + self.left) / self.sx
        out[:, [1, 3]] = (out[:, [1, 3]] + self.top) / self.sy
        return out


def _bad(part: str, problem: str) -> UserError:
    return UserError(f"--preprocess {part}: {problem}",
                     hint="Example: resize=224,crop=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,"
                          "layout=NCHW,color=RGB,scale=1/255.")


def _size(part: str, value: str) -> tuple[int, int] | int:
    try:
        if "x" in value:
            w, h = (int(v) for v in value.split("x", 1))
            if w > 0 and h > 0:
                return (w, h)
        elif int(value) > 0:
            return int(value)
    except ValueError:
        pass
    raise _bad(part, "expected a size in pixels (224) or WxH (320x240).")


def _numbers(part: str, value: str) -> tuple[float, ...]:
    try:
        return tuple(float(Fraction(v)) for v in value.split("/"))
    except (ValueError, ZeroDivisionError):
        raise _bad(part, "expected numbers separated by '/' (0.485/0.456/0.406).") from None


def parse_recipe(text: str) -> Recipe:
    """The recipe from its text; a wrong part is a UserError naming it."""
    values: dict = {"text": text}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in _KEYS:
            raise _bad(part, f"expected KEY=VALUE with KEY one of {', '.join(_KEYS)}.")
        value = value.strip()
        if key in ("resize", "crop"):
            size = _size(part, value)
            values[key] = (size, size) if key == "crop" and isinstance(size, int) else size
        elif key in ("mean", "std"):
            values[key] = _numbers(part, value)
        elif key == "scale":
            try:
                values[key] = float(Fraction(value))
            except (ValueError, ZeroDivisionError):
                raise _bad(part, "expected a number or a fraction (1/255).") from None
        elif key == "layout" and value.upper() in ("NCHW", "NHWC"):
            values[key] = value.upper()
        elif key == "color" and value.upper() in ("RGB", "BGR", "L", "GRAY"):
            values[key] = "L" if value.upper() == "GRAY" else value.upper()
        elif key == "dtype" and value.lower() in ("float32", "uint8"):
            values[key] = value.lower()
        else:
            raise _bad(part, {"layout": "expected NCHW or NHWC.", "color": "expected RGB, BGR or L.",
                              "dtype": "expected float32 or uint8."}[key])
    recipe = Recipe(**values)
    channels = recipe.channels
    for key in ("mean", "std"):
        got = getattr(recipe, key)
        if got and len(got) not in (1, channels):
            raise _bad(f"{key}={'/'.join(f'{v:g}' for v in got)}", f"give 1 or {channels} values for color={recipe.color}.")
    if any(v == 0 for v in recipe.std):
        raise _bad("std", "a standard deviation of 0 divides by zero.")
    return recipe


def _resized(img, recipe: Recipe, geo: Geometry):
    from PIL import Image

    if recipe.resize is None:
        return img
    if isinstance(recipe.resize, int):
        short = min(img.width, img.height)
        w = max(1, round(img.width * recipe.resize / short))
        h = max(1, round(img.height * recipe.resize / short))
    else:
        w, h = recipe.resize
    geo.sx, geo.sy = w / img.width, h / img.height
    return img.resize((w, h), Image.BILINEAR)


def _cropped(img, recipe: Recipe, geo: Geometry):
    if recipe.crop is None:
        return img
    w, h = recipe.crop
    if w > img.width or h > img.height:
        raise BadSample(f"the image is {img.width}x{img.height} after resizing, smaller than crop={w}x{h}")
    left, top = (img.width - w) // 2, (img.height - h) // 2
    geo.left, geo.top = left, top
    return img.crop((left, top, left + w, top + h))


def load_image(path: Path, recipe: Recipe) -> tuple[np.ndarray, Geometry]:
    """The image as one model input (batch axis first), and how its pixels were moved."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as raw:
            raw.load()
            img = raw.convert("L" if recipe.color == "L" else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise BadSample(f"not a readable image ({e.__class__.__name__})") from None
    geo = Geometry(img.width, img.height)
    img = _cropped(_resized(img, recipe, geo), recipe, geo)
    pixels = np.asarray(img)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if recipe.color == "BGR":
        pixels = pixels[:, :, ::-1]
    if recipe.dtype == "uint8":
        array = np.ascontiguousarray(pixels, dtype=np.uint8)
    else:
        array = pixels.astype(np.float32) * np.float32(recipe.scale)
        if recipe.mean:
            array -= np.asarray(recipe.mean, np.float32)
        if recipe.std:
            array /= np.asarray(recipe.std, np.float32)
    if recipe.layout == "NCHW":
        array = array.transpose(2, 0, 1)
    return np.ascontiguousarray(array[None]), geo
