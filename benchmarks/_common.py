"""Helpers shared by the benchmark scripts (not part of the app)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_model(name: str, **kwargs) -> Path:
    from tests import model_zoo

    folder = Path(tempfile.mkdtemp(prefix="aipcprof-bench-"))
    return model_zoo.save(getattr(model_zoo, name)(**kwargs), folder, name)


def app_run(model: Path, target: str, iterations: int, warmup: int = 50, **spec_kwargs) -> object:
    """Profile with the app's own engine (spawned worker), no telemetry, no output check."""
    from app.run.runspec import RunSpec

    spec = RunSpec(model_path=str(model), target_id=target, warmup=warmup, iterations=iterations,
                   check_outputs=False, **spec_kwargs)
    record = _run(spec)
    if record.status.value != "completed":
        raise SystemExit(f"app run failed: {record.error}")
    return record


def _run(spec) -> object:
    from app.run.runner import ProfileRun

    run = ProfileRun(spec)
    run.start()
    try:
        return run.wait()
    finally:
        run.close()
