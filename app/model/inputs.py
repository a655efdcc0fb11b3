"""Model inputs for a run: what the model wants, the user's options, and synthetic data.

Flow: `model_inputs(model)` -> `parse_*_options(...)` -> `prepare_inputs(...)`, which
resolves shapes (`resolve_shapes`), loads `--input` arrays (`load_input_value`)
and synthesises the rest (`synthesize_inputs`, deterministic for a seed).
Every user mistake is a one-line InputSpecError naming the option and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper

from app.common.errors import InputSpecError
from app.model.dims import DimValue
from app.model.shape_hints import DimHint, ValueNeed, dim_hints, rate_need, value_needs
from app.model.shape_resolution import (  # noqa: F401  (re-exported: the public API lives here)
    ShapeResolution,
    _check_names,
    _check_tensors,
    _resolve_all,
    _show,
    resolve_partial,
    resolve_shapes,
    unit_sides,
)
from app.model.synth_inputs import (  # noqa: F401  (re-exported: the public API lives here)
    check_provided,
    load_input_value,
    synthesize_inputs,
    synthesize_with_sources,
)

Dim = int | str | None  # fixed size, symbolic name, or dynamic without a name (a literal -1 or 0 too)
_KINDS = {"sequence_type": "sequence", "map_type": "map", "optional_type": "optional",
          "sparse_tensor_type": "sparse tensor"}


@dataclass
class IOSpec:
    """One model input or output as the runtime sees it."""

    name: str
    elem_type: int  # onnx TensorProto.DataType (0 when not a tensor)
    dtype: np.dtype | None  # numpy dtype; ml_dtypes for bfloat16 / float8 / int4
    shape: list[Dim] | None  # None: the model gives no rank
    kind: str = "tensor"  # "tensor" | "sequence" | "map" | "optional" | "sparse tensor"
    index_limit: int | None = None  # rows of the embedding table this input indexes, if found
    dim_hints: dict[int, DimHint] = field(default_factory=dict)  # axis -> the size the model gives an open dim
    needs_value: ValueNeed | None = None  # a sample rate: synthetic data would mislead (see shape_hints)

    @property
    def dtype_name(self) -> str:
        return dtype_name(self.elem_type) if self.kind == "tensor" else self.kind

    def symbolic_dims(self) -> list[str]:
        return [d for d in self.shape or [] if isinstance(d, str)]

    def to_dict(self) -> dict:
        return {"name": self.name, "dtype": self.dtype_name, "shape": self.shape}


def dtype_name(elem_type: int) -> str:
    """'float32', 'float16', 'bfloat16', 'int8', 'int4', 'bool', 'string', ..."""
    special = {TensorProto.FLOAT: "float32", TensorProto.DOUBLE: "float64", TensorProto.UNDEFINED: "undefined"}
    try:
        return special.get(elem_type) or TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return f"type{elem_type}"


def spec_from_value_info(vi: onnx.ValueInfoProto, limits: dict[str, int] | None = None) -> IOSpec:
    """An IOSpec from a graph input/output; `limits`: input name -> index bound (see model_inputs)."""
    which = vi.type.WhichOneof("value")
    if which != "tensor_type":
        return IOSpec(vi.name, 0, None, None, kind=_KINDS.get(which or "", "unknown"))
    tt = vi.type.tensor_type
    shape = None
    if tt.HasField("shape"):
        shape = [_dim(d) for d in tt.shape.dim]
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type))
    except (KeyError, TypeError):
        dtype = None
    return IOSpec(vi.name, tt.elem_type, dtype, shape, index_limit=(limits or {}).get(vi.name),
                  needs_value=rate_need(vi.name, dtype, shape))


def _dim(d: onnx.TensorShapeProto.Dimension) -> Dim:
    """A fixed size, a symbolic name, or None: exporters such as paddle2onnx write -1 (or 0) for dynamic."""
    if d.HasField("dim_value"):
        return d.dim_value if d.dim_value > 0 else None
    return d.dim_param or None


def model_inputs(model: onnx.ModelProto) -> list[IOSpec]:
    """The inputs a run must feed (initializers listed as inputs are left out), with the model's hints."""
    g = model.graph
    stored = {t.name for t in g.initializer} | {s.values.name for s in g.sparse_initializer}
    limits = _index_limits(g)
    specs = [spec_from_value_info(vi, limits) for vi in g.input if vi.name not in stored]
    hints, needs = dim_hints(model, specs), value_needs(model, specs)
    for spec in specs:
        spec.dim_hints = hints.get(spec.name, {})
        spec.needs_value = needs.get(spec.name, spec.needs_value)
    return specs


