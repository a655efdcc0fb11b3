"""Shape resolution: a value for every input dim, and where it came from (app.model.dims).

Re-exported by app.model.inputs. `resolve_partial` takes --shape / --dim (and
arrays' shapes), then the model's hints, batch defaults and the stated guesses;
what is left needs a value. `resolve_shapes` is the strict form a run uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.common.errors import InputSpecError
from app.model.dims import DimSource, DimValue, guess, image_layout, is_batch, spatial_one

if TYPE_CHECKING:
    from app.model.inputs import Dim, IOSpec


@dataclass
class ShapeResolution:
    """What --shape / --dim, the model's hints and the defaults make of the model's input shapes."""

    shapes: dict[str, list[Dim]]  # per tensor input; ints where resolved (stated guesses included)
    bound: dict[str, int] = field(default_factory=dict)  # symbolic dim -> value
    defaulted: dict[str, int] = field(default_factory=dict)  # batch dims that took 1 ('x[0]' when unnamed)
    unresolved: list[str] = field(default_factory=list)  # one-line messages, first = most useful
    unresolved_dims: list[str] = field(default_factory=list)  # symbolic names (or 'x[1]' if unnamed)
    dims: dict[str, list[DimValue]] = field(default_factory=dict)  # per input with a rank: value + source
    guessed: dict[str, list[int]] = field(default_factory=dict)  # input -> axes that took a stated default

    def guess_labels(self) -> list[str]:
        """'x[2]=224', 'seq=128': each guessed dim once (a named dim by its name)."""
        labels = []
        for name, axes in self.guessed.items():
            for axis in axes:
                d = self.dims[name][axis]
                label = f"{d.name or f'{name}[{axis}]'}={d.value}"
                if label not in labels:
                    labels.append(label)
        return labels

    def open_dims(self) -> list[str]:
        """Dims nobody set: guessed ones and ones that need a value (names, or 'x[2]')."""
        out = []
        for name, axes in self.guessed.items():
            out += [self.dims[name][a].name or f"{name}[{a}]" for a in axes]
        return list(dict.fromkeys(out + self.unresolved_dims))

    def confirmed_shapes(self) -> dict[str, list[Dim]]:
        """The shapes with guessed dims left open (their name, or None): what is known, not assumed."""
        out = {}
        for name, shape in self.shapes.items():
            axes = set(self.guessed.get(name, []))
            out[name] = [self.dims[name][a].name if a in axes else d for a, d in enumerate(shape)]
        return out


def _check_names(option: str, given, valid: list[str], what: str) -> None:
    for name in given:
        if name not in valid:
            listing = ", ".join(valid) if valid else "(none)"
            raise InputSpecError(f"{option} {name}: the model has no {what} {name!r}.",
                                 hint=f"Its {what}s are: {listing}.")


def _bind(bound: dict, source: dict, dim: str, value: int, origin: str) -> None:
    if dim in bound and bound[dim] != value:
        raise InputSpecError(f"dim {dim!r} is {bound[dim]} from {source[dim]} but {value} from {origin}.",
                             hint="Make them agree: inputs sharing a dim name must have the same size.")
    bound[dim], source[dim] = value, origin


def _shape_origin(name: str, given: list[int]) -> str:
    return f"--shape {name}={','.join(map(str, given))}"


def _apply_shape(spec: IOSpec, given: list[int], bound: dict, source: dict) -> None:
    origin = _shape_origin(spec.name, given)
    if spec.shape is None:
        return
    if len(given) != len(spec.shape):
        raise InputSpecError(f"{origin}: input {spec.name!r} has rank {len(spec.shape)} {_show(spec.shape)} "
                             f"but the shape gives {len(given)} dims.",
                             hint=f"Give {len(spec.shape)} dims, e.g. --shape {spec.name}={_example(spec, bound)}.")
    for axis, (want, got) in enumerate(zip(spec.shape, given, strict=True)):
        if isinstance(want, int) and want != got:
            raise InputSpecError(f"{origin}: input {spec.name!r} dim {axis} is fixed at {want} in the model, "
                                 f"not {got}.", hint="Only symbolic dims can change; keep the fixed ones.")
        if isinstance(want, str):
            _bind(bound, source, want, got, origin)


def _show(shape: list[Dim]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _example(spec: IOSpec, bound: dict, row: list[DimValue | None] | None = None) -> str:
    def one(axis: int, d: Dim) -> str:
        if isinstance(d, int):
            return str(d)
        known = row[axis] if row else None
        value = known.value if known is not None and known.source is not DimSource.NEEDED else bound.get(d)
        return "N" if value is None else str(value)

    return ",".join(one(a, d) for a, d in enumerate(spec.shape or []))


def resolve_partial(specs: list[IOSpec], shapes: dict[str, list[int]] | None,
                    dims: dict[str, int] | None) -> ShapeResolution:
    """Resolve what can be; wrong options raise, dims with no value are listed in `unresolved`."""
    shapes, dims = shapes or {}, dims or {}
    tensors = [s for s in specs if s.kind == "tensor"]
    _check_names("--shape", shapes, [s.name for s in tensors], "input")
    symbolic = list(dict.fromkeys(d for s in tensors for d in s.symbolic_dims()))
    _check_names("--dim", dims, symbolic, "symbolic dim")
    bound, source = dict(dims), {d: f"--dim {d}={v}" for d, v in dims.items()}
    for spec in tensors:
        if spec.name in shapes:
            _apply_shape(spec, shapes[spec.name], bound, source)
    return _Resolver(tensors, shapes, bound, source).run()


class _Resolver:
    """Fills every open dim, most trusted source first; a named dim, once set, holds for every input."""

    def __init__(self, tensors: list[IOSpec], shapes: dict, bound: dict, source: dict) -> None:
        self.tensors, self.shapes = tensors, shapes
        self.res = ShapeResolution({}, bound)
        self.named = {d: DimValue(v, DimSource.BOUND, source[d], d) for d, v in bound.items()}
        self.rows: dict[str, list[DimValue | None]] = {}
        for spec in tensors:
            if spec.shape is None:
                continue
            given = shapes.get(spec.name)
            self.rows[spec.name] = [
                DimValue(d, DimSource.MODEL) if isinstance(d, int) else
                DimValue(given[a], DimSource.BOUND, _shape_origin(spec.name, given), d) if given is not None else
                self.named.get(d) if d else None
                for a, d in enumerate(spec.shape)]

    def _each_open(self) -> Iterator[tuple[IOSpec, int, Dim]]:
        for spec in self.tensors:
            row = self.rows.get(spec.name)
            for axis, d in enumerate(spec.shape or []):
                if row[axis] is None:
                    if d and d in self.named:
                        row[axis] = self.named[d]
                    else:
                        yield spec, axis, d

    def _settle(self, spec: IOSpec, axis: int, value: DimValue) -> None:
        self.rows[spec.name][axis] = value
        if value.name:
            self.named[value.name] = value
            self.res.bound[value.name] = value.value  # type: ignore[assignment]

    def run(self) -> ShapeResolution:
        for spec, axis, d in self._each_open():
            if (hint := spec.dim_hints.get(axis)) is not None:
                self._settle(spec, axis, DimValue(hint.value, DimSource.HINT, hint.why, d))
        for spec, axis, d in self._each_open():
            if is_batch(d, axis, len(spec.shape)):
                self._settle(spec, axis, DimValue(1, DimSource.DEFAULT, "batch 1", d))
                self.res.defaulted[d or f"{spec.name}[{axis}]"] = 1
        for spec, axis, d in self._each_open():
            known = {a: v.value for a, v in enumerate(self.rows[spec.name]) if v is not None}
            if (value := guess(d, axis, image_layout(spec.dtype, spec.shape, known))) is not None:
                self._settle(spec, axis, value)
        for spec in self.tensors:
            self.res.shapes[spec.name] = self._fill(spec)
        return self.res

    def _fill(self, spec: IOSpec) -> list[Dim]:
        res = self.res
        if spec.name in self.shapes and spec.shape is None:
            given = list(self.shapes[spec.name])
            res.dims[spec.name] = [DimValue(v, DimSource.BOUND, _shape_origin(spec.name, given)) for v in given]
            return given
        if spec.shape is None:
            res.unresolved.append(f"input {spec.name!r} has no shape in the model; "
                                  f"pass its whole shape with --shape {spec.name}=D1,D2")
            res.unresolved_dims.append(f"{spec.name}[?]")
            res.dims[spec.name] = []
            return []
        row, out = self.rows[spec.name], []
        for axis, d in enumerate(spec.shape):
            if row[axis] is not None:
                out.append(row[axis].value)
                continue
            row[axis] = DimValue(None, DimSource.NEEDED, "", d)
            out.append(d)
            fix = f"--dim {d}=N or " if d else ""
            what = f"({d!r}) is symbolic" if d else "is dynamic with no name"
            res.unresolved.append(f"input {spec.name!r} dim {axis} {what} and has no value; "
                                  f"pass {fix}--shape {spec.name}={_example(spec, res.bound, row)}")
            name = d or f"{spec.name}[{axis}]"
            if name not in res.unresolved_dims:
                res.unresolved_dims.append(name)
        res.dims[spec.name] = list(row)  # type: ignore[arg-type]  # every entry is set now
        guessed = [a for a, v in enumerate(row) if v.source is DimSource.GUESSED]
        if guessed:
            res.guessed[spec.name] = guessed
        return out


def resolve_shapes(specs: list[IOSpec], shapes: dict[str, list[int]] | None = None,
                   dims: dict[str, int] | None = None) -> dict[str, list[int]]:
    """Every tensor input's static shape, or InputSpecError naming what is missing."""
    return _resolve_all(specs, shapes, dims).shapes  # type: ignore[return-value]  # all ints here


def _check_tensors(specs: list[IOSpec]) -> None:
    for spec in specs:
        if spec.kind != "tensor":
            raise InputSpecError(f"input {spec.name!r} is a {spec.kind}, not a tensor.",
                                 hint="Only models with tensor inputs can be profiled; re-export it.")


def _resolve_all(specs: list[IOSpec], shapes: dict | None, dims: dict | None) -> ShapeResolution:
    _check_tensors(specs)
    res = resolve_partial(specs, shapes, dims)
    if res.unresolved:
        raise InputSpecError(res.unresolved[0] + ".")
    return res


def unit_sides(spec: IOSpec, res: ShapeResolution) -> list[int]:
    """Side axes of an image input that are 1 by someone's choice: a 1x1 'image' is rarely meant."""
    row = res.dims.get(spec.name, [])
    shape = res.shapes.get(spec.name, [])
    if len(row) != len(shape) or any(v.value is None for v in row):
        return []
    layout = image_layout(spec.dtype, spec.shape, {a: v.value for a, v in enumerate(row)})
    return spatial_one([int(d) for d in shape], layout, [v.source for v in row])  # type: ignore[arg-type]


