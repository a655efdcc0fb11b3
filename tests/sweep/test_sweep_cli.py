"""`aipcprof sweep` for real: the runtimes run every point; bad input is one line and exit 2."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.common.errors import ExitStatus
from app.record import sweep as sweep_io
from app.record.schema import RunStatus
from app.record.sweep import PointStatus

ROOT = Path(__file__).resolve().parents[2]


def _cli(args: list[str], tmp_path: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIPCPROF_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "app", "sweep", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("model, argv, line", [
    ("dynamic_mlp", ["--dim", "batch=0"], "aipcprof: error: --dim batch=0: every value must be 1 or more."),
    ("dynamic_mlp", ["--dim", "batch=a,b"], "aipcprof: error: --dim batch=a,b: 'a' is not a whole number."),
    ("dynamic_mlp", ["--mode", "throughput", "--requests", "0"],
     "aipcprof: error: --requests 0: every value must be 1 or more."),
    ("dynamic_mlp", ["--requests", "1,2"], "aipcprof: error: --requests 1,2: only applies to --mode throughput."),
    ("dynamic_mlp", ["--dim", "seq=1,2"],
     "aipcprof: error: --dim seq: the model has no symbolic dim 'seq' (its symbolic dims: batch)."),
    ("conv_net", ["--dim", "batch=1,2"], "aipcprof: error: --dim batch: the model has no symbolic dim 'batch' "
     "(its symbolic dims: none: every input size is fixed)."),
    ("dynamic_mlp", ["--dim", "batch=" + ",".join(map(str, range(1, 18))), "--threads", ",".join(map(str, range(1, 17)))],
     "aipcprof: error: the grid has 272 points (1 target(s) x 17 batch x 16 threads), over 256"),
    ("dynamic_mlp", [], "aipcprof: error: nothing to sweep."),
    ("dynamic_mlp", ["--dim", "batch=1,2", "--dim", "batch=4"], "aipcprof: error: --dim batch is given twice."),
    ("dynamic_mlp", ["--dim", "batch=1,2", "--target", "ort/nope"], "aipcprof: error: "),
])
def test_bad_input_is_one_line_and_exit_2(sweep_models, tmp_path, model, argv, line):
    res = _cli([str(sweep_models[model]), *argv], tmp_path, timeout=60)
    assert res.returncode == ExitStatus.USER_ERROR, res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(line), res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert not (tmp_path / "data" / "sweeps").exists() or not any((tmp_path / "data" / "sweeps").iterdir())


def test_a_batch_sweep_writes_the_record_the_table_the_csv_and_the_chart(sweep_models, tmp_path):
    out, table, chart = tmp_path / "s.json", tmp_path / "s.csv", tmp_path / "s.svg"
    res = _cli([str(sweep_models["dynamic_mlp"]), "--dim", "batch=1,2,4,8", "-t", "ort/cpu", "-n", "30",
                "--warmup", "2", "--out", str(out), "--csv", str(table), "--svg", str(chart)], tmp_path)
    assert res.returncode == ExitStatus.OK, res.stderr
    record = sweep_io.load(out)
    assert record.status is RunStatus.COMPLETED and [a.name for a in record.axes] == ["batch"]
    assert [p.values for p in record.points] == [[1], [2], [4], [8]]
    for p in record.points:  # each point a whole run at its own batch size
        assert p.status is PointStatus.COMPLETED and p.run.latency.count == 30
        assert p.run.inputs[0].shape == [p.values[0], 16] and p.run.settings.dims == {"batch": p.values[0]}
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert [r["batch"] for r in rows] == ["1", "2", "4", "8"] and {r["status"] for r in rows} == {"completed"}
    for r, p in zip(rows, record.points, strict=True):
        assert float(r["p50_ms"]) == pytest.approx(p.run.latency.p50 * 1e3, rel=1e-5)
        assert float(r["samples_per_s"]) == pytest.approx(p.run.latency.throughput_per_s * p.values[0], rel=1e-5)
        assert r["p99_ms"] == "" and "too few inferences for a p99" in r["p99_note"]  # 30 < 100: omitted, said why
    svg = ET.fromstring(chart.read_text())
    lines = [e for e in svg.iter("{http://www.w3.org/2000/svg}polyline")]
    assert len(lines) == 2  # p50 and throughput, one line each (p99 and energy have no value: N/A, not zero)
    texts = " ".join(e.text or "" for e in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "N/A: no point has a value" in texts and "too few inferences for a p99" in texts
    best_p50 = min(record.points, key=lambda p: p.run.latency.p50)
    assert f"best latency: ort/cpu, batch={best_p50.values[0]} (p50 " in res.stdout
    assert "best efficiency: N/A (" in res.stdout or "best efficiency: ort/cpu" in res.stdout
    assert f"sweep record: {out}" in res.stdout


def test_a_failed_point_is_kept_with_its_error_and_the_sweep_goes_on(sweep_models, tmp_path):
    out = tmp_path / "f.json"
    res = _cli([str(sweep_models["reshape_by_eight"]), "--dim", "batch=2,3,4", "-n", "5", "--warmup", "1",
                "--out", str(out)], tmp_path)
    assert res.returncode == ExitStatus.RUN_FAILED, res.stderr
    record = sweep_io.load(out)
    assert [p.status for p in record.points] == [PointStatus.COMPLETED, PointStatus.FAILED, PointStatus.COMPLETED]
    failed = record.points[1]
    assert failed.error is not None and failed.error.message and failed.run.error == failed.error
    assert "1 of 3 points failed; the sweep went on" in res.stdout
    assert "failed: " in res.stdout.splitlines()[3]  # the table row of batch=3 says why
    # 5 inferences a point: too few to name a best point, and the line says so
    assert "best latency: N/A (no completed point measured 30 inferences or more)" in res.stdout


def test_sigterm_stops_the_point_in_flight_and_keeps_the_finished_ones(sweep_models, tmp_path):
    out = tmp_path / "c.json"
    env = {**os.environ, "AIPCPROF_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "app", "sweep", str(sweep_models["dynamic_mlp"]), "--dim",
                             "batch=1,2,4,8", "--duration", "3", "--warmup", "1", "--no-output-check", "--out",
                             str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        for line in proc.stderr:  # progress: '[2/4] ort/cpu batch=2 ...' once the first point is done
            if line.startswith("[2/4]") or time.monotonic() > deadline:
                break
        time.sleep(1.0)  # into the second point's run
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitStatus.TERMINATED, stdout
    record = sweep_io.load(out)
    assert record.status is RunStatus.CANCELLED
    statuses = [p.status for p in record.points]
    assert statuses[0] is PointStatus.COMPLETED and record.points[0].run.latency.count > 0
    assert statuses[1] is PointStatus.CANCELLED and statuses[2:] == [PointStatus.NOT_RUN] * 2
    assert "stopped: 3 of 4 points not (fully) run; finished points kept" in stdout


def test_the_qnn_emulator_compiles_a_session_per_shape(sweep_models, targets):
    from app.run.spec_builder import RunOptions
    from app.run.sweep import SweepRun
    from app.run.sweep_plan import make_plan, parse_axes

    target = "ort/qnn/htp-emulator"
    if target not in targets or not targets[target].ready:
        pytest.skip(f"{target} is not ready here")
    plan = make_plan(str(sweep_models["dynamic_mlp"]), [target], parse_axes(["batch=1,2"], None, None),
                     RunOptions(iterations=3, warmup=1))
    record = SweepRun(plan).wait()
    for p in record.points:
        assert p.status is PointStatus.COMPLETED, p.error
        # the static-shape EP got the batch through the free-dimension override, one session per point
        assert p.run.session.effective_options["free_dim.batch"] == str(p.values[0])
        assert p.run.inputs[0].shape == [p.values[0], 16] and p.run.placement.accelerator_share == 1.0
