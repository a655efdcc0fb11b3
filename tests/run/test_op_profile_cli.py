"""`aipcprof run --op-profile`, `aipcprof ops`, `compare` op-type lines and `--trace`, on the real runtimes."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from app.cli import main
from app.record import io as rec
from app.record import ops
from app.record.schema import OpProfile, OpSource, OpStatus, RunRecord, TargetInfo
from app.report.text import format_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory, zoo) -> dict:
    """conv_net profiled on ort/cpu and ov/cpu (one run each, shared by the tests below)."""
    folder = tmp_path_factory.mktemp("ops")
    out = {}
    for target in ("ort/cpu", "ov/cpu"):
        path = folder / f"{target.replace('/', '_')}.json"
        assert main(["run", str(zoo["conv_net"]), "-t", target, "-n", "30", "--op-profile", "--out", str(path),
                     "-q", "--no-output-check"]) == 0
        out[target] = path
    return out


@pytest.mark.parametrize("target", ["ort/cpu", "ov/cpu"])
def test_run_records_the_profile_after_the_timed_loop(runs, target):
    r = rec.load(runs[target])
    p = r.op_profile
    assert r.settings.op_profile and p.available and p.runs_profiled >= 3 and p.warmup_dropped == 2
    assert p.source is (OpSource.ORT_TRACE if target == "ort/cpu" else OpSource.OPENVINO_PERF_COUNTS)
    assert r.latency.count == 30  # the timed loop is the one asked for; profiling ran in its own session
    assert list(r.phases)[-1] == "op_profile" and r.phases["op_profile"].t0_ns >= r.phases["measure"].t1_ns
    assert p.t0_ns >= r.phases["measure"].t1_ns
    assert p.inference_s == r.latency.p50 and p.gap_s == pytest.approx(p.inference_s - ops.ops_time_for_gap(p))
    assert (p.sum_of_ops_p50_s is None) == (target == "ov/cpu")  # OpenVINO gives running means only
    assert {g.key for g in p.by_type} >= {"Conv" if target == "ort/cpu" else "Convolution"}
    assert math.fsum(g.share for g in p.by_device) == pytest.approx(1.0)
    if target == "ov/cpu":
        assert all(n.exec_type for n in p.top if n.status is OpStatus.EXECUTED)


def test_run_summary_prints_top_ops_and_splits(runs, capsys):
    text = format_run(rec.load(runs["ort/cpu"]))
    assert "operator profile (ort-trace, " in text and "vs measured p50" in text
    by_type = next(line for line in text.splitlines() if line.startswith("    by type: "))
    assert "Conv " in by_type and "    by device: CPU (CPUExecutionProvider) " in text  # order: load decides


def test_summary_says_unavailable_with_the_reason():
    r = RunRecord(target=TargetInfo(id="ort/x"), op_profile=OpProfile(available=False, reason="no profiler here"))
    assert "  operator profile: unavailable (no profiler here)" in format_run(r).splitlines()


def test_ops_command_by_type_and_csv(runs, tmp_path, capsys):
    out_csv = tmp_path / "ops.csv"
    assert main(["ops", str(runs["ov/cpu"]), "--by", "type", "--csv", str(out_csv)]) == 0
    text = capsys.readouterr().out
    assert "op type" in text and "Convolution" in text
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    p = rec.load(runs["ov/cpu"]).op_profile
    assert [r["key"] for r in rows] == [g.key for g in p.by_type]
    assert math.fsum(float(r["share"]) for r in rows) == pytest.approx(1.0)


def test_ops_command_by_node_top(runs, capsys):
    assert main(["ops", str(runs["ort/cpu"]), "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("node") and len([line for line in lines if "CPUExecutionProvider" in line]) == 2
    assert any(line.startswith("... ") and "more" in line for line in lines)


def test_ops_command_bad_input_is_one_line(zoo, tmp_path, runs, capsys):
    plain = tmp_path / "plain.json"
    assert main(["run", str(zoo["single_add"]), "-n", "3", "-q", "--no-telemetry", "--no-output-check",
                 "--out", str(plain)]) == 0
    capsys.readouterr()
    assert main(["ops", str(plain)]) == 2
    err = capsys.readouterr().err.strip()
    assert "has no operator profile" in err and "--op-profile" in err and len(err.splitlines()) == 1
    assert main(["ops", str(runs["ort/cpu"]), "--top", "-1"]) == 2
    assert main(["ops", str(runs["ort/cpu"]), "--csv", str(tmp_path / "no" / "x.csv")]) == 2
    assert "--csv" in capsys.readouterr().err


def test_compare_prints_op_type_changes(runs, capsys):
    assert main(["compare", str(runs["ort/cpu"]), str(runs["ov/cpu"])]) == 0
    out = capsys.readouterr().out
    assert "op types ort/cpu vs ov/cpu" in out
    conv = next(line.strip() for line in out.splitlines() if line.strip().startswith("Conv: "))
    assert " on ort/cpu, " in conv and conv.endswith("x)") and " on ov/cpu (" in conv


def test_unwritable_trace_is_one_line_before_the_run(zoo, tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["run", str(zoo["conv_net"]), "-n", "2", "-q", "--out", str(out),
                 "--trace", str(tmp_path / "missing" / "t.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("aipcprof: error: --trace ") and len(err.splitlines()) == 1
    assert not out.exists()


def test_trace_is_a_chrome_trace_with_ort_events_and_phases(zoo, tmp_path, capsys):
    trace, out = tmp_path / "t.json", tmp_path / "run.json"
    assert main(["run", str(zoo["conv_net"]), "-n", "20", "-q", "--out", str(out), "--trace", str(trace)]) == 0
    doc = json.loads(trace.read_text())
    events = doc["traceEvents"]
    kernels = [e for e in events if e.get("cat") == "Node"]
    assert kernels and all(e["ph"] == "X" and e["dur"] >= 0 for e in kernels)
    r = rec.load(out)
    assert r.settings.op_profile and r.op_profile.trace_file == str(trace)  # --trace implies --op-profile
    phases = {e["name"]: e for e in events if e.get("cat") == "phase"}
    assert set(phases) == set(r.phases)
    # the profiling session's kernels sit after the measured loop on the run's clock
    assert min(e["ts"] for e in kernels) >= phases["measure"]["ts"] + phases["measure"]["dur"]
    assert len([e for e in events if e.get("cat") == "measure"]) == 20
    if r.telemetry.available and r.telemetry.series:
        assert any(e["ph"] == "C" for e in events)


def test_qnn_emulator_profile_has_the_ep_breakdown_and_says_emulator(zoo, tmp_path, capsys):
    out = tmp_path / "qnn.json"
    assert main(["run", str(zoo["conv_net"]), "-t", "ort/qnn/htp-emulator", "-n", "3", "--warmup", "1",
                 "--op-profile", "--out", str(out), "-q", "--no-output-check", "--no-telemetry"]) == 0
    p = rec.load(out).op_profile
    assert p.available and p.sources == [OpSource.ORT_TRACE, OpSource.QNN_CSV]
    (part,) = [n for n in p.top if n.status is OpStatus.PARTITION]
    inside = p.inside(part.name)
    assert part.members and {"relu0", "fc"} <= {n.name for n in inside}
    assert all(n.cycles is not None for n in inside)
    assert any("emulator times" in n for n in p.notes)
    assert any(c.name == "Accelerator (execute) time (cycles)" and c.value > 0 for c in p.ep_counters)
    text = capsys.readouterr().out
    assert "note: ort/qnn/htp-emulator is an emulator" in text and "  └ relu0" in text
    assert "    inside QNNExecutionProvider_" in text and "by type (QNNExecutionProvider's own profile): " in text


def _conv_feeds() -> dict:
    import numpy as np

    return {"image": np.zeros((1, 3, 64, 64), np.float32)}


def test_run_pass_stopped_by_the_user_says_so(zoo):
    from app.engines.base import SessionSettings
    from app.engines.registry import find_target
    from app.run.op_profile import run_pass

    p = run_pass(str(zoo["conv_net"]), find_target("ort/cpu"), SessionSettings(), _conv_feeds(), stop=lambda: True)
    assert not p.available and p.reason == "cancelled by the user during the operator-profile pass"
    assert p.seconds is not None and p.t0_ns is not None


def test_run_pass_failure_is_the_reason_not_a_crash(tmp_path):
    from app.engines.base import SessionSettings
    from app.engines.registry import find_target
    from app.run.op_profile import run_pass

    p = run_pass(str(tmp_path / "gone.onnx"), find_target("ort/cpu"), SessionSettings(), _conv_feeds())
    assert not p.available and p.reason.startswith("the profiling session failed: model file not found")


def test_hostile_node_names_never_reach_the_terminal_raw(tmp_path, capsys):
    from app.record.ops import complete
    from app.record.schema import OpNodeTime

    evil = "\x1b]0;owned\x07conv\x1b[2J"
    p = complete(OpProfile(available=True, source=OpSource.ORT_TRACE, runs_profiled=1, notes=[evil], nodes=[
        OpNodeTime(name=evil, op_type=evil, provider="CPUExecutionProvider", device="CPU", calls=1, total_s=0.001)]))
    path = tmp_path / "evil.json"
    rec.save(RunRecord(target=TargetInfo(id="ort/cpu"), op_profile=p), path)
    for by in ("node", "type", "device"):
        assert main(["ops", str(path), "--by", by]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "conv" in out
    assert "\x1b" not in format_run(rec.load(path))


def test_compare_json_lists_op_type_changes(runs, capsys):
    assert main(["compare", str(runs["ort/cpu"]), str(runs["ov/cpu"]), "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)["op_types"]
    a, b = rec.load(runs["ort/cpu"]).op_profile, rec.load(runs["ov/cpu"]).op_profile
    assert {c["op_type"] for c in changes} == set(ops.model_type_times(a)) | set(ops.model_type_times(b))
    conv = next(c for c in changes if c["op_type"] == "Conv")  # OpenVINO's Convolution nodes made from Conv
    assert conv["baseline_s"] == next(g.time_s for g in a.by_type if g.key == "Conv")
    assert conv["run_s"] == pytest.approx(sum(n.time_s for n in b.top if n.model_op_type == "Conv"))
    assert conv["ratio"] == pytest.approx(conv["baseline_s"] / conv["run_s"])
