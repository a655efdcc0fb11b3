"""The OpenVINO EP plugin for ONNX Runtime (ort/openvino/cpu).

The plugin only offers Intel devices. On an Intel CPU this runs the zoo; on
any other CPU it checks that the target is listed, unavailable, with the
vendor reason, and that opening it fails with that reason.
"""

from __future__ import annotations

import pytest

from app.common.errors import TargetError
from app.engines import hostinfo, registry
from app.engines.base import SessionSettings
from tests.engines.conftest import assert_close, cpu_vendor_id, open_target

TARGET = "ort/openvino/cpu"


INTEL = cpu_vendor_id() == hostinfo.INTEL_VENDOR_ID


@pytest.mark.skipif(INTEL, reason="Intel CPU: the plugin offers it (see the runs below)")
def test_non_intel_cpu_lists_it_unavailable_with_the_vendor_reason(targets, zoo):
    target = targets[TARGET]
    vendor_id = cpu_vendor_id()
    assert not target.ready
    assert target.reason == (f"the OpenVINO EP plugin only offers Intel devices; this CPU is "
                             f"{hostinfo.vendor_name(vendor_id)} (vendor 0x{vendor_id:04x})")
    with pytest.raises(TargetError, match="only offers Intel devices"):
        registry.find_target(TARGET)
    with pytest.raises(TargetError, match="is not available here"):
        registry.engine_for(target).open(str(zoo["conv_net"]), target, SessionSettings())


@pytest.mark.skipif(not INTEL, reason="the OpenVINO EP plugin offers Intel devices only")
@pytest.mark.parametrize("name", ["conv_net", "transformer_block", "qdq_int8", "token_embedding", "dynamic_mlp"])
def test_intel_cpu_runs_the_zoo(zoo, cases, reference, name):
    session = open_target(TARGET, zoo[name], cases[name].settings())
    atol = 0.051 if name == "qdq_int8" else 1e-3
    assert_close(session.run(cases[name].feeds), reference(name), rtol=1e-3, atol=atol)
    assert session.facts.providers[0] == "OpenVINOExecutionProvider"
    assert session.placement.accelerator_nodes > 0


@pytest.mark.skipif(not INTEL, reason="the OpenVINO EP plugin offers Intel devices only")
def test_intel_cpu_io_binding(zoo, cases, reference):
    session = open_target(TARGET, zoo["conv_net"], SessionSettings())
    runner = session.make_runner(cases["conv_net"].feeds, io_binding=True)
    runner()
    assert_close(runner.fetch_outputs(), reference("conv_net"), rtol=1e-3, atol=1e-3)
