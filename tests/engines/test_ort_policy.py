"""ort/auto/<policy>: ONNX Runtime's device-selection policies, run for real with the plugin EPs registered here.

What a policy picked is read back from the session; each test checks it against a plain
ONNX Runtime session opened with the same policy, so the record says what ORT really did.
"""

from __future__ import annotations

import json

import onnxruntime as ort
import pytest

from app.cli import main
from app.common.errors import TargetError, UserError
from app.common.targets import Target
from app.engines import ort_discovery, ort_policy, registry
from app.engines.base import Placement, SessionSettings
from app.record.schema import RunRecord, SessionInfo
from app.record.selection import PolicyChoiceInfo
from app.record.typed import RecordFormatError
from app.report.text import format_run
from app.run.runner import ProfileRun
from app.run.runspec import RunSpec
from tests.engines.conftest import assert_close, open_target

POLICIES = list(ort.OrtExecutionProviderDevicePolicy.__members__)
QNN = "QNNExecutionProvider"
EMULATOR = "ort/qnn/htp-emulator"


def _plain_session(model, policy: str, options: dict[str, str]) -> ort.InferenceSession:
    """The same policy through ONNX Runtime alone: the ground truth for what it picks."""
    ort_discovery.plugin_packages(ort)
    so = ort.SessionOptions()
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    for key, value in options.items():
        so.add_session_config_entry(key, value)
    so.set_provider_selection_policy(getattr(ort.OrtExecutionProviderDevicePolicy, policy))
    return ort.InferenceSession(str(model), sess_options=so)


def test_one_ready_target_per_policy_member(targets):
    for policy in POLICIES:
        target = targets[f"ort/auto/{ort_policy.slug(policy)}"]
        assert target.ready and target.details["policy"] == policy
        assert "ort/cpu" in target.reason  # what ORT can pick among, by target id
    offered = json.loads(targets["ort/auto/prefer-npu"].details["ep_devices"])
    assert [d["id"] for d in offered["CPUExecutionProvider"]] == ["ort/cpu"]


@pytest.mark.parametrize("policy", POLICIES)
def test_policy_session_records_what_onnx_runtime_picked(zoo, cases, reference, targets, policy):
    target = targets[f"ort/auto/{ort_policy.slug(policy)}"]
    session = open_target(target.id, zoo["conv_net"], cases["conv_net"].settings())
    truth = _plain_session(zoo["conv_net"], policy, target.default_options)
    choice = session.facts.policy
    assert session.facts.providers == truth.get_providers()
    assert choice.policy == policy and choice.ep == truth.get_providers()[0]
    nodes = {g.ep_name: len(g.get_nodes()) for g in truth.get_provider_graph_assignment_info()}
    assert choice.nodes_on_ep == nodes.get(choice.ep, 0) and choice.total_nodes == sum(nodes.values())
    assert session.placement.accelerator == choice.ep
    tolerance = 2e-2 if choice.ep == QNN else 1e-5  # the HTP emulator computes in fp16
    assert_close(session.run(cases["conv_net"].feeds), reference("conv_net"), rtol=tolerance, atol=tolerance)


def test_prefer_npu_here_says_there_is_no_npu_and_names_the_device(zoo, targets):
    if not targets.get(EMULATOR) or not targets[EMULATOR].ready:
        pytest.skip("the QNN HTP emulator is not ready here")
    session = open_target("ort/auto/prefer-npu", zoo["conv_net"], SessionSettings())
    choice = session.facts.policy
    # ORT 1.32 orders a plugin EP's CPU-type device before its own CPU EP: the emulator wins.
    assert (choice.ep, choice.device_target, choice.device_type) == (QNN, EMULATOR, "CPU")
    assert "no EP offers an NPU here" in choice.note
    assert session.facts.precision.startswith("fp16")  # judged as QNN with the emulator's defaults
    assert any("HTP emulator" in note for note in session.facts.notes)


def test_ep_options_go_to_the_ep_the_policy_picks(zoo, targets):
    settings = SessionSettings(ep_options={"qnn.htp_performance_mode": "balanced"})
    session = open_target("ort/auto/prefer-npu", zoo["single_add"], settings)
    key = "ep.qnnexecutionprovider.htp_performance_mode"
    assert session.facts.effective_options[key] == "balanced"
    if session.facts.policy.ep == QNN:
        assert session.sess.get_provider_options()[QNN]["htp_performance_mode"] == "balanced"


