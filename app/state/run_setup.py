"""RunSetupState: what the next run will be: the targets found, the one picked, and its RunOptions.

The options are app.run.spec_builder.RunOptions, the same object the CLI
builds, so the window and `aipcprof run` share defaults and checks; `build`
makes the RunSpec. On top, the window offers per-target presets (QNN
performance mode, OpenVINO hints: EpPresets) and a free `KEY=VALUE, ...` text
for other EP options, kept here as typed so a bad entry can be reported, and
persisted as typed.

`problems` lists what is wrong right now (a bad option text, a value out of
range), each an OptionError whose `option` is the RunOptions field and whose
message names it as the window does (GUI_LABELS); `build` raises the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from app.record.schema import RunMode
from app.run.spec_builder import (
    DEFAULTS,
    GUI_LABELS,
    OptionError,
    RunOptions,
    parse_key_value_text,
)
from app.state.events import Event
from app.state.genai_setup import GenAISetupState

QNN_MODES = ("burst", "sustained_high_performance", "high_performance", "balanced", "default",
             "power_saver", "low_power_saver", "high_power_saver", "extreme_power_saver")
OV_HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
OV_PRECISIONS = ("f32", "f16", "bf16")  # or None: the device's default


@dataclass(frozen=True)
class EpPresets:
    """The window's per-target EP choices; only those that apply to a target reach its RunSpec."""

    htp_performance_mode: str = QNN_MODES[0]  # QNN: NPU clock/voltage vote
    performance_hint: str = OV_HINTS[0]  # OpenVINO PERFORMANCE_HINT
    inference_precision: str | None = None  # OpenVINO INFERENCE_PRECISION_HINT (None: device default)

    def options_for(self, target) -> dict[str, str]:
        """The options that matter for this target, in the form its engine takes them."""
        opts: dict[str, str] = {}
        if is_qnn(target):
            opts["htp_performance_mode"] = self.htp_performance_mode
        ov = {"PERFORMANCE_HINT": self.performance_hint}
        if self.inference_precision:
            ov["INFERENCE_PRECISION_HINT"] = self.inference_precision
        if target.engine == "openvino":
            opts.update(ov)
        elif target.provider == "OpenVINOExecutionProvider":  # the ORT EP takes OpenVINO properties per device
            opts["load_config"] = json.dumps({target.device_type: ov})
        return opts


def is_qnn(target) -> bool:
    return getattr(target, "provider", "") == "QNNExecutionProvider"


def is_openvino(target) -> bool:
    return getattr(target, "engine", "") == "openvino" or getattr(target, "provider", "") == "OpenVINOExecutionProvider"


