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
from app.model.synth_inputs import (  # noqa: F401  (re-exported: the public API lives here)
    check_provided,
    load_input_value,
    synthesize_inputs,
    synthesize_with_sources,
)

Dim = int | str | None  # fixed size, symbolic name, or dynamic without a name
_BATCH = re.compile(r"(?i)^(n|b|bs|nbatch|batch|batch_?size|.*batch.*)$")
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
        shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tt.shape.dim]
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type))
    except (KeyError, TypeError):
        dtype = None
    return IOSpec(vi.name, tt.elem_type, dtype, shape, index_limit=(limits or {}).get(vi.name))


def model_inputs(model: onnx.ModelProto) -> list[IOSpec]:
    """The inputs a run must feed (initializers listed as inputs are left out)."""
    g = model.graph
    stored = {t.name for t in g.initializer} | {s.values.name for s in g.sparse_initializer}
    limits = _index_limits(g)
    return [spec_from_value_info(vi, limits) for vi in g.input if vi.name not in stored]


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


# --- shape resolution ---------------------------------------------------------


@dataclass
class ShapeResolution:
    """What --shape / --dim and the defaults make of the model's input shapes."""

    shapes: dict[str, list[Dim]]  # per tensor input; ints where resolved
    bound: dict[str, int] = field(default_factory=dict)  # symbolic dim -> value
    defaulted: dict[str, int] = field(default_factory=dict)  # dims that took a default (batch -> 1)
    unresolved: list[str] = field(default_factory=list)  # one-line messages, first = most useful
    unresolved_dims: list[str] = field(default_factory=list)  # symbolic names (or 'x[1]' if unnamed)


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


def _apply_shape(spec: IOSpec, given: list[int], bound: dict, source: dict) -> None:
    origin = f"--shape {spec.name}={','.join(map(str, given))}"
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


def _example(spec: IOSpec, bound: dict) -> str:
    return ",".join(str(d) if isinstance(d, int) else str(bound.get(d, "N")) for d in spec.shape or [])


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
    res = ShapeResolution({}, bound)
    for d in symbolic:
        if d not in bound and _BATCH.match(d):
            bound[d] = res.defaulted[d] = 1
    for spec in tensors:
        res.shapes[spec.name] = list(shapes[spec.name]) if spec.name in shapes else _fill(spec, res)
    return res


def _fill(spec: IOSpec, res: ShapeResolution) -> list[Dim]:
    if spec.shape is None:
        res.unresolved.append(f"input {spec.name!r} has no shape in the model; "
                              f"pass its whole shape with --shape {spec.name}=D1,D2")
        res.unresolved_dims.append(f"{spec.name}[?]")
        return []
    out: list[Dim] = []
    for axis, d in enumerate(spec.shape):
        if isinstance(d, int) or d in res.bound:
            out.append(d if isinstance(d, int) else res.bound[d])
            continue
        out.append(d)
        fix = f"--dim {d}=N or " if d else ""
        what = f"({d!r}) is symbolic" if d else "is dynamic with no name"
        res.unresolved.append(f"input {spec.name!r} dim {axis} {what} and has no value; "
                              f"pass {fix}--shape {spec.name}={_example(spec, res.bound)}")
        name = d or f"{spec.name}[{axis}]"
        if name not in res.unresolved_dims:
            res.unresolved_dims.append(name)
    return out


def resolve_shapes(specs: list[IOSpec], shapes: dict[str, list[int]] | None = None,
                   dims: dict[str, int] | None = None) -> dict[str, list[int]]:
    """Every tensor input's static shape, or InputSpecError naming what is missing."""
    return _resolve_all(specs, shapes, dims).shapes  # type: ignore[return-value]  # all ints here


def _resolve_all(specs: list[IOSpec], shapes: dict | None, dims: dict | None) -> ShapeResolution:
    for spec in specs:
        if spec.kind != "tensor":
            raise InputSpecError(f"input {spec.name!r} is a {spec.kind}, not a tensor.",
                                 hint="Only models with tensor inputs can be profiled; re-export it.")
    res = resolve_partial(specs, shapes, dims)
    if res.unresolved:
        raise InputSpecError(res.unresolved[0] + ".")
    return res


# --- everything a run needs -------------------------------------------------------


@dataclass
class PreparedInputs:
    """The feeds for a run and how each was obtained (for the run record)."""

    feeds: dict[str, np.ndarray]
    shapes: dict[str, list[int]]
    sources: dict[str, str]  # name -> "--input ids.npy" | "synthesized: ids in [0, 1000), seed 0"
    dtypes: dict[str, str]
    seed: int
    defaulted: dict[str, int]  # symbolic dims that took a default value (batch -> 1)

    def describe(self) -> list[dict]:
        return [{"name": n, "dtype": self.dtypes[n], "shape": self.shapes[n], "source": self.sources[n]}
                for n in self.feeds]


def _check_fits(spec: IOSpec, array: np.ndarray, text: str) -> None:
    fixed_ok = all(not isinstance(w, int) or w == g for w, g in zip(spec.shape or [], array.shape, strict=False))
    if spec.shape is not None and (array.ndim != len(spec.shape) or not fixed_ok):
        raise InputSpecError(f"--input {spec.name}={text}: the array has shape {list(array.shape)} but the "
                             f"model wants {_show(spec.shape)}.",
                             hint="Save an array of that shape (symbolic dims may take any size).")


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
    res = _resolve_all(specs, shapes, dims)
    feeds, sources = synthesize_with_sources(specs, res.shapes, seed, provided)  # type: ignore[arg-type]
    sources.update({n: f"--input {n}={t}" for n, t in inputs.items()})
    dtypes = {s.name: s.dtype_name for s in specs}
    return PreparedInputs(feeds, res.shapes, sources, dtypes, seed, res.defaulted)  # type: ignore[arg-type]