@pytest.mark.parametrize("option, message", [
    ({"htp_performance_mode": "burst"}, "EP.KEY=VALUE"),
    ({"qnn.htp_perfomance_mode": "burst"}, "Did you mean htp_performance_mode"),
    ({"qnn.htp_performance_mode": "warp"}, "is not valid for QNNExecutionProvider"),
])
def test_bad_policy_ep_options_are_one_line(targets, option, message):
    with pytest.raises(UserError) as info:
        ort_policy.merge_policy_options(targets["ort/auto/prefer-npu"], option)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_policy_lists_the_policies():
    with pytest.raises(TargetError) as info:
        registry.find_target("ort/auto/prefer-tpu")
    text = str(info.value)
    assert "unknown device policy 'prefer-tpu'" in text and "\n" not in text
    assert all(f"ort/auto/{ort_policy.slug(p)}" in text for p in POLICIES)


def test_cli_unknown_policy_exits_2_with_one_line(zoo, capsys):
    assert main(["run", str(zoo["single_add"]), "--target", "ort/auto/max-speed"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "ort/auto/prefer-npu" in err


def test_devices_lists_policy_targets_with_status(capsys):
    assert main(["devices", "--json"]) == 0
    listed = {t["id"]: t for t in json.loads(capsys.readouterr().out)["targets"]}
    for policy in POLICIES:
        assert listed[f"ort/auto/{ort_policy.slug(policy)}"]["status"] == "ready"


def test_without_policy_support_the_targets_say_why():
    class OldOrt:  # an onnxruntime before 1.22: no OrtExecutionProviderDevicePolicy
        __version__ = "1.20.1"

        class SessionOptions:
            pass

    found = ort_policy.policy_targets(OldOrt, [])
    assert {t.id for t in found} == {f"ort/auto/{ort_policy.slug(p)}" for p in ort_policy.KNOWN}
    assert all(not t.ready and "1.20.1" in t.reason and "upgrade" in t.fix for t in found)


def _policy_target(devices: dict[str, list[dict]]) -> Target:
    return Target(id="ort/auto/prefer-npu", engine="onnxruntime", provider="auto", device_type="AUTO",
                  details={"selection": "policy", "policy": "PREFER_NPU", "ep_devices": json.dumps(devices)})


def test_choice_names_the_device_only_when_the_ep_offers_one():
    npu = {"id": "ort/qnn/npu", "type": "NPU", "name": "Snapdragon X Elite NPU", "emulated": False, "reason": ""}
    gpu = {"id": "ort/qnn/gpu", "type": "GPU", "name": "Adreno", "emulated": False, "reason": ""}
    placement = Placement(total_nodes=328, nodes_by_provider={QNN: 312, "CPUExecutionProvider": 16},
                          accelerator=QNN, source="test")
    one = ort_policy.choice(_policy_target({QNN: [npu]}), [QNN, "CPUExecutionProvider"], placement)
    assert PolicyChoiceInfo(**one.__dict__).sentence == (
        "PREFER_NPU chose QNNExecutionProvider on the NPU (Snapdragon X Elite NPU); 312 of 328 nodes there")
    two = ort_policy.choice(_policy_target({QNN: [npu, gpu]}), [QNN, "CPUExecutionProvider"], None)
    sentence = PolicyChoiceInfo(**two.__dict__).sentence
    assert "one of its devices here (ort/qnn/npu, ort/qnn/gpu; ONNX Runtime does not say which)" in sentence
    assert sentence.endswith("node placement not reported")


def test_policy_run_end_to_end_record_and_summary(zoo):
    spec = RunSpec(model_path=str(zoo["conv_net"]), target_id="ort/auto/prefer-npu", warmup=1, iterations=5)
    run = ProfileRun(spec)
    run.start()
    try:
        record = run.wait()
    finally:
        run.close()
    assert record.error is None, record.error
    choice = record.session.policy
    assert choice.ep == record.session.providers[0] == record.placement.accelerator
    assert f"device policy: {choice.sentence}" in format_run(record)
    assert record.device_type == (choice.device_type or "AUTO")
    again = RunRecord.from_json(record.to_json())
    assert again.session.policy == choice
    with pytest.raises(RecordFormatError, match="session.policy.ep"):
        SessionInfo.from_json({"policy": {"policy": "X", "ep": 5}}, "session")