class RunSetupState:
    def __init__(self, labels: Mapping[str, str] = GUI_LABELS) -> None:
        self.labels = dict(labels)
        self.targets: list = []  # app.common.targets.Target, ready or not (the window shows why not)
        self.target_id: str | None = None  # the picked target (always a ready one)
        self.options: RunOptions = DEFAULTS.copy()
        self.presets = EpPresets()
        self.ep_text = ""  # other EP options as typed: "KEY=VALUE, KEY=VALUE"
        self._ep_problem: OptionError | None = None
        self.problems: list[OptionError] = []
        self.genai = GenAISetupState()  # a generative model's Generation settings (prompt lengths, tokens...)
        self.targets_changed: Event[[list]] = Event("run_setup.targets_changed")
        self.target_changed: Event[[str | None]] = Event("run_setup.target_changed")
        self.options_changed: Event[[RunOptions]] = Event("run_setup.options_changed")
        self.presets_changed: Event[[EpPresets]] = Event("run_setup.presets_changed")
        self.problems_changed: Event[[list]] = Event("run_setup.problems_changed")  # list[OptionError]

    # -- targets ---------------------------------------------------------
    def set_targets(self, targets: list, preferred: str | None = None) -> None:
        """The targets found on this PC; picks `preferred` if it is ready, else keeps the pick, else the first ready.

        The pick is made before anyone hears of the new list, so a listener of targets_changed may pick another."""
        self.targets = list(targets)
        ready = [t.id for t in self.targets if t.ready]
        pick = preferred if preferred in ready else (self.target_id if self.target_id in ready else
                                                     (ready[0] if ready else None))
        presets = self._target_presets(pick)
        self.target_id = pick
        self.targets_changed.emit(self.targets)
        self.set_presets(presets)
        self.target_changed.emit(pick)

    def select_target(self, target_id: str | None) -> bool:
        """Pick a ready target; False (and no change) for an unknown or unavailable one."""
        if target_id not in [t.id for t in self.ready_targets()]:
            return False
        if target_id != self.target_id:
            presets = self._target_presets(target_id)
            self.target_id = target_id
            self.set_presets(presets)
            self.target_changed.emit(target_id)
        return True

    def _target_presets(self, target_id: str | None) -> EpPresets:
        """The presets with the target's own defaults for those that apply to it."""
        t = next((t for t in self.targets if t.id == target_id), None)
        if t is None:
            return self.presets
        default = t.default_options or {}
        changes = {}
        if is_qnn(t) and default.get("htp_performance_mode") in QNN_MODES:
            changes["htp_performance_mode"] = default["htp_performance_mode"]
        if is_openvino(t) and default.get("PERFORMANCE_HINT") in OV_HINTS:
            changes["performance_hint"] = default["PERFORMANCE_HINT"]
        return replace(self.presets, **changes)

    def current_target(self):
        for t in self.targets:
            if t.id == self.target_id and t.ready:
                return t
        return None

    def ready_targets(self) -> list:
        return [t for t in self.targets if t.ready]

    def all_targets(self) -> list:
        """What Run / Evaluate on All Targets run: each ready target once, without the ort/auto/* device
        policies, which only pick one of the others (on a machine without an NPU, all eight pick the CPU)."""
        return [t for t in self.targets if t.ready and not t.is_policy]

    # -- options ---------------------------------------------------------
    def set_options(self, options: RunOptions) -> None:
        if options == self.options:
            return
        self.options = options.copy()
        self.options_changed.emit(self.options)
        self._check()

    def update(self, **changes) -> None:
        """Change some options: `update(warmup=5, by_duration=True)`."""
        self.set_options(self.options.copy(**changes))

    def set_presets(self, presets: EpPresets) -> None:
        if presets != self.presets:
            self.presets = presets
            self.presets_changed.emit(presets)

    def set_ep_text(self, text: str) -> None:
        """Other EP options as typed; a bad entry is a problem (the options keep the last good value)."""
        self.ep_text = text
        try:
            parsed = parse_key_value_text(text, self.labels.get("ep_options", "ep_options"))
        except OptionError as e:
            self._ep_problem = e
            self._check()
            return
        self._ep_problem = None
        if parsed != self.options.ep_options:
            self.update(ep_options=parsed)
        else:
            self._check()

    def _check(self) -> None:
        problems = ([self._ep_problem] if self._ep_problem else []) + self.options.problems(self.labels)
        if [(p.option, str(p)) for p in problems] != [(p.option, str(p)) for p in self.problems]:
            self.problems = problems
            self.problems_changed.emit(problems)

    # -- the run ---------------------------------------------------------
    def ep_options_for(self, target) -> dict[str, str]:
        """Presets that apply to `target`, then the typed options (which win). In throughput mode the
        mode sets OpenVINO's PERFORMANCE_HINT, so the preset's is left out (a typed one still wins)."""
        presets = self.presets.options_for(target)
        if self.options.mode is RunMode.THROUGHPUT:
            presets.pop("PERFORMANCE_HINT", None)
        return {**presets, **self.options.ep_options}

    def build(self, model_path: str, target, dims: Mapping[str, int] | None = None,
              inputs: Mapping[str, str] | None = None, shapes: Mapping[str, list[int]] | None = None):
        """The RunSpec for `target` (a Target) with the model's dims, whole shapes and input data
        (app.state.inputs); raises the first problem (OptionError) if there is one."""
        if self.problems:
            raise self.problems[0]
        options = self.options.copy(dims=dict(dims or {}), inputs=dict(inputs or {}),
                                    shapes={k: list(v) for k, v in (shapes or {}).items()},
                                    ep_options=self.ep_options_for(target))
        return options.build(model_path, target.id, self.labels)

    # -- settings (QSettings-style: every value may come back as a string) ---
    def to_settings(self) -> dict[str, object]:
        o = self.options
        return {"warmup": o.warmup, "iterations": o.iterations, "duration": o.duration_s, "by_time": o.by_duration,
                "until_steady": "" if o.until_steady is None else o.until_steady, "seed": o.seed,
                "threads": o.threads or 0, "io_binding": o.io_binding, "check_outputs": o.check_outputs,
                "strict": o.strict, "cache_dir": o.cache_dir or "", "timeout": o.stall_timeout_s,
                "quiet_check": "" if o.quiet_check_s is None else o.quiet_check_s,
                "op_profile": o.op_profile, "extra": self.ep_text, "mode": o.mode.value, "requests": o.requests or 0,
                **self.genai.to_settings()}

    def restore_settings(self, values: Mapping[str, object]) -> None:
        """Options saved by to_settings; a missing or corrupt value keeps its default, the others still apply."""
        d = DEFAULTS
        until = _read(values, "until_steady", float, None)
        threads = _read(values, "threads", int, 0)
        cache = str(values.get("cache_dir") or "").strip()
        options = self.options.copy(
            warmup=_read(values, "warmup", int, d.warmup), iterations=_read(values, "iterations", int, d.iterations),
            duration_s=_read(values, "duration", float, d.duration_s),
            by_duration=_read(values, "by_time", _bool, d.by_duration), until_steady=until,
            seed=_read(values, "seed", int, d.seed), threads=threads if threads and threads > 0 else None,
            io_binding=_read(values, "io_binding", _bool, d.io_binding),
            check_outputs=_read(values, "check_outputs", _bool, d.check_outputs),
            strict=_read(values, "strict", _bool, d.strict), cache_dir=cache or None,
            op_profile=_read(values, "op_profile", _bool, d.op_profile),
            stall_timeout_s=_read(values, "timeout", float, d.stall_timeout_s),
            quiet_check_s=_read(values, "quiet_check", float, None),
            mode=_read(values, "mode", RunMode, d.mode), requests=_read(values, "requests", int, 0) or None)
        for problem in options.problems(self.labels):  # e.g. a hand-edited warmup=-5: the default instead
            options = options.copy(**{problem.option: getattr(d, problem.option)})
        self.set_options(options)
        self.set_ep_text(str(values.get("extra") or ""))
        self.genai.restore_settings(values)


def _bool(value) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(value)


def _read(values: Mapping[str, object], key: str, kind, default):
    value = values.get(key)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default
