"""JSON <-> dataclass conversion for the run record, driven by type hints.

Each record section is a plain dataclass that inherits `Section`; its fields
and their annotations are the schema. `from_json` checks every value against
its annotation and raises `RecordFormatError` naming the key path
("latency.p50: expected a number, got 'fast'") instead of letting a bad record
crash a view later. Unknown keys are ignored (a hand-edited or hostile record
cannot smuggle data into a section); NaN/inf are written as null (missing),
never as 0.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from typing import Any, ClassVar, TypeVar, Union

import numpy as np


class RecordFormatError(ValueError):
    """A record value does not match the schema; the message names its key path."""


class FloatArray(np.ndarray):
    """Annotation marker: a list of numbers (null = missing) held as a float64 array."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def convert(hint: Any, value: Any, path: str) -> Any:
    """`value` (parsed JSON) as `hint`, or RecordFormatError naming `path`."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(arg, value, path)
            except RecordFormatError as e:
                errors.append(str(e))
        raise RecordFormatError(errors[0] if errors else f"{path}: unexpected {_describe(value)}")
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise RecordFormatError(f"{path}: expected a list, got {_describe(value)}")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return [convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise RecordFormatError(f"{path}: expected an object, got {_describe(value)}")
        _, item = typing.get_args(hint) or (str, Any)
        return {str(k): convert(item, v, f"{path}.{k}") for k, v in value.items()}
    if hint is FloatArray:
        if isinstance(value, np.ndarray):
            return value.astype(np.float64, copy=False)
        if not isinstance(value, list | tuple):
            raise RecordFormatError(f"{path}: expected a list of numbers, got {_describe(value)}")
        for i, v in enumerate(value):  # a nested list or a bool would pass np.array() silently
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise RecordFormatError(f"{path}[{i}]: expected a number, got {_describe(v)}")
        try:
            return np.array([math.nan if v is None else v for v in value], dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise RecordFormatError(f"{path}: expected a list of numbers") from None
    if isinstance(hint, type) and issubclass(hint, Section):
        return hint.from_json(value, path)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in hint)
            raise RecordFormatError(f"{path}: {_describe(value)} is not one of {allowed}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise RecordFormatError(f"{path}: expected true/false, got {_describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordFormatError(f"{path}: expected an integer, got {_describe(value)}")
        return value
    if hint is float:
        if value is None:  # NaN and infinity are stored as null
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordFormatError(f"{path}: expected a number, got {_describe(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise RecordFormatError(f"{path}: expected text, got {_describe(value)}")
        return value
    raise TypeError(f"no JSON conversion for {hint!r} at {path}")  # a schema bug, not bad data


def to_json(value: Any) -> Any:
    """Plain JSON types: sections to objects, enums to values, NaN/inf to null, arrays to lists."""
    if isinstance(value, Section):
        return value.to_json()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [x if math.isfinite(x) else None for x in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return to_json(value.item())
    return value


S = TypeVar("S", bound="Section")


class Section:
    """Base of every record section dataclass: typed `from_json` and `to_json`."""

    # Keys written even when their value is the default None (the rest are left out when None).
    ALWAYS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_json(cls: type[S], data: Any, path: str = "") -> S:
        path = path or cls.__name__
        if not isinstance(data, dict):
            raise RecordFormatError(f"{path}: expected an object, got {_describe(data)}")
        hints = _hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                kwargs[f.name] = convert(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordFormatError(f"{path}.{f.name}: missing")
        return cls(**kwargs)

    def to_json(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.name not in self.ALWAYS:
                continue
            out[f.name] = to_json(value)
        return out
