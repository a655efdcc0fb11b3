"""RunSpec: everything a run needs, plain data so it crosses the process boundary.

Its fields and defaults are the record's `RunSettings` (one place for the
defaults, shared by the CLI and the GUI) plus the model path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.common.errors import UserError
from app.record.schema import RunMode, RunSettings


@dataclass
class RunSpec(RunSettings):
    model_path: str = ""
    log_path: str | None = None  # where the worker's native stdout/stderr go (set by the runner)
    profile_dir: str | None = None  # --op-profile: keep the runtime's raw profile files here (--trace); else a temp dir
    eval_spec: dict | None = None  # aipcprof eval: app.run.eval_spec.EvalSpec.to_dict(); None for a plain run
    genai_spec: dict | None = None  # a generative model folder: app.run.genai_spec.GenAISpec.to_dict()

    def __post_init__(self) -> None:
        self.mode = RunMode(self.mode)  # a spec from a dict or a tool may carry the plain value

    def validate(self) -> RunSpec:
        """The checks a spec built without RunOptions (tests, tools) must pass too; RunOptions has the full set."""
        from app.run.spec_builder import MAX_SECONDS, max_thread_count, mode_problems, quiet_check_problem

        if not self.model_path:
            raise UserError("no model given.", hint="Pass an .onnx file.")
        if self.warmup < 0:
            raise UserError(f"--warmup {self.warmup}: must be 0 or more.")
        if self.iterations is not None and self.iterations < 1:
            raise UserError(f"--iterations {self.iterations}: must be 1 or more.")
        if self.duration_s is not None and not self.duration_s > 0:
            raise UserError(f"--duration {self.duration_s}: must be more than 0 seconds.")
        if self.duration_s is not None and not self.duration_s <= MAX_SECONDS:
            raise UserError(f"--duration {self.duration_s}: must be at most {MAX_SECONDS:g} seconds (7 days).")
        if self.iterations is None and self.duration_s is None:
            raise UserError("give --iterations N or --duration S.")
        if self.threads is not None and self.threads < 1:
            raise UserError(f"--threads {self.threads}: must be 1 or more.")
        if self.threads is not None and self.threads > max_thread_count():
            raise UserError(f"--threads {self.threads}: must be at most {max_thread_count()}.")
        if self.until_steady is not None and not 0 < self.until_steady < 1:
            raise UserError(f"--until-steady {self.until_steady}: must be between 0 and 1 (e.g. 0.01 for 1%).")
        if not self.stall_timeout_s > 0:
            raise UserError(f"--timeout {self.stall_timeout_s}: must be more than 0 seconds.")
        if not self.stall_timeout_s <= MAX_SECONDS:
            raise UserError(f"--timeout {self.stall_timeout_s}: must be at most {MAX_SECONDS:g} seconds (7 days).")
        if quiet_check_problem(self.quiet_check_s):
            raise UserError(f"--quiet-check {self.quiet_check_s}: {quiet_check_problem(self.quiet_check_s)}")
        for _option, value, rule, hint in mode_problems(self.mode, self.requests, lambda f: f"--{f}"):
            raise UserError(f"--requests {value}: {rule}", hint=hint)
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        return cls(**data)
