"""Helpers shared by the benchmark scripts (not part of the app)."""

from __future__ import annotations

import re
import shutil
import subprocess
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


def benchmark_app(model: Path, *args: str) -> str:
    """OpenVINO's benchmark_app on the CPU (the one installed beside this Python), its report as text."""
    exe = shutil.which("benchmark_app") or str(Path(sys.executable).with_name("benchmark_app"))
    return subprocess.run([exe, "-m", str(model), "-d", "CPU", *args], capture_output=True, text=True,
                          check=True).stdout


def benchmark_app_figure(report: str, pattern: str, what: str) -> float:
    """One number from benchmark_app's report, e.g. pattern r"Median:\\s+([\\d.]+)\\s+ms"."""
    match = re.search(pattern, report)
    if not match:
        raise SystemExit(f"could not find the {what} in benchmark_app's output:\n" + report)
    return float(match.group(1))
