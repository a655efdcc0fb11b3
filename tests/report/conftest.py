"""Fixtures for the comparison / report / history tests: hand-built records and a few real runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from app.record import io as rec
from app.record.schema import SCHEMA, RunRecord, RunStatus
from tests import model_zoo

EVIL = "<script>alert(1)</script>"


def make_record(*args, **kwargs) -> RunRecord:
    """A small typed record following docs/run-record.md; latencies spread around `p50` (see record_json)."""
    return rec.parse(record_json(*args, **kwargs), "make_record")


def record_json(target: str = "ort/cpu", p50: float = 0.002, *, sha: str = "abc", shape=(1, 4),
                share: float | None = 1.0, status: str = "completed", ok: bool | None = True,
                energy_j: float | None = None, n: int = 200, seed: int = 0, name: str = "m.onnx",
                host: str = "pc", created: str = "2026-01-02T03:04:05+00:00") -> dict:
    """The record as the JSON document a run file holds (schema version 2)."""
    r = {"schema": SCHEMA, "schema_version": 2}
    rng = np.random.default_rng(seed)
    samples = (p50 * rng.lognormal(0.0, 0.05, n)).tolist()
    offsets = np.concatenate([[0.0], np.cumsum(samples)[:-1]]).tolist()
    outputs = [] if ok is None else [{"name": "y", "shape": [1, 4], "max_abs_error": 0.0 if ok else 1.0,
                                      "mean_abs_error": 0.0, "cosine_similarity": 1.0 if ok else 0.2, "ok": ok}]
    r.update({
        "tool": {"name": "aipcprof", "version": "0.1.0"}, "created_utc": created, "status": status,
        "host": {"hostname": host, "os": "Linux 6", "cpu": "CPU X", "logical_cpus": 8, "ram_bytes": 2**34,
                 "python": "3.11.7", "power": {"source": "AC", "battery_percent": 80}},
        "versions": {"aipcprof": "0.1.0", "onnxruntime": "1.23.0", "numpy": "2.0"},
        "model": {"path": f"/m/{name}", "name": name, "sha256": sha, "size_bytes": 100, "graph_name": "g",
                  "producer": "tests"},
        "target": {"id": target, "engine": "onnxruntime", "provider": "P", "device_type": {"gpu": "GPU", "npu": "NPU"}.get(target.split("/")[-1], "CPU"), "device_name": "Dev"},
        "settings": {"target_id": target, "warmup": 10, "iterations": n, "threads": None, "ep_options": {}},
        "inputs": [{"name": "x", "dtype": "float32", "shape": list(shape), "source": "synthetic (seed 0)"}],
        "phases": {"load": {"seconds": 0.1, "t0_ns": 0, "t1_ns": 1}, "warmup": {"seconds": 0.01, "t0_ns": 1,
                                                                                  "t1_ns": 2, "count": 10}},
        "latency": {"unit": "s", "count": n, "p50": p50, "p90": p50 * 1.1, "p99": p50 * 1.5, "min": p50 * 0.8,
                    "max": p50 * 2, "mean": p50, "std": p50 * 0.05, "p95": p50 * 1.2,
                    "throughput_per_s": 1 / p50, "samples": samples, "offsets": offsets, "samples_stride": 1,
                    "t0_ns": 0},
        "placement": None if share is None else {"total_nodes": 10, "nodes_by_provider": {"P": 10},
                                                 "accelerator": "P", "accelerator_nodes": round(10 * share),
                                                 "accelerator_share": share, "source": "test"},
        "precision": "fp32",
        "output_check": {"reference": "ort/cpu", "outputs": outputs} if ok is not None else
        {"reference": "ort/cpu", "skipped": "this run is the reference (ort/cpu)", "outputs": []},
        "telemetry": {"available": False, "reason": "no sampler attached to this run"},
        "energy": {"available": True, "joules_per_inference": energy_j} if energy_j is not None else
        {"available": False, "reason": "no power source"},
    })
    return r


@pytest.fixture
def record_factory():
    return make_record


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty user data folder for the history (AIPCPROF_DATA_DIR): no test touches the real one."""
    d = tmp_path / "data"
    monkeypatch.setenv("AIPCPROF_DATA_DIR", str(d))
    return d


def evil_model() -> onnx.ModelProto:
    """y = x + 1 where every name a model can carry holds a script tag."""
    x = helper.make_tensor_value_info(f"x{EVIL}", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info(f"y{EVIL}", TensorProto.FLOAT, [1, 4])
    one = model_zoo._init(f"one{EVIL}", np.ones((1, 4), np.float32))
    node = helper.make_node("Add", [f"x{EVIL}", f"one{EVIL}"], [f"y{EVIL}"], name=f"add{EVIL}")
    m = model_zoo._model(helper.make_graph([node], f"graph{EVIL}", [x], [y], [one]))
    m.producer_name = f"producer{EVIL}"
    return m


def _run(path: Path, **spec) -> RunRecord:
    from app.run.runner import ProfileRun
    from app.run.runspec import RunSpec

    run = ProfileRun(RunSpec(model_path=str(path), target_id="ort/cpu", warmup=2, iterations=30, **spec))
    run.start()
    try:
        return run.wait()
    finally:
        run.close()


@pytest.fixture(scope="session")
def real_runs(zoo, tmp_path_factory) -> dict[str, Path]:
    """Real ort/cpu runs saved as files: conv_net with 1 and 2 threads, and the script-tag model."""
    folder = tmp_path_factory.mktemp("runs")
    evil_path = model_zoo.save(evil_model(), folder, "evil_model")
    runs = {"conv_t1": _run(zoo["conv_net"], threads=1), "conv_t2": _run(zoo["conv_net"], threads=2),
            "evil": _run(evil_path)}
    for r in runs.values():
        assert r.status is RunStatus.COMPLETED, r.error
    return {name: rec.save(r, folder / f"{name}.json") for name, r in runs.items()}
