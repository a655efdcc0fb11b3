"""RunSpec: everything a run needs, plain data so it crosses the process boundary.

Its defaults are RunOptions' (app.run.spec_builder): the one place they are written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.common.errors import UserError
from app.run.spec_builder import DEFAULTS as _D


@dataclass
class RunSpec:
    model_path: str
    target_id: str
    warmup: int = _D.warmup
    iterations: int | None = _D.iterations  # None when duration_s is set
    duration_s: float | None = None
    shapes: dict[str, list[int]] = field(default_factory=dict)  # --shape INPUT=d0,d1
    dims: dict[str, int] = field(default_factory=dict)  # --dim SYMBOL=N
    inputs: dict[str, str] = field(default_factory=dict)  # --input NAME=FILE|VALUE
    seed: int = _D.seed
    ep_options: dict[str, str] = field(default_factory=dict)
    strict: bool = _D.strict
    threads: int | None = _D.threads
    io_binding: bool = _D.io_binding
    check_outputs: bool = _D.check_outputs
    cache_dir: str | None = _D.cache_dir
    # Stop measuring once the p50's 95% confidence half-width is below this
    # share of the p50 (e.g. 0.01); iterations/duration stay the upper bound.
    until_steady: float | None = _D.until_steady
    # Wall-clock limit without progress (compile or one inference) before the
    # worker is declared hung and killed.
    stall_timeout_s: float = _D.stall_timeout_s

    def validate(self) -> RunSpec:
        if self.warmup < 0:
            raise UserError(f"--warmup {self.warmup}: must be 0 or more.")
        if self.iterations is not None and self.iterations < 1:
            raise UserError(f"--iterations {self.iterations}: must be 1 or more.")
        if self.duration_s is not None and not self.duration_s > 0:
            raise UserError(f"--duration {self.duration_s}: must be more than 0 seconds.")
        if self.iterations is None and self.duration_s is None:
            raise UserError("give --iterations N or --duration S.")
        if self.threads is not None and self.threads < 1:
            raise UserError(f"--threads {self.threads}: must be 1 or more.")
        if self.until_steady is not None and not 0 < self.until_steady < 1:
            raise UserError(f"--until-steady {self.until_steady}: must be between 0 and 1 (e.g. 0.01 for 1%).")
        if not self.stall_timeout_s > 0:
            raise UserError(f"--timeout {self.stall_timeout_s}: must be more than 0 seconds.")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        return cls(**data)
