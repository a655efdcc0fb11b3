"""RunOptions: the one description of a run's settings, its defaults, and the one way to a RunSpec.

The CLI (`aipcprof run`, app.cli.cmd_run) and the desktop app (app.state.run_setup,
edited by app.views.run_setup_panel) both describe a run as RunOptions and call
`build(model_path, target_id)`; argparse takes its defaults from here. So the two
front ends cannot drift apart: same defaults, same checks, same RunSpec.

The parsers take the CLI's string forms (`--shape INPUT=d0,d1`, `--dim SYM=N`,
`--input NAME=FILE|VALUE`, `--ep-option K=V`) and raise a UserError that names
the option. `validate` and `build` name an option the way the caller's user
knows it: `labels` maps a field to its name (CLI_LABELS: `--warmup`; GUI_LABELS:
"Warm-up"), and the error's `option` is the field, so a form can point at it.

No Qt, no ONNX at import: the CLI imports this to build its parser.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.common.errors import UserError
from app.record.schema import RunMode, RunSettings

if TYPE_CHECKING:
    from app.run.runspec import RunSpec

# The run defaults are written once, in the record's RunSettings; the GUI's duration box adds its own.
_SETTINGS = RunSettings()

# The share of the p50 `--until-steady` asks for when given without a value (±1%).
UNTIL_STEADY_DEFAULT = 0.01
# How long `--quiet-check` without a value waits at most for the machine to settle, and the most it may wait.
QUIET_CHECK_DEFAULT_S = 30.0
MAX_QUIET_CHECK_S = 3600.0


@dataclass
class RunOptions:
    """A run's settings as a user gives them; the defaults here are the app's defaults (CLI and GUI)."""

    warmup: int = _SETTINGS.warmup  # inferences before measuring, not counted
    iterations: int = _SETTINGS.iterations  # measured inferences (when not by_duration)
    duration_s: float = 10.0  # measure for this long (when by_duration)
    by_duration: bool = False  # measure for duration_s instead of a count
    until_steady: float | None = _SETTINGS.until_steady  # stop once the p50 is known to ± this share (iterations/duration cap it)
    shapes: dict[str, list[int]] = field(default_factory=dict)  # input -> whole shape
    dims: dict[str, int] = field(default_factory=dict)  # symbolic dim -> value
    inputs: dict[str, str] = field(default_factory=dict)  # input -> .npy/.npz file or a value
    seed: int = _SETTINGS.seed  # seed of the synthetic inputs
    ep_options: dict[str, str] = field(default_factory=dict)  # execution-provider / OpenVINO options
    strict: bool = _SETTINGS.strict  # fail instead of falling back to the CPU
    threads: int | None = _SETTINGS.threads  # intra-op threads (None: the runtime's choice)
    io_binding: bool = _SETTINGS.io_binding  # bind inputs once and preallocate outputs
    check_outputs: bool = _SETTINGS.check_outputs  # compare the outputs with ORT CPU
    cache_dir: str | None = _SETTINGS.cache_dir  # EP context / compiled-model cache folder
    stall_timeout_s: float = _SETTINGS.stall_timeout_s  # seconds without progress before the worker is declared hung
    quiet_check_s: float | None = _SETTINGS.quiet_check_s  # wait up to this long for a quiet machine (None: don't)
    op_profile: bool = _SETTINGS.op_profile  # profile each operator after the timed loop (separate session)
    mode: RunMode = _SETTINGS.mode  # latency: one request at a time; throughput: several in flight
    requests: int | None = _SETTINGS.requests  # throughput mode: requests in flight (None: the engine's choice)

    def __post_init__(self) -> None:
        self.mode = RunMode(self.mode)  # a form or a settings file may hand over the plain value

    def validate(self, labels: Mapping[str, str] | None = None) -> RunOptions:
        """Raise OptionError for the first bad value, naming it with `labels` (default: the CLI's flags)."""
        problems = self.problems(labels)
        if problems:
            raise problems[0]
        return self

    def problems(self, labels: Mapping[str, str] | None = None) -> list[OptionError]:
        """Every bad value, in field order (empty: valid)."""
        name = _namer(labels)
        out: list[OptionError] = []

        def bad(option: str, value, rule: str, hint: str = "") -> None:
            out.append(OptionError(option, f"{name(option)} {value}: {rule}", hint=hint))

        if self.warmup < 0:
            bad("warmup", self.warmup, "must be 0 or more.")
        if not self.by_duration and self.iterations < 1:
            bad("iterations", self.iterations, "must be 1 or more.")
        if self.by_duration and not self.duration_s > 0:
            bad("duration_s", self.duration_s, "must be more than 0 seconds.")
        elif self.by_duration and not self.duration_s <= MAX_SECONDS:  # inf too: it overflows the deadline
            bad("duration_s", self.duration_s, _AT_MOST_A_WEEK)
        if self.until_steady is not None and not 0 < self.until_steady < 1:
            bad("until_steady", self.until_steady, f"must be between 0 and 1 (e.g. {UNTIL_STEADY_DEFAULT} for 1%).")
        if self.seed < 0:
            bad("seed", self.seed, "must be 0 or more.")
        elif self.seed > MAX_SEED:
            bad("seed", self.seed, f"must be at most {MAX_SEED} (2**63 - 1).")
        if self.threads is not None and self.threads < 1:
            bad("threads", self.threads, "must be 1 or more.")
        elif self.threads is not None and self.threads > max_thread_count():
            bad("threads", self.threads, f"must be at most {max_thread_count()} ({THREADS_PER_CORE} per logical "
                f"core; this PC has {os.cpu_count() or 1}).", "Leave it out to let the runtime choose.")
        if self.cache_dir is not None:
            problem = _cache_dir_problem(self.cache_dir)
            if problem:
                bad("cache_dir", repr(self.cache_dir) if not self.cache_dir.strip() else self.cache_dir, *problem)
        if not self.stall_timeout_s > 0:
            bad("stall_timeout_s", self.stall_timeout_s, "must be more than 0 seconds.")
        elif not self.stall_timeout_s <= MAX_SECONDS:
            bad("stall_timeout_s", self.stall_timeout_s, _AT_MOST_A_WEEK)
        problem = quiet_check_problem(self.quiet_check_s)
        if problem:
            bad("quiet_check_s", self.quiet_check_s, problem)
        out += [OptionError(option, f"{name(option)} {value}: {rule}", hint=hint)
                for option, value, rule, hint in mode_problems(self.mode, self.requests, name)]
        return out

    def build(self, model_path: str, target_id: str, labels: Mapping[str, str] | None = None) -> RunSpec:
        """The RunSpec of these options for one model on one target (validated)."""
        from app.run.runspec import RunSpec

        self.validate(labels)
        if self.cache_dir is not None:
            _make_cache_dir(self.cache_dir, _namer(labels)("cache_dir"))
        return RunSpec(
            model_path=str(model_path), target_id=target_id, warmup=self.warmup,
            iterations=None if self.by_duration else self.iterations,
            duration_s=self.duration_s if self.by_duration else None,
            shapes={k: list(v) for k, v in self.shapes.items()}, dims=dict(self.dims), inputs=dict(self.inputs),
            seed=self.seed, ep_options=dict(self.ep_options), strict=self.strict, threads=self.threads,
            io_binding=self.io_binding, check_outputs=self.check_outputs, cache_dir=self.cache_dir,
            until_steady=self.until_steady, stall_timeout_s=self.stall_timeout_s, quiet_check_s=self.quiet_check_s,
            op_profile=self.op_profile, mode=RunMode(self.mode), requests=self.requests,
        ).validate()

    def copy(self, **changes) -> RunOptions:
        """A copy with `changes` (the dicts are copied too: options are values)."""
        fresh = {f.name: dict(getattr(self, f.name)) for f in fields(self) if isinstance(getattr(self, f.name), dict)}
        return replace(self, **{**fresh, **changes})


DEFAULTS = RunOptions()

MAX_SECONDS = 7 * 24 * 3600.0  # --duration / --timeout: a week; beyond it (or inf) is a typo, not a soak test
MAX_SEED = 2**63 - 1  # stored in the record and read back as an int64 by other tools
THREADS_PER_CORE = 4  # --threads above this many per logical core only costs memory (each thread has a stack)
_AT_MOST_A_WEEK = f"must be at most {MAX_SECONDS:g} seconds (7 days)."


def quiet_check_problem(seconds: float | None) -> str:
    """Why a --quiet-check bound is unusable ('' when it is fine or not set)."""
    if seconds is None:
        return ""
    if not seconds > 0:
        return "must be more than 0 seconds."
    if not seconds <= MAX_QUIET_CHECK_S:
        return f"must be at most {MAX_QUIET_CHECK_S:g} seconds."
    return ""


MAX_REQUESTS = 256  # --requests: more in flight than this only queues (and holds one set of outputs each)


def mode_problems(mode: RunMode, requests: int | None, name) -> list[tuple[str, object, str, str]]:
    """(option, value, rule, hint) for a bad --mode/--requests pair; `name` turns a field into its label."""
    if requests is None:
        return []
    if RunMode(mode) is not RunMode.THROUGHPUT:
        return [("requests", requests, f"only applies to {name('mode')} throughput.",
                 f"Add {name('mode')} throughput, or leave {name('requests')} out.")]
    if requests < 1:
        return [("requests", requests, "must be 1 or more.", "Leave it out to let the engine choose.")]
    if requests > MAX_REQUESTS:
        return [("requests", requests, f"must be at most {MAX_REQUESTS}.", "Leave it out to let the engine choose.")]
    return []


def max_thread_count() -> int:
    """The most intra-op threads a run may ask for on this PC."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


def _cache_dir_problem(text: str) -> tuple[str, str] | None:
    """(rule, hint) when a cache folder can certainly not be used; a missing folder is fine (build creates it)."""
    if not text.strip():
        return "is empty.", "Give a folder, or leave the option out."
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        return "is a file, not a folder.", "Pick a folder (it is created if missing)."
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"is inside {parent}, which is a file.", "Pick a folder (it is created if missing)."
            break
    return None


def _make_cache_dir(text: str, label: str) -> None:
    """Create the cache folder before the run, so a folder that cannot exist (/proc/x) is one line, not a
    runtime's traceback after the model has loaded."""
    folder = Path(text).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError as e:
        raise OptionError("cache_dir", f"{label} {text}: cannot create the folder ({e.strerror}).",
                          hint="Pick a folder you can write to.") from None
    if not writable:
        raise OptionError("cache_dir", f"{label} {text}: the folder is not writable.",
                          hint="Pick a folder you can write to.")

# How each front end names a field in its messages.
CLI_LABELS: dict[str, str] = {
    "warmup": "--warmup", "iterations": "--iterations", "duration_s": "--duration", "by_duration": "--duration",
    "until_steady": "--until-steady", "shapes": "--shape", "dims": "--dim", "inputs": "--input", "seed": "--seed",
    "ep_options": "--ep-option", "strict": "--strict", "threads": "--threads", "io_binding": "--io-binding",
    "check_outputs": "--no-output-check", "cache_dir": "--cache-dir", "stall_timeout_s": "--timeout",
    "quiet_check_s": "--quiet-check",
    "op_profile": "--op-profile",
    "mode": "--mode", "requests": "--requests",
}
GUI_LABELS: dict[str, str] = {
    "warmup": "Warm-up", "iterations": "Iterations", "duration_s": "Duration", "by_duration": "Measure",
    "until_steady": "Stop when steady", "shapes": "Shape", "dims": "Dimension", "inputs": "Input data",
    "seed": "Seed", "ep_options": "Other options", "strict": "Strict", "threads": "Threads",
    "io_binding": "IO binding", "check_outputs": "Output check", "cache_dir": "Cache folder",
    "stall_timeout_s": "Stall timeout", "quiet_check_s": "Wait for a quiet machine",
    "op_profile": "Operator profile", "mode": "Mode", "requests": "Requests",
}


class OptionError(UserError):
    """A run option has a bad value; `option` is the RunOptions field, so a form can point at its widget."""

    def __init__(self, option: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.option = option


def _namer(labels: Mapping[str, str] | None):
    labels = CLI_LABELS if labels is None else labels
    return lambda option: labels.get(option, option)


# -- the CLI's string forms --------------------------------------------------


def parse_shapes(texts: Iterable[str] | None) -> dict[str, list[int]]:
    """`--shape image=1,3,224,224` (also `[1,3,224,224]`, `1x3x224x224`, `[]` for a scalar)."""
    from app.model.inputs import parse_shape_options

    return parse_shape_options(list(texts or []))


def parse_dims(texts: Iterable[str] | None) -> dict[str, int]:
    """`--dim seq=128`."""
    from app.model.inputs import parse_dim_options

    return parse_dim_options(list(texts or []))


def parse_inputs(texts: Iterable[str] | None) -> dict[str, str]:
    """`--input ids=ids.npy` or `--input scale=0.5` (the file or value is read by the worker)."""
    from app.model.inputs import parse_input_options

    return parse_input_options(list(texts or []))


def parse_key_values(items: Iterable[str] | None, option: str = "--ep-option") -> dict[str, str]:
    """`KEY=VALUE` items (repeatable `--ep-option`); a bad item is an OptionError naming `option`."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            example = f"{option} htp_performance_mode=burst" if option.startswith("-") else "htp_performance_mode=burst"
            raise OptionError("ep_options", f"{option} {item!r}: expected KEY=VALUE.", hint=f"Example: {example}")
        out[key.strip()] = value.strip()
    return out


def parse_key_value_text(text: str, option: str = "--ep-option") -> dict[str, str]:
    """`KEY=VALUE, KEY=VALUE` (`;` works too) as typed in one field."""
    items = [s.strip() for s in (text or "").replace(";", ",").split(",") if s.strip()]
    return parse_key_values(items, option)


def format_key_values(values: Mapping[str, str]) -> str:
    """The text form parse_key_value_text reads back."""
    return ", ".join(f"{k}={v}" for k, v in values.items())
