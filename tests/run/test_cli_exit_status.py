"""`aipcprof run` decides its exit status from the record's error kind (no worker needed)."""

from __future__ import annotations

import argparse

import pytest

from app.cli.cmd_run import _report
from app.common.errors import ErrorKind, ExitStatus, UserError
from app.record import io as rec
from app.record.schema import RunRecord


def _record(status: str, kind: ErrorKind | str | None = None, count: int = 0) -> RunRecord:
    data = {"schema": "aipcprof.run", "schema_version": 2, "status": status,
            "model": {"path": "m.onnx", "name": "m"}, "target": {"id": "ort/cpu"},
            "latency": {"count": count, "p50": 1e-3, "p90": 1e-3, "p99": 1e-3, "mean": 1e-3, "std": 0.0,
                        "min": 1e-3, "max": 1e-3, "throughput_per_s": 1e3} if count else {"count": 0}}
    if kind is not None:
        data["error"] = {"message": "it failed.", "hint": "fix it", "kind": getattr(kind, "value", kind),
                         "phase": "load", "detail": ""}
        if isinstance(kind, str) and kind.startswith("internal:"):  # a version-1 record's spelling
            data["schema_version"] = 1
    return rec.parse(data, "test record")


def _args(tmp_path) -> argparse.Namespace:
    return argparse.Namespace(out=str(tmp_path / "run.json"), json=False)


@pytest.mark.parametrize("kind", [k for k in ErrorKind if k.is_bad_input])
def test_bad_input_before_any_measurement_writes_nothing(kind, tmp_path):
    with pytest.raises(UserError, match="it failed."):  # main() prints one line and exits USER_ERROR
        _report(_record("failed", kind), _args(tmp_path))
    assert not (tmp_path / "run.json").exists()


@pytest.mark.parametrize("kind", [*(k for k in ErrorKind if not k.is_bad_input), "internal:ValueError: old record"])
def test_run_failure_is_reported_not_raised(kind, tmp_path, capsys):
    assert _report(_record("failed", kind), _args(tmp_path)) is ExitStatus.RUN_FAILED
    assert "aipcprof: error: it failed. fix it" in capsys.readouterr().err
    # The run started, so its record is kept even with nothing measured (a crash in load/compile/first
    # inference is exactly when the user needs it); only bad input before measuring writes nothing.
    assert rec.load(tmp_path / "run.json").error.message == "it failed."
    (tmp_path / "run.json").unlink()
    assert _report(_record("failed", kind, count=5), _args(tmp_path)) is ExitStatus.RUN_FAILED
    assert (tmp_path / "run.json").exists()  # the partial record is kept


def test_failure_after_measuring_keeps_the_record_even_for_bad_input(tmp_path):
    assert _report(_record("failed", ErrorKind.INPUT_SPEC, count=5), _args(tmp_path)) is ExitStatus.RUN_FAILED
    assert (tmp_path / "run.json").exists()


@pytest.mark.parametrize(("status", "expected"), [("completed", ExitStatus.OK), ("cancelled", ExitStatus.CANCELLED)])
def test_completed_and_cancelled(status, expected, tmp_path):
    assert _report(_record(status, count=5), _args(tmp_path)) is expected
    assert int(expected) == {"completed": 0, "cancelled": 130}[status]
