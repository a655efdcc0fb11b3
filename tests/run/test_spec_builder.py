"""app.run.spec_builder: one set of defaults, the CLI's string forms, checks that name the option."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from app.cli import cmd_run
from app.common.errors import UserError
from app.run.runspec import RunSpec
from app.run.spec_builder import (
    CLI_LABELS,
    DEFAULTS,
    GUI_LABELS,
    QUIET_CHECK_DEFAULT_S,
    UNTIL_STEADY_DEFAULT,
    OptionError,
    RunOptions,
    format_key_values,
    parse_dims,
    parse_inputs,
    parse_key_value_text,
    parse_key_values,
    parse_shapes,
)


def _cli(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    cmd_run.add_arguments(p)
    return p.parse_args(["m.onnx", *argv])


def test_runspec_and_cli_defaults_are_runoptions():
    spec_defaults = {f.name: f.default for f in fields(RunSpec)}
    for name in ("warmup", "iterations", "seed", "strict", "threads", "io_binding", "check_outputs", "cache_dir",
                 "until_steady", "stall_timeout_s", "quiet_check_s"):
        assert spec_defaults[name] == getattr(DEFAULTS, name), name
    assert cmd_run.options_from_args(_cli()) == DEFAULTS
    assert cmd_run.build_spec(_cli()) == RunSpec(model_path="m.onnx", target_id="ort/cpu")
    assert DEFAULTS.build("m.onnx", "ort/cpu") == RunSpec(model_path="m.onnx", target_id="ort/cpu")


def test_every_field_has_a_name_in_both_front_ends():
    names = {f.name for f in fields(RunOptions)}
    assert set(CLI_LABELS) == names and set(GUI_LABELS) == names


def test_cli_forms_parse():
    args = _cli("--warmup", "3", "--duration", "2.5", "--until-steady", "--shape", "image=1,3,64,64",
                "--dim", "seq=32", "--input", "mask=m.npy", "--seed", "7", "--ep-option", "a=1",
                "--ep-option", "b = x=y", "--strict", "--threads", "2", "--io-binding", "--no-output-check",
                "--cache-dir", "/tmp/c", "--timeout", "30")
    spec = cmd_run.build_spec(args)
    assert (spec.warmup, spec.iterations, spec.duration_s, spec.until_steady) == (3, None, 2.5, UNTIL_STEADY_DEFAULT)
    assert spec.shapes == {"image": [1, 3, 64, 64]} and spec.dims == {"seq": 32} and spec.inputs == {"mask": "m.npy"}
    assert spec.ep_options == {"a": "1", "b": "x=y"}
    assert (spec.seed, spec.strict, spec.threads, spec.io_binding, spec.check_outputs, spec.cache_dir,
            spec.stall_timeout_s) == (7, True, 2, True, False, "/tmp/c", 30.0)
    assert cmd_run.build_spec(_cli("-n", "5", "--until-steady", "0.05")).until_steady == 0.05
    assert spec.quiet_check_s is None
    assert cmd_run.build_spec(_cli("--quiet-check")).quiet_check_s == QUIET_CHECK_DEFAULT_S
    assert cmd_run.build_spec(_cli("--quiet-check", "5")).quiet_check_s == 5.0


def test_parsers():
    assert parse_shapes(["x=[1,2]", "s=[]"]) == {"x": [1, 2], "s": []}
    assert parse_dims(None) == {} and parse_dims(["b=4"]) == {"b": 4}
    assert parse_inputs(["ids=a.npz"]) == {"ids": "a.npz"}
    assert parse_key_values(["k=v"]) == {"k": "v"}
    assert parse_key_value_text(" a=1 ;b=2, ") == {"a": "1", "b": "2"}
    assert parse_key_value_text(format_key_values({"a": "1", "b": "2"})) == {"a": "1", "b": "2"}
    with pytest.raises(UserError, match="--shape"):
        parse_shapes(["x=1,two"])
    with pytest.raises(UserError, match="--dim"):
        parse_dims(["seq"])
    with pytest.raises(OptionError, match="--ep-option 'novalue': expected KEY=VALUE") as err:
        parse_key_values(["novalue"])
    assert err.value.option == "ep_options" and "--ep-option htp_performance_mode=burst" in err.value.hint
    with pytest.raises(OptionError, match="Other options '=x'"):
        parse_key_value_text("=x", "Other options")


@pytest.mark.parametrize("changes, option, cli_text", [
    ({"warmup": -1}, "warmup", "--warmup -1: must be 0 or more."),
    ({"iterations": 0}, "iterations", "--iterations 0: must be 1 or more."),
    ({"by_duration": True, "duration_s": 0.0}, "duration_s", "--duration 0.0: must be more than 0 seconds."),
    ({"until_steady": 1.5}, "until_steady", "--until-steady 1.5: must be between 0 and 1"),
    ({"seed": -3}, "seed", "--seed -3: must be 0 or more."),
    ({"threads": 0}, "threads", "--threads 0: must be 1 or more."),
    ({"stall_timeout_s": 0.0}, "stall_timeout_s", "--timeout 0.0: must be more than 0 seconds."),
    ({"cache_dir": ""}, "cache_dir", "--cache-dir '': is empty."),
    ({"quiet_check_s": -1.0}, "quiet_check_s", "--quiet-check -1.0: must be more than 0 seconds."),
])
def test_validation_names_the_option(changes, option, cli_text):
    options = DEFAULTS.copy(**changes)
    with pytest.raises(OptionError) as err:
        options.build("m.onnx", "ort/cpu")
    assert err.value.option == option and str(err.value).startswith(cli_text)
    (gui,) = options.problems(GUI_LABELS)
    assert gui.message.startswith(GUI_LABELS[option])


def test_iterations_are_ignored_when_measuring_by_duration():
    spec = DEFAULTS.copy(iterations=0, by_duration=True, duration_s=1.0).build("m", "t")
    assert (spec.iterations, spec.duration_s) == (None, 1.0)


def test_cache_dir_that_is_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(OptionError, match="is a file, not a folder"):
        cmd_run.build_spec(_cli("--cache-dir", str(f)))


def test_copy_does_not_share_dicts():
    a = DEFAULTS.copy(dims={"x": 1})
    b = a.copy()
    b.dims["x"] = 2
    assert a.dims == {"x": 1} and DEFAULTS.dims == {}
