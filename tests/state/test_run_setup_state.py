"""RunSetupState without Qt: targets, options, EP presets, problems, the RunSpec, settings."""

from __future__ import annotations

import json

import pytest

from app.run.spec_builder import DEFAULTS, GUI_LABELS, OptionError
from app.state.run_setup import EpPresets, RunSetupState
from tests.state.conftest import targets


@pytest.fixture
def setup() -> RunSetupState:
    s = RunSetupState()
    s.set_targets(targets())
    return s


def test_targets_pick_a_ready_one(rec):
    s = RunSetupState()
    rec.watch("targets", s.targets_changed)
    rec.watch("target", s.target_changed)
    s.set_targets(targets(), preferred="ort/dml/gpu0")  # not ready here: the first ready one instead
    assert s.target_id == "ort/cpu" and s.current_target().id == "ort/cpu"
    assert [t.id for t in s.ready_targets()] == ["ort/cpu", "ort/qnn/npu", "ort/openvino/gpu", "ov/cpu"]
    assert rec.names() == ["targets", "target"]  # the pick is made before the list is announced
    assert not s.select_target("ort/dml/gpu0") and not s.select_target("nope")
    assert s.target_id == "ort/cpu"
    assert s.select_target("ov/cpu") and rec.of("target")[-1] == ("ov/cpu",)
    s.set_targets(targets())  # a new discovery keeps the pick
    assert s.target_id == "ov/cpu"
    s.set_targets(targets(), preferred="ort/qnn/npu")
    assert s.target_id == "ort/qnn/npu"
    s.set_targets([])
    assert s.target_id is None and s.current_target() is None


def test_options_change_and_emit(setup, rec):
    rec.watch("options", setup.options_changed)
    assert setup.options == DEFAULTS and setup.options is not DEFAULTS
    setup.update(warmup=3, by_duration=True, duration_s=2.5)
    setup.update(warmup=3)  # no change, no event
    assert len(rec.of("options")) == 1
    spec = setup.build("/m/a.onnx", setup.current_target(), dims={"seq": 32}, inputs={"mask": "1"})
    assert (spec.warmup, spec.iterations, spec.duration_s) == (3, None, 2.5)
    assert spec.dims == {"seq": 32} and spec.inputs == {"mask": "1"} and spec.target_id == "ort/cpu"
    assert DEFAULTS.warmup == 10  # the shared defaults are never edited


def test_presets_follow_the_target_and_reach_only_its_spec(setup):
    cpu = setup.current_target()
    assert setup.build("/m", cpu).ep_options == {}
    assert setup.select_target("ort/qnn/npu")
    assert setup.presets.htp_performance_mode == "sustained_high_performance"  # the target's default
    setup.set_presets(EpPresets(htp_performance_mode="burst", performance_hint="THROUGHPUT",
                                inference_precision="f16"))
    qnn = setup.build("/m", setup.current_target())
    assert qnn.ep_options == {"htp_performance_mode": "burst"}
    ort_ov = setup.build("/m", next(t for t in setup.targets if t.id == "ort/openvino/gpu"))
    assert json.loads(ort_ov.ep_options["load_config"]) == {
        "GPU": {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f16"}}
    ov = setup.build("/m", next(t for t in setup.targets if t.id == "ov/cpu"))
    assert ov.ep_options == {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f16"}
    setup.set_ep_text("PERFORMANCE_HINT=LATENCY; NUM_STREAMS=2")  # typed options win over presets
    ov = setup.build("/m", next(t for t in setup.targets if t.id == "ov/cpu"))
    assert ov.ep_options["PERFORMANCE_HINT"] == "LATENCY" and ov.ep_options["NUM_STREAMS"] == "2"


def test_bad_values_are_problems_named_as_in_the_window(setup, rec, tmp_path):
    rec.watch("problems", setup.problems_changed)
    setup.set_ep_text("htp_performance_mode=burst, oops")
    (problem,) = setup.problems
    assert problem.option == "ep_options" and problem.message.startswith(f"{GUI_LABELS['ep_options']} 'oops'")
    with pytest.raises(OptionError) as err:
        setup.build("/m", setup.current_target())
    assert err.value is problem
    setup.set_ep_text("htp_performance_mode=burst")
    assert setup.problems == [] and setup.options.ep_options == {"htp_performance_mode": "burst"}
    a_file = tmp_path / "cache.txt"
    a_file.write_text("x")
    setup.update(cache_dir=str(a_file), threads=0)
    assert [p.option for p in setup.problems] == ["threads", "cache_dir"]
    assert setup.problems[0].message == "Threads 0: must be 1 or more."
    assert "Cache folder" in setup.problems[1].message and "is a file" in setup.problems[1].message
    setup.update(cache_dir=str(tmp_path), threads=2)
    assert setup.problems == [] and setup.build("/m", setup.current_target()).cache_dir == str(tmp_path)
    assert [len(args[0]) for args in rec.of("problems")] == [1, 0, 2, 0]


def test_settings_round_trip_as_strings(setup):
    setup.update(warmup=7, iterations=1234, by_duration=True, duration_s=3.5, until_steady=0.02, seed=9,
                 threads=4, io_binding=True, check_outputs=False, strict=True, cache_dir="/tmp/c",
                 stall_timeout_s=120.0)
    setup.set_ep_text("a=1, b=2")
    saved = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in setup.to_settings().items()}
    fresh = RunSetupState()
    fresh.restore_settings(saved)
    assert fresh.options == setup.options and fresh.ep_text == "a=1, b=2"


def test_corrupt_settings_cost_only_their_own_value():
    s = RunSetupState()
    s.restore_settings({"warmup": "-5", "iterations": "many", "seed": "3", "by_time": "maybe", "threads": "0",
                        "until_steady": "", "cache_dir": "  ", "extra": "oops"})
    o = s.options
    assert (o.warmup, o.iterations, o.seed, o.by_duration, o.threads, o.until_steady, o.cache_dir) == \
        (DEFAULTS.warmup, DEFAULTS.iterations, 3, False, None, None, None)
    assert [p.option for p in s.problems] == ["ep_options"]  # kept as typed, reported


def test_all_targets_leaves_out_the_device_policies_which_pick_one_of_the_others():
    """Run / Evaluate on All Targets: each device once. The real discovery here lists the ort/auto/* policies
    (every one picks the CPU on this machine); they stay selectable one at a time."""
    from app.engines.registry import discover_targets

    s = RunSetupState()
    s.set_targets(discover_targets())
    policies = [t.id for t in s.ready_targets() if t.id.startswith("ort/auto/")]
    assert policies and all(t.is_policy for t in s.ready_targets() if t.id in policies)
    everything = [t.id for t in s.all_targets()]
    assert "ort/cpu" in everything and "ov/cpu" in everything
    assert not set(policies) & set(everything)
    assert everything == [t.id for t in s.ready_targets() if t.id not in policies]  # the list's order kept
    assert s.select_target(policies[0]) and s.current_target().id == policies[0]
