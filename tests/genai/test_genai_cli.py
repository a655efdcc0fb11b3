"""`aipcprof run MODEL_DIR --target genai/cpu`: the real runtime in the real worker, and bad input as one line."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.record import io as rec
from app.record.schema import RunStatus


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["run", *args, "--no-telemetry", "-q"])
    out, err = capsys.readouterr()
    return code, out, err.strip()


def test_two_prompt_lengths_on_the_cpu(genai_built, tmp_path, capsys):
    out_file = tmp_path / "run.json"
    code, out, err = _run(capsys, str(genai_built), "--target", "genai/cpu", "--prompt-tokens", "16,64",
                          "--gen-tokens", "24", "-n", "2", "--warmup", "1", "--out", str(out_file))
    assert code == 0, err
    r = rec.load(out_file)
    assert r.status is RunStatus.COMPLETED and r.error is None and r.target.id == "genai/cpu"
    g = r.genai
    assert g.provider == "cpu" and g.model.layers == 2 and g.settings.prompt_tokens == [16, 64]
    assert [x.prompt_tokens for x in g.results] == [16, 64]
    for x in g.results:
        assert x.generations == 2 and x.generated_tokens == 24 and x.decode_steps == 2 * 23
        assert all(0 < p < t for p, t in zip(x.prefill_s, x.ttft_s))  # the prefill is part of the first token
        assert x.prompt_tokens_per_s == pytest.approx(x.prompt_tokens / x.prefill_median_s)
        assert x.decode_p50_s <= x.decode_p90_s <= x.decode_p99_s
        # decode tokens/s: steps over the decode windows, which hold the steps (and only the loop around them)
        assert x.decode_tokens_per_s == pytest.approx(46 / sum(x.decode_window_s))
        assert 1 / x.decode_tokens_per_s >= x.decode_mean_s
        assert x.rss_bytes > 10 << 20 and x.energy_j_per_token is None and x.energy_reason
    assert g.peak_rss_bytes >= max(x.rss_bytes for x in g.results)
    assert r.latency.count == 2 * 2 * 23  # every decode step streamed as the run's latency samples
    assert list(r.phases) == ["load", "compile", "warmup", "measure"] and r.phases["warmup"].count == 2
    assert r.model.name == "tiny-decoder" and r.session.providers == ["cpu"] and r.precision == "fp32"
    # the summary: the table, the card, and energy N/A with its reason (no sampler here)
    assert "TTFT" in out and "decode tok/s" in out and "4 KV heads" in out
    assert "J/token: N/A (no telemetry for this run (no sampler))" in out
    assert json.loads(out_file.read_text())["genai"]["results"][1]["prompt_tokens"] == 64


def test_a_prompt_file(genai_built, tmp_path, capsys):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Measure the NPU. " * 3)
    out_file = tmp_path / "run.json"
    code, _, err = _run(capsys, str(genai_built / "genai_config.json"), "--prompt-tokens", "40",
                        "--gen-tokens", "4", "-n", "1", "--warmup", "0", "--prompt-file", str(prompt),
                        "--out", str(out_file))
    assert code == 0, err
    r = rec.load(out_file)
    assert r.target.id == "genai/cpu"  # the default target for a generative model
    assert r.genai.settings.prompt_source == f"--prompt-file {prompt}"
    assert r.genai.results[0].prompt_tokens == 40 and "warmup" in r.phases


def _bad(kind: str, folder, tmp_path) -> tuple[list[str], str]:
    if kind == "no_config":
        (folder / "genai_config.json").unlink()
        return [str(folder)], "no genai_config.json in this folder"
    if kind == "missing_file":
        (folder / "model.onnx").rename(folder / "renamed.onnx")
        return [str(folder)], "names 'model.onnx', which is not in"
    if kind == "prompt_past_context":
        return [str(folder), "--prompt-tokens", "16,1000", "--gen-tokens", "32"], \
            "--prompt-tokens 1000 + --gen-tokens 32 = 1032 tokens is longer than the model's context (1024 tokens"
    if kind == "unavailable_ep":
        return [str(folder), "--target", "genai/cuda"], "target genai/cuda is not available here: this onnxruntime-genai"
    if kind == "onnx_target":
        return [str(folder), "--target", "ort/cpu"], "is a generative model folder; it runs on genai/ targets"
    if kind == "bad_prompt_tokens":
        return [str(folder), "--prompt-tokens", "16,abc"], "--prompt-tokens 16,abc: 'abc' is not a whole number"
    if kind == "one_gen_token":
        return [str(folder), "--gen-tokens", "1"], "--gen-tokens 1: must be 2 or more"
    if kind == "shape":
        return [str(folder), "--shape", "input_ids=1,8"], "--shape: does not apply to a generative model folder"
    if kind == "missing_prompt_file":
        return [str(folder), "--prompt-file", str(tmp_path / "nope.txt")], "--prompt-file"
    if kind == "empty_prompt_file":  # found by the worker, after the tokenizer: still one line and exit 2
        (tmp_path / "empty.txt").write_text("")
        return [str(folder), "--prompt-file", str(tmp_path / "empty.txt"), "--gen-tokens", "4"], \
            "the tokenizer made no tokens of it"
    raise AssertionError(kind)


BAD = ["no_config", "missing_file", "prompt_past_context", "unavailable_ep", "onnx_target", "bad_prompt_tokens",
       "one_gen_token", "shape", "missing_prompt_file", "empty_prompt_file"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_line_exit_2(kind, genai_dir, tmp_path, capsys):
    args, expected = _bad(kind, genai_dir, tmp_path)
    out_file = tmp_path / "run.json"
    code, _, err = _run(capsys, *args, "-n", "1", "--out", str(out_file))
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipcprof: error:") and "Traceback" not in err, err
    assert expected in lines[0]
    assert not out_file.exists()


def test_generative_options_on_an_onnx_file_are_refused(zoo, capsys):
    code, _, err = _run(capsys, str(zoo["conv_net"]), "--prompt-tokens", "16")
    assert code == 2 and "--prompt-tokens: applies to a generative model folder" in err
    code, _, err = _run(capsys, str(zoo["conv_net"]), "--target", "genai/cpu")
    assert code == 2 and err.count("\n") == 0 and "--target genai/cpu: runs generative model folders" in err


def test_inspect_a_folder(genai_built, capsys):
    assert main(["inspect", str(genai_built)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == str(genai_built) and "2 layers, 4 heads, 4 KV heads, hidden 64, context 1024 tokens" in out[1]
    assert main(["inspect", str(genai_built / "genai_config.json"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vocab_size"] == 512
