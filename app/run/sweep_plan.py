"""The grid of a sweep: its axes parsed and checked, and one RunSpec per point.

`aipcprof sweep` (app.cli.cmd_sweep) and the desktop app's Sweep tab describe a
sweep the same way: a model, targets, axes (`--dim batch=1,2,4,8`, `--requests
1,2,4`, `--threads 1,2`) and the RunOptions every point shares. `make_plan`
checks all of it before anything runs, so bad input is one line naming the option
(exit 2): a value that is not a whole number of at least 1, a dim the model does not
have (its symbolic dims are named), requests without throughput mode, a grid over
MAX_POINTS points without `--yes`. Every point's RunSpec is built here through
`RunOptions.build` (the run's own checks), so a point cannot fail on its settings
after the sweep has started.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.common.errors import UserError
from app.record.schema import RunMode
from app.record.sweep import AxisKind, SweepAxis, SweepPoint
from app.run.runspec import RunSpec
from app.run.spec_builder import CLI_LABELS, RunOptions, mode_problems

MAX_POINTS = 256  # a bigger grid needs --yes: each point is a whole run (load, compile, warm-up, measure)
MAX_DIM_VALUE = 1 << 20  # a dim beyond a million is a typo, not a batch size
_NUMBER = re.compile(r"\d+")


@dataclass
class SweepPlan:
    """A checked grid: points in run order (targets outermost, the last axis fastest) with their specs."""

    model_path: str
    targets: list[str]
    axes: list[SweepAxis]
    options: RunOptions  # what every point shares
    points: list[SweepPoint] = field(default_factory=list)
    specs: list[RunSpec] = field(default_factory=list)  # specs[i] runs points[i]


def parse_values(option: str, text: str, example: str) -> list[int]:
    """'1,2,4,8' as whole numbers >= 1, duplicates dropped, in the order given; else one line naming `option`
    ('--requests ' or '--dim batch=': the message shows `option` + `text`, as typed)."""
    words = [w.strip() for w in str(text).split(",")]
    if not words or any(not w for w in words):
        raise UserError(f"{option}{text}: expected whole numbers separated by commas.", hint=f"Example: {example}")
    for w in words:
        if not _NUMBER.fullmatch(w):
            raise UserError(f"{option}{text}: {w!r} is not a whole number.", hint=f"Example: {example}")
        if int(w) < 1:
            raise UserError(f"{option}{text}: every value must be 1 or more.", hint=f"Example: {example}")
    return list(dict.fromkeys(int(w) for w in words))


def parse_dim_axis(text: str) -> SweepAxis:
    """'batch=1,2,4,8' -> the dim axis; values above MAX_DIM_VALUE are refused."""
    name, sep, values = str(text).partition("=")
    example = "--dim batch=1,2,4,8"
    if not sep or not name.strip() or not values.strip():
        raise UserError(f"--dim {text}: expected SYMBOL=N,N,...", hint=f"Example: {example}")
    parsed = parse_values(f"--dim {name.strip()}=", values.strip(), example)
    big = [v for v in parsed if v > MAX_DIM_VALUE]
    if big:
        raise UserError(f"--dim {text}: {big[0]} is over the limit of {MAX_DIM_VALUE}.", hint=f"Example: {example}")
    return SweepAxis(AxisKind.DIM, name.strip(), parsed)


def parse_axes(dims: list[str] | None, requests: str | None, threads: str | None) -> list[SweepAxis]:
    """The CLI's axis options as axes: every --dim, then --requests, then --threads."""
    axes = [parse_dim_axis(t) for t in dims or []]
    seen: set[str] = set()
    for a in axes:
        if a.name in seen:
            raise UserError(f"--dim {a.name} is given twice.", hint=f"Give every value in one --dim {a.name}=N,N,...")
        seen.add(a.name)
    if requests is not None:
        axes.append(SweepAxis(AxisKind.REQUESTS, "requests", parse_values("--requests ", requests, "--requests 1,2,4")))
    if threads is not None:
        axes.append(SweepAxis(AxisKind.THREADS, "threads", parse_values("--threads ", threads, "--threads 1,2,4")))
    return axes