def model_outputs(model: onnx.ModelProto) -> list[IOSpec]:
    return [spec_from_value_info(vi, {}) for vi in model.graph.output]


# Ops an id tensor passes through unchanged in value range, on its way to a table lookup.
_PASS = {"Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity", "Expand"}
# op -> (position of the ids, position of the table)
_LOOKUPS = {"Gather": (1, 0), "EmbedLayerNormalization": (0, 2)}


def _index_limits(g: onnx.GraphProto) -> dict[str, int]:
    """Input name -> rows of the initializer table its values index (Gather / embedding)."""
    inits = {t.name: t for t in g.initializer}
    made_by = {o: n for n in g.node for o in n.output}
    users: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    limits = {}
    for vi in g.input:
        frontier, rows = [vi.name], []
        for _ in range(4):  # a few hops through Cast/Reshape/... is enough in practice
            nxt = []
            for name in frontier:
                for n in users.get(name, []):
                    if n.op_type in _PASS:
                        nxt.append(n.output[0])
                    elif n.op_type in _LOOKUPS and _at(n, _LOOKUPS[n.op_type][0]) == name:
                        rows.append(_table_rows(n, inits, made_by))
            frontier = nxt
        rows = [r for r in rows if r]
        if rows:
            limits[vi.name] = min(rows)
    return limits


def _at(node: onnx.NodeProto, i: int) -> str:
    return node.input[i] if i < len(node.input) else ""


def _table_rows(node: onnx.NodeProto, inits: dict, made_by: dict) -> int | None:
    table = _at(node, _LOOKUPS[node.op_type][1])
    src = made_by.get(table)
    if table not in inits and src is not None and src.op_type in ("DequantizeLinear", "Cast", "Identity"):
        table = src.input[0]  # quantised or cast embedding table
    t = inits.get(table)
    if t is None or not t.dims:
        return None
    axis = next((a.i for a in node.attribute if a.name == "axis"), 0) if node.op_type == "Gather" else 0
    return int(t.dims[axis % len(t.dims)])


# --- option parsing -----------------------------------------------------------

_FORMS = {
    "--shape": ("NAME=D1,D2,...", "--shape image=1,3,224,224"),
    "--dim": ("NAME=N", "--dim seq=128"),
    "--input": ("NAME=FILE.npy, NAME=FILE.npz or NAME=VALUE", "--input trips=3"),
}


def _bad(option: str, text: str, problem: str) -> InputSpecError:
    form, example = _FORMS[option]
    return InputSpecError(f"{option} {text!r}: {problem}.", hint=f"Use {option} {form}, e.g. {example}.")


def _split(option: str, text: str, first: bool = False) -> tuple[str, str]:
    name, sep, value = text.partition("=") if first else text.rpartition("=")
    if not sep or not name.strip() or not value.strip():
        raise _bad(option, text, "expected NAME=VALUE")
    return name.strip(), value.strip()


def _count(option: str, text: str, word: str) -> int:
    if not re.fullmatch(r"\d+", word.strip()):
        raise _bad(option, text, f"{word.strip()!r} is not a whole number >= 0")
    return int(word)


def parse_shape_option(text: str) -> tuple[str, list[int]]:
    """'image=1,3,224,224' (also '[1,3,224,224]' or '1x3x224x224'; '[]' for a scalar)."""
    name, value = _split("--shape", text)
    value = value.strip("[]() ")
    return name, [_count("--shape", text, w) for w in re.split(r"[,x]", value)] if value else []


def parse_dim_option(text: str) -> tuple[str, int]:
    """'seq=128'."""
    name, value = _split("--dim", text)
    return name, _count("--dim", text, value)


def parse_input_option(text: str) -> tuple[str, str]:
    """'ids=ids.npy' -> ('ids', 'ids.npy'); the value is read by load_input_value."""
    return _split("--input", text, first=True)


def _parse_all(option: str, texts: list[str] | None, parse) -> dict:
    out: dict = {}
    for text in texts or []:
        name, value = parse(text)
        if name in out and out[name] != value:
            raise InputSpecError(f"{option} {name} is given twice ({out[name]} and {value}).",
                                 hint=f"Pass {option} {name}=... once.")
        out[name] = value
    return out


def parse_shape_options(texts: list[str] | None) -> dict[str, list[int]]:
    return _parse_all("--shape", texts, parse_shape_option)


def parse_dim_options(texts: list[str] | None) -> dict[str, int]:
    return _parse_all("--dim", texts, parse_dim_option)


def parse_input_options(texts: list[str] | None) -> dict[str, str]:
    return _parse_all("--input", texts, parse_input_option)


