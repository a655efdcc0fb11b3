"""`aipcprof run` / `compare` from the command line: exit codes, one-line errors, no partial files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import onnx
import pytest

from app.cli import main
from app.record import io as rec
from app.record.schema import RunStatus
from tests import model_zoo
from tests.corpus import models as corpus

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _external(tmp_path: Path, location: str | None = None, drop: bool = False) -> Path:
    folder = tmp_path / "ext"
    folder.mkdir()
    path = model_zoo.save(model_zoo.conv_net(), folder, "ext", external_data=True)
    if drop:
        (folder / "ext.weights").unlink()
    if location:
        m = onnx.load(str(path), load_external_data=False)
        for t in m.graph.initializer:
            for e in t.external_data:
                if e.key == "location":
                    e.value = location
        onnx.save(m, str(path))
    return path


def _bad_model(kind: str, tmp_path: Path, zoo) -> tuple[list[str], str]:
    """(extra CLI args, text the one-line error must contain) for each bad input."""
    p = tmp_path / "model.onnx"
    if kind == "empty":
        p.write_bytes(b"")
        return [str(p)], "empty"
    if kind == "random":
        p.write_bytes(os.urandom(2048))
        return [str(p)], "model.onnx"
    if kind == "png":
        p.write_bytes(PNG)
        return [str(p)], "PNG"
    if kind == "truncated":
        p.write_bytes(zoo["conv_net"].read_bytes()[:700])
        return [str(p)], "model.onnx"
    if kind == "missing_external":
        return [str(_external(tmp_path, drop=True))], "ext.weights"
    if kind == "outside_external":
        secret = tmp_path / "secret.bin"
        secret.write_bytes(b"\x00" * 100_000)
        return [str(_external(tmp_path, location="../secret.bin"))], "outside"
    if kind == "custom_op":
        return [str(zoo["custom_domain_op"])], "com.example.custom"
    if kind == "unresolved_dim":  # a dim named like nothing known ('seq' would now take a stated guess)
        return [str(corpus.save(corpus.vad(with_rate=False), tmp_path, "vad"))], "--dim n="
    if kind == "needs_value":  # a sample rate: no made-up value
        return [str(corpus.save(corpus.vad(), tmp_path, "vad")), "--dim", "n=512"], "--input sr=16000"
    if kind == "kernel_wider_than_input":  # the chosen size cannot run: named, with the size that can
        return [str(corpus.save(corpus.vad(), tmp_path, "vad")), "--dim", "n=128", "--input", "sr=16000"], \
            "input 'input' has n=128; the model's first convolution ('stft') needs at least 256"
    if kind == "wrong_rank":
        return [str(zoo["conv_net"]), "--shape", "image=1,3,64"], "image"
    if kind == "unknown_target":
        return [str(zoo["conv_net"]), "--target", "ort/nope"], "ort/cpu"
    if kind == "quiet_check_zero":
        return [str(zoo["conv_net"]), "--quiet-check", "0"], "--quiet-check 0.0: must be more than 0 seconds."
    if kind == "quiet_check_huge":
        return [str(zoo["conv_net"]), "--quiet-check", "1e9"], "--quiet-check 1000000000.0: must be at most 3600"
    if kind == "unwritable_out":
        return [str(zoo["conv_net"]), "--out", str(tmp_path / "no" / "such" / "run.json")], "--out"
    raise AssertionError(kind)


BAD = ["empty", "random", "png", "truncated", "missing_external", "outside_external", "custom_op",
       "unresolved_dim", "needs_value", "kernel_wider_than_input", "wrong_rank", "unknown_target", "unwritable_out",
       "quiet_check_zero", "quiet_check_huge"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_line_exit_2_no_output(kind, tmp_path, zoo, capsys):
    args, expected = _bad_model(kind, tmp_path, zoo)
    out = tmp_path / "run.json"
    if "--out" not in args:
        args += ["--out", str(out)]
    if "--target" not in args:
        args += ["--target", "ort/cpu"]
    code = main(["run", *args, "-n", "2", "--no-telemetry", "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipcprof: error:"), err
    assert expected in lines[0]
    assert not out.exists()
    assert not [f for f in tmp_path.rglob("*.tmp")]


def test_run_writes_record_and_compare_reads_it(tmp_path, zoo, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    # 30 inferences: the fewest a speed-up is computed from (app.report.facts.MIN_SAMPLES_TO_COMPARE)
    assert main(["run", str(zoo["conv_net"]), "--target", "ort/cpu", "-n", "30", "--out", str(a), "-q",
                 "--no-telemetry"]) == 0
    assert main(["run", str(zoo["conv_net"]), "--target", "ov/cpu", "-n", "30", "--out", str(b), "-q",
                 "--no-telemetry"]) == 0
    capsys.readouterr()
    csv = tmp_path / "cmp.csv"
    assert main(["compare", str(a), str(b), "--csv", str(csv)]) == 0
    table = capsys.readouterr().out
    assert "ort/cpu" in table and "ov/cpu" in table and "1.00x" in table
    assert "WARNING" not in table  # same model, same inputs
    assert csv.read_text().count("\n") == 3


def test_compare_rejects_corrupted_and_future_files(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    future = tmp_path / "future.json"
    future.write_text(json.dumps({"schema": "aipcprof.run", "schema_version": 99}))
    for path, text in ((bad, "not valid JSON"), (future, "newer than this tool")):
        assert main(["compare", str(path)]) == 2
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err


def test_json_stdout_stays_clean_with_noisy_native_runtimes(zoo):
    # The QNN libraries print banners on stdout; --json output must still parse.
    proc = subprocess.run([sys.executable, "-m", "app", "run", str(zoo["single_add"]), "--target",
                           "ort/qnn/htp-emulator", "-n", "2", "--warmup", "0", "--json", "--no-telemetry"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert rec.parse(json.loads(proc.stdout), "stdout").target.id == "ort/qnn/htp-emulator"


def test_ctrl_c_stops_cleanly_and_keeps_partial_record(tmp_path, zoo):
    out = tmp_path / "run.json"
    proc = subprocess.Popen([sys.executable, "-m", "app", "run", str(zoo["conv_net"]), "--duration", "60",
                             "--warmup", "0", "--out", str(out), "--no-telemetry"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    line = ""
    while "[warmup]" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    time.sleep(0.5)  # inside the measured loop
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    record = rec.load(out)
    assert record.status is RunStatus.CANCELLED and record.latency.count > 0


def test_a_failed_run_names_the_native_log(tmp_path, capsys):
    """Exit 1 (the run started, then failed): the error line, then where the native output went."""
    import argparse

    from app.cli.cmd_run import _report
    from app.common.errors import ErrorKind, ExitStatus
    from app.record.schema import RunError, RunRecord, TargetInfo

    log = tmp_path / "worker.log"
    log.write_text(" # LIBNATIVE: something the runtime printed\n")
    record = RunRecord(target=TargetInfo(id="ort/cpu"), status=RunStatus.FAILED, worker_log=str(log),
                       error=RunError("the inference worker exited with code 3 during phase 'compile'.",
                                      ErrorKind.WORKER_CRASHED, "A runtime or driver crashed."))
    assert _report(record, argparse.Namespace(out=None, json=False)) is ExitStatus.RUN_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("aipcprof: error: the inference worker exited with code 3")
    assert err[1] == f"aipcprof: native runtime output: {log}"
    record.worker_log = None  # nothing printed by the runtimes: no second line
    _report(record, argparse.Namespace(out=None, json=False))
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
