"""Version-1 run records (the first release's files) load as typed version-2 records; garbage is a UserError."""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from app.common.errors import ErrorKind, UserError
from app.record import io as rec
from app.record.schema import SCHEMA_VERSION, RunRecord, RunStatus, WarningKind
from app.report.html import render_report
from app.report.text import format_run

V1 = Path(__file__).resolve().parents[1] / "data" / "records" / "v1"
CPU, QNN = V1 / "completed_ort_cpu.json", V1 / "completed_qnn_emulator.json"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "run.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- (a) the checked-in version-1 files ------------------------------------------------------------------

@pytest.mark.parametrize("path, count, target, series", [(CPU, 300, "ort/cpu", 13),
                                                         (QNN, 5, "ort/qnn/htp-emulator", 13)])
def test_v1_files_load_typed_with_their_values(path, count, target, series):
    raw = _json(path)
    assert raw["schema_version"] == 1
    r = rec.load(path)
    assert isinstance(r, RunRecord) and r.schema_version == SCHEMA_VERSION
    assert r.status is RunStatus.COMPLETED and r.error is None and r.target.id == target
    assert r.latency.count == count and r.measured
    assert r.latency.p50 == raw["latency"]["p50"] and r.latency.throughput_per_s == raw["latency"]["throughput_per_s"]
    assert r.latency.samples.dtype == np.float64 and r.latency.samples.tolist() == raw["latency"]["samples"]
    assert len(r.telemetry.series) == series and r.telemetry.available == raw["telemetry"]["available"]
    some = next(iter(r.telemetry.series.values()))
    assert isinstance(some.t_s, np.ndarray) and isinstance(some.values, np.ndarray)
    assert r.placement.accelerator_share == 1.0 and r.model.sha256 == raw["model"]["sha256"]
    assert r.host.hostname == raw["host"]["hostname"] and r.settings.iterations == raw["settings"]["iterations"]
    assert [w.text for w in r.warnings] == raw["warnings"]


def test_v1_warning_kinds():
    assert rec.load(CPU).warnings == []
    (note,) = rec.load(QNN).warnings  # the engine's note, copied into the warnings by version 1
    assert note.kind is WarningKind.ENGINE_NOTE and note.text.startswith("Qualcomm HTP emulator")


@pytest.mark.parametrize("path", [CPU, QNN])
def test_resaving_a_v1_file_writes_version_2_that_loads_identically(path, tmp_path):
    first = rec.load(path)
    saved = rec.save(first, tmp_path / "v2.json")
    raw = _json(saved)
    assert raw["schema_version"] == 2 and raw["schema"] == "aipcprof.run"
    assert all(set(w) == {"kind", "text"} for w in raw["warnings"])
    again = rec.load(saved)
    assert again.to_json() == first.to_json()
    np.testing.assert_array_equal(again.latency.samples, first.latency.samples)
    assert rec.dumps(again) == rec.dumps(first)


# -- (b) version-1 prose and error kinds, upgraded ------------------------------------------------------

def _v1_failed_run(tmp_path: Path, error_kind: str) -> RunRecord:
    data = _json(CPU)
    data["status"] = "failed"
    data["placement"].update(accelerator="NPU", accelerator_nodes=0, accelerator_share=0.0)
    data["warnings"] = [
        "NOTHING RAN ON NPU: 0 of 11 nodes were placed there; this run measured the CPU fallback.",
        "3 of 11 nodes fell back from QNNExecutionProvider to other providers (73% on the accelerator).",
        "cancelled by the user after 120 measured inferences; partial results.",
        "output 'logits' differs from the CPU reference (cosine 0.2000).",
        "the p50 did not settle to ±1.0% before the iteration/duration limit; raise --duration.",
        "something nobody classified",
    ]
    data["error"] = {"message": "ValueError: boom", "hint": "", "kind": error_kind, "phase": "measure"}
    return rec.load(_write(tmp_path, data))


def test_v1_warnings_get_their_kinds(tmp_path):
    r = _v1_failed_run(tmp_path, "internal:ValueError: boom")
    assert [w.kind for w in r.warnings] == [
        WarningKind.NOTHING_ON_ACCELERATOR, WarningKind.PARTIAL_FALLBACK, WarningKind.CANCELLED,
        WarningKind.OUTPUT_MISMATCH, WarningKind.NOT_STEADY, WarningKind.OTHER]
    assert r.nothing_on_accelerator
    assert [w.text for w in r.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR)] == [r.warnings[0].text]
    assert r.status is RunStatus.FAILED