def model_symbolic_dims(model_path: str) -> list[str]:
    """The symbolic dims of the model's inputs, in order of appearance (the names `--dim` accepts)."""
    from app.model.inputs import model_inputs
    from app.model.model_file import load_model

    specs = model_inputs(load_model(model_path))
    return list(dict.fromkeys(d for s in specs for d in s.symbolic_dims()))


def make_plan(model_path: str, targets: list[str], axes: list[SweepAxis], options: RunOptions, *,
              yes: bool = False, labels: Mapping[str, str] | None = None,
              ep_options: Mapping[str, Mapping[str, str]] | None = None,
              model_dims: list[str] | None = None) -> SweepPlan:
    """Check the sweep and build every point's RunSpec; a UserError (one line, exit 2) for bad input.

    ep_options: per target, the EP options its points use instead of `options.ep_options` (the app's presets).
    model_dims: the model's symbolic dims when the caller has them (the app's model card): the model is not read.
    """
    cli = labels is None or labels is CLI_LABELS
    labels = CLI_LABELS if labels is None else labels
    targets = list(dict.fromkeys(targets))
    if not targets:
        raise UserError("no target given.", hint="Add --target ID (see `aipcprof devices`).")
    if not axes:
        raise UserError("nothing to sweep.", hint="Give --dim SYMBOL=N,N,..., --requests N,N,... or --threads N,N,...")
    count = len(targets) * math.prod(len(a.values) for a in axes)
    if count > MAX_POINTS and not yes:
        sizes = " x ".join([f"{len(targets)} target(s)"] + [f"{len(a.values)} {a.label}" for a in axes])
        raise UserError(f"the grid has {count} points ({sizes}), over {MAX_POINTS}; each point is a whole run.",
                        hint="Add --yes to run them all, or give fewer values." if cli else "Give fewer values.")
    _check_dims(model_path, [a for a in axes if a.kind is AxisKind.DIM], model_dims)
    _check_modes(axes, options, labels)
    plan = SweepPlan(model_path, targets, axes, options)
    for target in targets:
        shared = options if ep_options is None else options.copy(ep_options=dict(ep_options.get(target, {})))
        for values in _product([a.values for a in axes]):
            plan.points.append(SweepPoint(len(plan.points), target, list(values)))
            plan.specs.append(point_options(shared, axes, values).build(model_path, target, labels))
    return plan


def point_options(options: RunOptions, axes: list[SweepAxis], values: list[int]) -> RunOptions:
    """The shared options with one point's values set."""
    out = options.copy()
    for axis, value in zip(axes, values, strict=True):
        if axis.kind is AxisKind.DIM:
            out.dims[axis.name] = value
        elif axis.kind is AxisKind.REQUESTS:
            out.requests = value
        else:
            out.threads = value
    return out


def _product(lists: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = [[]]
    for values in lists:
        out = [head + [v] for head in out for v in values]
    return out


def _check_dims(model_path: str, dim_axes: list[SweepAxis], known: list[str] | None) -> None:
    if not dim_axes:
        return
    symbolic = model_symbolic_dims(model_path) if known is None else known
    for axis in dim_axes:
        if axis.name not in symbolic:
            listing = ", ".join(symbolic) if symbolic else "none: every input size is fixed"
            raise UserError(f"--dim {axis.name}: the model has no symbolic dim {axis.name!r} "
                            f"(its symbolic dims: {listing}).",
                            hint="Sweep one of those, or --requests / --threads.")


def _check_modes(axes: list[SweepAxis], options: RunOptions, labels: Mapping[str, str]) -> None:
    """--requests values against the mode (the run's own rule), and --threads through RunOptions' checks."""
    def name(option: str) -> str:
        return labels.get(option, option)

    for axis in axes:
        for value in axis.values:
            if axis.kind is AxisKind.REQUESTS:
                for option, _value, rule, hint in mode_problems(RunMode(options.mode), value, name):
                    raise UserError(f"{name(option)} {','.join(map(str, axis.values))}: {rule}", hint=hint)
            elif axis.kind is AxisKind.THREADS:
                problems = [p for p in options.copy(threads=value).problems(labels) if p.option == "threads"]
                if problems:
                    raise problems[0]
