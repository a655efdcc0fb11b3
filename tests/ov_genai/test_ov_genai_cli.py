"""`aipcprof run OVDIR --target ov-genai/cpu`: the real openvino-genai in the real worker, the figures against
their definitions, bad input as one line, and the comparison with the same model on genai/cpu."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.record import io as rec
from app.record.schema import RunStatus

pytest.importorskip("openvino_genai")

F32 = ("--ep-option", "INFERENCE_PRECISION_HINT=f32")
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_model.onnx"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["run", *args, "--no-telemetry", "-q"])
    out, err = capsys.readouterr()
    return code, out, err.strip()


@pytest.fixture(scope="module")
def ov_run(ov_genai_built, tmp_path_factory):
    out_file = tmp_path_factory.mktemp("ov-genai-run") / "ov.json"
    code = main(["run", str(ov_genai_built), "--target", "ov-genai/cpu", "--prompt-tokens", "16,64",
                 "--gen-tokens", "24", "-n", "2", "--warmup", "1", *F32, "--no-telemetry", "-q", "--out", str(out_file)])
    assert code == 0
    return out_file


def test_two_prompt_lengths_on_the_cpu(ov_run):
    r = rec.load(ov_run)
    assert r.status is RunStatus.COMPLETED and r.error is None and r.target.id == "ov-genai/cpu"
    g = r.genai
    assert g.runtime == "openvino-genai" and g.provider == "CPU" and g.runtime_version.startswith("2026.")
    assert g.model.layers == 2 and g.model.precision == "fp32" and g.settings.prompt_tokens == [16, 64]
    for x in g.results:
        assert x.generations == 2 and x.generated_tokens == 24 and x.decode_steps == 2 * 23
        setup = np.asarray(x.setup_s)
        # TTFT = setup (generate()'s own work) + prefill (the prompt's inference), both measured, both > 0
        assert np.allclose(setup + x.prefill_s, x.ttft_s) and (setup >= 0).all() and (x.prefill_s > 0).all()
        assert x.prompt_tokens_per_s == pytest.approx(x.prompt_tokens / x.prefill_median_s)
        assert x.decode_p50_s <= x.decode_p90_s <= x.decode_p99_s
        # the decode steps are the gaps between token timestamps: they fill the decode windows exactly
        assert x.decode_tokens_per_s == pytest.approx(46 / sum(x.decode_window_s))
        assert x.decode_tokens_per_s == pytest.approx(1 / x.decode_mean_s)
        assert x.rss_bytes > 10 << 20 and x.energy_j_per_token is None and x.energy_reason
    assert r.latency.count == 2 * 2 * 23
    assert list(r.phases) == ["load", "compile", "warmup", "measure"] and r.phases["warmup"].count == 2
    assert r.session.providers == ["CPU"] and r.session.effective_options["INFERENCE_PRECISION_HINT"] == "f32"
    assert r.precision == "fp32 inference, fp32 weights"  # asked for with --ep-option
    assert r.model.name == "tiny-ov" and r.model.size_bytes > 700_000
    assert json.loads(ov_run.read_text())["genai"]["runtime"] == "openvino-genai"


def test_the_summary(ov_run):
    from app.report.text import format_run

    out = format_run(rec.load(ov_run))
    assert "runtime: openvino-genai 2026." in out and ", device CPU" in out
    assert "2 layers, 4 heads, 4 KV heads, hidden 64, context 1024 tokens, vocab 512, fp32" in out
    assert "the config asks" not in out  # no provider is asked for by an IR folder


def test_compare_with_genai_cpu(ov_run, genai_built, tmp_path, capsys):
    ort_file = tmp_path / "ort.json"
    code, _, err = _run(capsys, str(genai_built), "--target", "genai/cpu", "--prompt-tokens", "16,64",
                        "--gen-tokens", "24", "-n", "2", "--out", str(ort_file))
    assert code == 0, err
    csv_file = tmp_path / "c.csv"
    assert main(["compare", str(ort_file), str(ov_run), "--csv", str(csv_file)]) == 0
    text = capsys.readouterr().out
    assert "generative runs, per prompt length" in text
    rows = (tmp_path / "c.genai.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 2  # a header, then each run at 16 and 64 tokens
    assert sum("ov.json" in row for row in rows) == 2 and sum("ort.json" in row for row in rows) == 2
    # a record written before `genai.runtime` existed is onnxruntime-genai's
    data = json.loads(ort_file.read_text())
    assert data["genai"].pop("runtime") == "onnxruntime-genai"
    older = tmp_path / "older.json"
    older.write_text(json.dumps(data))
    assert rec.load(older).genai.runtime == "onnxruntime-genai"


@pytest.mark.parametrize("target, line", [
    ("genai/cpu", "--target genai/cpu: {d} is an OpenVINO IR LLM folder; it runs on ov-genai/ targets "
                  "(e.g. ov-genai/cpu)."),
    ("ov/cpu", "--target ov/cpu: {d} is an OpenVINO IR LLM folder; it runs on ov-genai/ targets (e.g. ov-genai/cpu)."),
    ("ov-genai/npu", "target ov-genai/npu is not available here: OpenVINO lists no NPU device here."),
    ("ov-genai/tpu", "unknown target 'ov-genai/tpu'."),
])
def test_a_wrong_target_is_one_line(ov_genai_built, capsys, target, line):
    code, out, err = _run(capsys, str(ov_genai_built), "--target", target, "--gen-tokens", "4")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("aipcprof: error: " + line.format(d=ov_genai_built))


def test_bad_input_is_one_line(ov_genai_dir, genai_built, tmp_path, capsys):
    code, _, err = _run(capsys, str(ov_genai_dir), "--prompt-tokens", "1000", "--gen-tokens", "32")
    assert code == 2 and _line(err).startswith(
        "--prompt-tokens 1000 + --gen-tokens 32 = 1032 tokens is longer than the model's context "
        "(1024 tokens, max_position_embeddings in config.json).")
    code, _, err = _run(capsys, str(ov_genai_dir), "--ep-option", "INFERENCE_PRECISION_HINT=f99", "-n", "1",
                        "--gen-tokens", "4", "--prompt-tokens", "8")
    assert code == 2 and _line(err).startswith("openvino-genai could not open the model on ov-genai/cpu: ")
    assert len(err) < 500
    code, _, err = _run(capsys, str(genai_built), "--target", "ov-genai/cpu")
    assert code == 2 and _line(err).startswith(
        f"--target ov-genai/cpu: {genai_built} is a generative model folder; it runs on genai/ targets "
        f"(e.g. genai/cpu).")
    code, _, err = _run(capsys, str(SAMPLE), "--target", "ov-genai/cpu")
    assert code == 2 and "runs OpenVINO IR LLM folders" in _line(err)
    (ov_genai_dir / "openvino_detokenizer.xml").unlink()
    code, _, err = _run(capsys, str(ov_genai_dir / "openvino_model.xml"), "--target", "ov-genai/cpu")
    assert code == 2 and _line(err).startswith(
        f"{ov_genai_dir}: no openvino_detokenizer.xml in this OpenVINO IR LLM folder.")


def _line(err: str) -> str:
    """The one error line, less its prefix (the hint follows the message on the same line)."""
    assert len(err.splitlines()) == 1 and err.startswith("aipcprof: error: "), err
    return err.removeprefix("aipcprof: error: ")


def test_the_targets_are_listed(capsys):
    from app.engines.registry import discover_targets

    targets = {t.id: t for t in discover_targets()}
    assert targets["ov-genai/cpu"].ready and targets["ov-genai/cpu"].engine == "openvino-genai"
    assert targets["ov-genai/cpu"].details["package"].startswith("openvino-genai 2026.")
    for kind in ("gpu", "npu"):  # this machine has none: listed, not ready, and why
        t = targets[f"ov-genai/{kind}"]
        assert not t.ready and t.reason == f"OpenVINO lists no {kind.upper()} device here"
    assert main(["devices"]) == 0
    assert "ov-genai/cpu" in capsys.readouterr().out
