"""Run options (items 4 and 8): absurd values are one line naming the option and the limit, exit 2,
before a worker starts; the same checks for the CLI and the desktop app (RunOptions)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from app.cli import main
from app.common.errors import UserError
from app.run.runspec import RunSpec
from app.run.spec_builder import DEFAULTS, GUI_LABELS, MAX_SECONDS, OptionError, max_thread_count


def _one_line(capsys) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1 and "Traceback" not in err, (out, err)
    return lines[0]


def test_thread_limit_is_four_per_logical_core():
    assert max_thread_count() == 4 * (os.cpu_count() or 1)
    DEFAULTS.copy(threads=max_thread_count()).validate()  # the limit itself is fine


def test_threads_100000_is_refused_naming_the_limit(add_model, capsys):
    assert main(["run", str(add_model), "--threads", "100000"]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"aipcprof: error: --threads 100000: must be at most {max_thread_count()} ")
    assert f"this PC has {os.cpu_count()}" in line and "Leave it out" in line


def test_the_desktop_app_gets_the_same_thread_limit():
    (problem,) = DEFAULTS.copy(threads=max_thread_count() + 1).problems(GUI_LABELS)
    assert problem.option == "threads"
    assert problem.message.startswith(f"Threads {max_thread_count() + 1}: must be at most {max_thread_count()}")
    with pytest.raises(UserError, match="--threads"):  # a RunSpec built by hand is checked too
        RunSpec(model_path="m.onnx", target_id="ort/cpu", threads=100_000).validate()


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "-inf", str(MAX_SECONDS + 1)])
def test_duration_out_of_range_is_one_line(add_model, capsys, value):
    assert main(["run", str(add_model), f"--duration={value}"]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"aipcprof: error: --duration {float(value)}: must be ")
    assert ("at most 604800 seconds (7 days)" if float(value) > 0 else "more than 0 seconds") in line


@pytest.mark.parametrize("value", ["inf", "nan", "1e300"])
def test_timeout_out_of_range_is_one_line(add_model, capsys, value):
    # An infinite timeout would also make the record unwritable (JSON has no Infinity).
    assert main(["run", str(add_model), "--timeout", value]) == 2
    assert _one_line(capsys).startswith(f"aipcprof: error: --timeout {float(value)}: must be ")


def test_runspec_refuses_an_infinite_duration():
    with pytest.raises(UserError, match="--duration inf: must be at most"):
        RunSpec(model_path="m.onnx", target_id="ort/cpu", iterations=None, duration_s=math.inf).validate()


@pytest.mark.parametrize(("value", "rule"), [("-1", "must be 0 or more."), (str(2**63), "must be at most")])
def test_seed_out_of_range_is_one_line(add_model, capsys, value, rule):
    assert main(["run", str(add_model), "--seed", value]) == 2
    assert _one_line(capsys).startswith(f"aipcprof: error: --seed {value}: {rule}")


def test_cache_dir_problems_are_one_line_before_the_run(add_model, tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["run", str(add_model), "--cache-dir", str(a_file)]) == 2
    assert "is a file, not a folder" in _one_line(capsys)
    assert main(["run", str(add_model), "--cache-dir", str(a_file / "sub" / "dir")]) == 2
    assert _one_line(capsys) == f"aipcprof: error: --cache-dir {a_file / 'sub' / 'dir'}: is inside {a_file}, " \
                                "which is a file. Pick a folder (it is created if missing)."


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc on this OS")
def test_cache_dir_that_cannot_be_created_is_one_line(add_model, capsys):
    assert main(["run", str(add_model), "-t", "ov/cpu", "--cache-dir", "/proc/x/y"]) == 2
    line = _one_line(capsys)
    assert line.startswith("aipcprof: error: --cache-dir /proc/x/y: cannot create the folder (")


def test_a_missing_cache_dir_is_created_by_build(tmp_path):
    folder = tmp_path / "a" / "b"
    spec = DEFAULTS.copy(cache_dir=str(folder)).build("m.onnx", "ort/cpu")
    assert spec.cache_dir == str(folder) and folder.is_dir()


def test_cache_dir_errors_name_the_gui_field(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("")
    with pytest.raises(OptionError) as err:
        DEFAULTS.copy(cache_dir=str(a_file / "x")).build("m.onnx", "ort/cpu", GUI_LABELS)
    assert err.value.option == "cache_dir" and err.value.message.startswith("Cache folder ")


# -- argparse errors are one line too --------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "text"), [
    (["run", "m.onnx", "--warmup", "1e3"], "aipcprof run: error: argument --warmup: invalid int value: '1e3' "
                                           "(see `aipcprof run --help`)"),
    (["run"], "aipcprof run: error: the following arguments are required: MODEL (see `aipcprof run --help`)"),
    (["compare", "a.json", "--theme", "x"], "aipcprof compare: error: argument --theme: invalid choice: 'x'"),
    (["frobnicate"], "aipcprof: error: argument COMMAND: invalid choice: 'frobnicate'"),
])
def test_argparse_errors_are_one_line_with_the_fix(capsys, argv, text):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert _one_line(capsys).startswith(text)


def test_argparse_error_text_is_terminal_safe(capsys):
    with pytest.raises(SystemExit):
        main(["run", "m.onnx", "--warmup", "\x1b]0;pwned\x07"])
    line = _one_line(capsys)
    assert "\x1b" not in line and "\\x1b]0;pwned\\x07" in line