def test_v1_internal_error_kind_keeps_its_detail(tmp_path):
    r = _v1_failed_run(tmp_path, "internal:ValueError: boom")
    assert r.error.kind is ErrorKind.INTERNAL and r.error.detail == "ValueError: boom"
    assert r.error.message == "ValueError: boom" and r.error.phase == "measure"
    saved = _json(rec.save(r, tmp_path / "v2.json"))
    assert saved["error"]["kind"] == "internal" and saved["error"]["detail"] == "ValueError: boom"


@pytest.mark.parametrize("kind, expected, detail", [
    ("ModelError", ErrorKind.MODEL, ""), ("TargetError", ErrorKind.TARGET, ""), ("MemoryError", ErrorKind.OUT_OF_MEMORY, ""),
    ("WorkerCrashed", ErrorKind.WORKER_CRASHED, ""), ("Timeout", ErrorKind.TIMEOUT, ""),
    ("internal", ErrorKind.INTERNAL, ""), ("RuntimeError", ErrorKind.INTERNAL, "RuntimeError"),
])
def test_v1_error_kinds(tmp_path, kind, expected, detail):
    r = _v1_failed_run(tmp_path, kind)
    assert r.error.kind is expected and r.error.detail == detail


def test_v1_nulls_mean_defaults_not_errors(tmp_path):
    """Version 1 wrote a section the run never reached as null."""
    data = _json(CPU)
    data.update(status="failed", latency=None, phases=None, telemetry=None, inputs=None, warnings=None,
                target=None, placement=None, energy=None, sustained=None,
                error={"message": "no such file", "hint": "", "kind": "ModelError", "phase": "load"})
    r = rec.load(_write(tmp_path, data))
    assert not r.measured and r.latency.p50 is None and r.phases == {} and r.warnings == []
    assert r.target.id == data["settings"]["target_id"] and r.placement is None
    assert r.error.kind.is_bad_input


# -- (c) wrong types name the file and the key; garbage is only ever a UserError ------------------------

@pytest.mark.parametrize("edit, key", [
    (lambda d: d["latency"].update(p50="fast"), "latency.p50"),
    (lambda d: d["latency"].update(count=3.5), "latency.count"),
    (lambda d: d["inputs"][0].update(shape="1x3"), "inputs[0].shape"),
    (lambda d: d.update(status="done"), "status"),
    (lambda d: d["placement"].update(nodes_by_provider=[1]), "placement.nodes_by_provider"),
    (lambda d: d["latency"].update(samples=[0.1, "x"]), "latency.samples"),
    (lambda d: d.update(warnings="NOTHING RAN"), "warnings"),
])
def test_wrong_type_is_a_user_error_naming_file_and_key(tmp_path, edit, key):
    data = _json(CPU)
    edit(data)
    path = _write(tmp_path, data, "edited.json")
    with pytest.raises(UserError) as err:
        rec.load(path)
    assert str(path) in err.value.message and key in err.value.message, err.value.message


_GARBAGE = ["text", "", 7, -1, 0, 1.5, math.nan, math.inf, 10**30, True, False, None, [], {}, [1, "a"],
            [[0.1, 0.2], [0.3, 0.4]], {"x": 1}, {"id": None}]


def _paths(obj, prefix=()) -> list[tuple]:
    """Key paths into a parsed record; of a list only the list itself and its first item."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(prefix + (k,))
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list) and obj:
        out.append(prefix + (0,))
        out += _paths(obj[0], prefix + (0,))
    return out


def _mutate(data: dict, rng: random.Random) -> str:
    path = rng.choice([p for p in _paths(data) if p[0] not in ("schema", "schema_version")])
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
        return f"del {path}"
    parent[path[-1]] = copy.deepcopy(rng.choice(_GARBAGE))
    return f"{path} = {parent[path[-1]]!r}"


@pytest.mark.parametrize("seed", range(4))
def test_mutated_v1_records_load_or_raise_user_error(tmp_path, seed):
    rng = random.Random(seed)
    originals = [_json(CPU), _json(QNN)]
    loaded = rejected = 0
    for i in range(100):
        data = copy.deepcopy(rng.choice(originals))
        edits = [_mutate(data, rng) for _ in range(rng.randint(1, 3))]
        path = tmp_path / f"m{i}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        try:
            r = rec.load(path)
        except UserError as e:
            assert str(path) in e.message, (edits, e.message)
            rejected += 1
            continue
        except Exception as e:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{edits}: {type(e).__name__}: {e}")
        loaded += 1
        # What loads must save and report without crashing.
        try:
            rec.dumps(r)
            format_run(r)
            render_report([r], ["mutated"])
        except Exception as e:  # noqa: BLE001
            pytest.fail(f"{edits}: loaded, then {type(e).__name__}: {e}")
    assert loaded and rejected  # both kinds of edit happened
