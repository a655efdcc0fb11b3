"""app.common.cpuinfo: the one /proc/cpuinfo parser (discovery, inventory and the run record use it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.common import cpuinfo
from app.common.cpuinfo import CpuInfo, parse_cpuinfo, read_cpuinfo

DATA = Path(__file__).resolve().parents[1] / "data"

RASPBERRY_PI = """processor\t: 0
BogoMIPS\t: 108.00
CPU implementer\t: 0x41
CPU part\t: 0xd08

Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""
ARM64_SERVER = "processor\t: 0\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
ARMV7 = "Processor\t: ARMv7 Processor rev 10 (v7l)\nCPU implementer\t: 0x41\n"
X86_NO_NAME = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 170\n"


@pytest.mark.parametrize("text, expected", [
    ("vendor_id\t: GenuineIntel\nmodel\t\t: 170\nmodel name\t: Intel(R)  Xeon(R) CPU    E5-2680\n",
     ("Intel", "Intel(R) Xeon(R) CPU E5-2680")),  # whitespace collapsed; `model` (a number) is not the name
    ("CPU implementer\t: 0x51\nHardware\t: Snapdragon X Elite\n", ("Qualcomm", "Snapdragon X Elite")),
    (RASPBERRY_PI, ("Arm", "BCM2835")),
    ("Model\t: Raspberry Pi 5\n", ("", "Raspberry Pi 5")),
    (ARMV7, ("Arm", "ARMv7 Processor rev 10 (v7l)")),
    (ARM64_SERVER, ("Arm", "")),
    (X86_NO_NAME, ("Intel", "")),  # `processor` and `model` are numbers on x86
    ("vendor_id\t: HygonGenuine\nmodel name\t: Hygon C86\n", ("HygonGenuine", "Hygon C86")),
    ("model name\t:\nmodel name\t: second\n", ("", "second")),  # an empty value does not hide a later one
    ("", ("", "")), ("garbage", ("", "")),
])
def test_parse_cpuinfo(text, expected):
    got = parse_cpuinfo(text)
    assert got == expected and isinstance(got, CpuInfo)


def test_read_cpuinfo_from_a_recorded_root(tmp_path):
    assert read_cpuinfo(DATA / "sysfs/intel_npu_laptop/snap0") == ("Intel", "Intel(R) Core(TM) Ultra 7 155H")
    assert read_cpuinfo(tmp_path) == ("", "")  # no proc/cpuinfo: nothing, no error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo")
def test_discovery_inventory_and_run_record_agree_on_this_cpu():
    from app.probes.inventory_linux import cpu_device
    from app.run.host import host_info

    name = read_cpuinfo().name
    cpuinfo.cpu_model_name.cache_clear()
    assert cpuinfo.cpu_model_name() == (name or cpuinfo.platform.processor())
    if name:
        assert host_info()["cpu"] == name
        assert cpu_device().name.startswith(name)


def test_app_common_imports_only_the_standard_library():
    """Engines, probes and run all import app.common (the cpuinfo parser among it), so it imports none of them."""
    import ast

    for path in Path(cpuinfo.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith("app.common"), f"{path.name}: {name}"