# --- everything a run needs -------------------------------------------------------


@dataclass
class PreparedInputs:
    """The feeds for a run and how each was obtained (for the run record)."""

    feeds: dict[str, np.ndarray]
    shapes: dict[str, list[int]]
    sources: dict[str, str]  # name -> "--input ids.npy" | "synthesized: ids in [0, 1000), seed 0"
    dtypes: dict[str, str]
    seed: int
    defaulted: dict[str, int]  # batch dims that took 1
    dims: dict[str, list[DimValue]] = field(default_factory=dict)  # each dim's value and where it came from
    guessed: dict[str, list[int]] = field(default_factory=dict)  # input -> axes that took a stated default
    unit_sides: dict[str, list[int]] = field(default_factory=dict)  # image side axes of size 1 (not the model's)

    def describe(self) -> list[dict]:
        """The record's `inputs` section (app.record.schema.InputInfo)."""
        return [{"name": n, "dtype": self.dtypes[n], "shape": self.shapes[n], "source": self.sources[n],
                 "dim_sources": [d.source.value for d in self.dims.get(n, [])],
                 "guessed": self.guessed.get(n, []), "unit_sides": self.unit_sides.get(n, [])}
                for n in self.feeds]

    def guess_labels(self) -> list[str]:
        """'x[2]=224' for every guessed dim (the run summary and the record's warning say them)."""
        return [f"{n}[{a}]={self.shapes[n][a]}" for n, axes in self.guessed.items() for a in axes]


def _check_fits(spec: IOSpec, array: np.ndarray, text: str) -> None:
    fixed_ok = all(not isinstance(w, int) or w == g for w, g in zip(spec.shape or [], array.shape, strict=False))
    if spec.shape is not None and (array.ndim != len(spec.shape) or not fixed_ok):
        raise InputSpecError(f"--input {spec.name}={text}: the array has shape {list(array.shape)} but the "
                             f"model wants {_show(spec.shape)}.",
                             hint="Save an array of that shape (symbolic dims may take any size).")


def value_problems(specs: list[IOSpec], given: set[str]) -> list[str]:
    """One message per input that needs a value nobody gave (and the model justifies none)."""
    return [f"input {s.name!r} needs a value: it is {s.needs_value.what} and made-up data would run a branch "
            f"real use never takes; pass --input {s.name}={s.needs_value.example} (or the value your data uses)"
            for s in specs if s.needs_value is not None and s.needs_value.default is None and s.name not in given]


def _refuse(problems: list[str], missing: list[str]) -> None:
    """One line: the first problem in full, the others named (`missing`: one label per problem)."""
    if problems:
        more = f" (also without a value: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise InputSpecError(problems[0] + more + ".")


def prepare_inputs(specs: list[IOSpec], *, shapes: dict[str, list[int]] | None = None,
                   dims: dict[str, int] | None = None, inputs: dict[str, str] | None = None,
                   seed: int = 0) -> PreparedInputs:
    """Load --input values, resolve every shape (arrays fix their own), synthesise the rest."""
    shapes, inputs = dict(shapes or {}), inputs or {}
    by_name = {s.name: s for s in specs}
    _check_names("--input", inputs, list(by_name), "input")
    provided = {}
    for name, text in inputs.items():
        spec = by_name[name]
        known = shapes.get(name) or (None if spec.shape is None else  # what --shape/--dim already fix
                                     [(dims or {}).get(d, d) if isinstance(d, str) else d for d in spec.shape])
        provided[name] = load_input_value(text, spec, known)
        if provided[name].ndim:  # a scalar value fills whatever shape the run uses
            _check_fits(by_name[name], provided[name], text)
            shapes.setdefault(name, list(provided[name].shape))
    _check_tensors(specs)
    res = resolve_partial(specs, shapes, dims)
    needs = value_problems(specs, set(provided))
    needy = [f"input {s.name!r}" for s in specs if s.needs_value and s.needs_value.default is None
             and s.name not in provided]
    _refuse(needs + res.unresolved, needy + [f"dim {d!r}" for d in res.unresolved_dims])
    feeds, sources = synthesize_with_sources(specs, res.shapes, seed, provided)  # type: ignore[arg-type]
    sources.update({n: f"--input {n}={t}" for n, t in inputs.items()})
    dtypes = {s.name: s.dtype_name for s in specs}
    tiny = {s.name: axes for s in specs if (axes := unit_sides(s, res))}
    return PreparedInputs(feeds, res.shapes, sources, dtypes, seed, res.defaulted,  # type: ignore[arg-type]
                          res.dims, res.guessed, tiny)
