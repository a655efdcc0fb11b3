"""Inventory: Linux sysfs discovery + capabilities; Windows PnP parsing and the LUID join."""

from __future__ import annotations

import errno
import json
from pathlib import Path

from app.common.cpuinfo import parse_cpuinfo
from app.probes.cpu_psutil import PsutilCpuProbe
from app.probes.device import DeviceInfo
from app.probes.inventory import attach_capabilities, build_inventory, format_inventory
from app.probes.inventory_linux import linux_devices
from app.probes.inventory_windows import windows_devices
from app.probes.linux_rapl import RaplPowercapProbe
from app.probes.linux_sysfs import read_text
from app.probes.model import NPU
from app.probes.nvml import NvmlProbe
from app.probes.registry import default_probes
from app.probes.win_pdh import WinPdhGpuProbe
from app.probes.win_pnp import parse_device_id, parse_location, parse_pnp_json

from .conftest import DATA
from .fakes_windows import FakePdh
from .nvml_stub import NVMLError_DriverNotLoaded, StubNvml


def _by_key(devices: list[DeviceInfo]) -> dict[str, DeviceInfo]:
    return {d.key: d for d in devices}


def test_intel_laptop_inventory(stage):
    root = stage("intel_npu_laptop", 0)
    devices = _by_key(build_inventory(root))
    cpu, npu, gpu = devices["cpu"], devices["pci:0000:00:0b.0"], devices["pci:0000:00:02.0"]
    assert cpu.name.startswith("Intel(R) Core(TM) Ultra 7 155H") and cpu.vendor == "Intel"
    assert (npu.kind, npu.vendor, npu.driver) == ("NPU", "Intel", "intel_vpu")
    assert npu.name == "Intel AI Boost NPU (Meteor Lake)" and (npu.vendor_id, npu.device_id) == ("0x8086", "0x7D1D")
    assert npu.driver_version == "in-tree (kernel 6.11.0-19-generic)" and npu.power_state == "suspended"
    assert npu.capability("utilisation").status == "ok"
    assert npu.capability("frequency").status == "ok" and npu.capability("memory").status == "ok"
    assert npu.capability("power").status == "unsupported" and "PMT" in npu.capability("power").reason
    assert gpu.kind == "GPU" and gpu.capability("utilisation").status == "ok"
    assert gpu.capability("energy").status == "ok" and "uncore" in gpu.capability("energy").source
    assert cpu.capability("energy").status == "ok" and cpu.capability("temperature").status == "ok"
    assert set(devices) >= {"cpu", "pci:0000:00:0b.0", "pci:0000:00:02.0"}
    json.dumps([d.to_dict() for d in devices.values()])  # JSON-able


def test_amd_laptop_inventory_and_sensor_hub_is_not_an_npu(stage):
    root = stage("amd_ryzen_ai_laptop", 0)
    devices = _by_key(build_inventory(root))
    npu = devices["pci:0000:05:00.1"]
    assert npu.name.startswith("AMD XDNA2 NPU") and npu.driver_version == "2.19.0_20250115"
    assert npu.capability("power").status == "ok" and npu.capability("temperature").status == "ok"
    util = npu.capability("utilisation")
    assert util.status == "unsupported" and "QUERY_SENSORS" in util.reason
    assert "pci:0000:c4:00.7" not in devices  # amd_sfh shares PCI class 0x1180
    assert devices["pci:0000:c4:00.0"].capability("power").status == "ok"


def test_denied_rapl_shows_the_fix(stage):
    root = stage("amd_ryzen_ai_laptop", 0)

    def root_only(path: Path) -> str:
        if path.name == "energy_uj":
            raise PermissionError(errno.EACCES, "Permission denied")
        return read_text(path)

    probes = [p for p in default_probes(root) if not isinstance(p, RaplPowercapProbe)]
    probes.append(RaplPowercapProbe(root, reader=root_only))
    cpu = _by_key(build_inventory(root, probes=probes))["cpu"]
    energy = cpu.capability("energy")
    assert energy.status == "denied" and "udev" in energy.fix
    text = format_inventory([cpu])
    assert "denied" in text and "fix: " in text


def test_unbound_npu_is_listed_with_a_note(tmp_path):
    dev = tmp_path / "sys/bus/pci/devices/0000:00:0b.0"
    dev.mkdir(parents=True)
    (dev / "uevent").write_text("PCI_CLASS=120000\nPCI_ID=8086:643E\nPCI_SLOT_NAME=0000:00:0b.0\n")
    devices = _by_key(linux_devices(tmp_path))
    npu = devices["pci:0000:00:0b.0"]
    assert npu.name == "Intel AI Boost NPU (Lunar Lake)" and npu.driver == ""
    assert any("no driver bound" in n for n in npu.notes)


def test_nvml_failure_explains_every_nvidia_metric():
    gpu = DeviceInfo("pci:0000:01:00.0", "GPU", "NVIDIA", "GPU")
    probe = NvmlProbe(StubNvml(init_error=NVMLError_DriverNotLoaded()))
    attach_capabilities([gpu], [(probe, s) for s in probe.read()], plat="linux")
    assert all(gpu.capability(c).status == "unsupported" and "driver not loaded" in gpu.capability(c).reason
               for c in ("utilisation", "power", "energy", "temperature", "frequency", "memory"))


def test_first_reading_of_a_rate_counts_as_readable():
    cpu = DeviceInfo("cpu", "CPU", "AMD", "cpu")
    probe = PsutilCpuProbe()
    attach_capabilities([cpu], [(probe, s) for s in probe.read()], plat="linux")
    assert cpu.capability("utilisation").status == "ok"
    assert cpu.capability("power").status == "unsupported"  # no sample at all: the default reason


def test_this_machine_reports_clean_statuses():
    devices = build_inventory()
    cpu = devices[0]
    assert cpu.key == "cpu" and cpu.capability("utilisation").status == "ok"
    for d in devices:
        for cat in ("utilisation", "power", "energy", "temperature", "frequency", "memory"):
            cap = d.capability(cat)
            assert cap.status in ("ok", "unsupported", "denied", "error", "stale")
            assert cap.status == "ok" or cap.reason, f"{d.key} {cat} has no reason"
    assert "utilisation" in format_inventory(devices)


def test_parse_cpuinfo_variants():
    assert parse_cpuinfo((DATA / "sysfs/amd_ryzen_ai_laptop/snap0/proc/cpuinfo").read_text()) == \
        ("AMD", "AMD Ryzen AI 9 HX 370 w/ Radeon 890M")
    assert parse_cpuinfo("CPU implementer\t: 0x51\nHardware\t: Snapdragon X Elite\n") == ("Qualcomm", "Snapdragon X Elite")
    assert parse_cpuinfo("") == ("", "")


# -- Windows (pure parsing and joining; runs on Linux) -------------------------------------

def test_parse_pnp_ids_and_locations():
    assert parse_device_id(r"PCI\VEN_8086&DEV_7D1D&SUBSYS_0C4B1028&REV_04\3&11583659&0&58") == (0x8086, 0x7D1D)
    assert parse_device_id(r"ACPI\QCOM0D0A\2&DABA3FF&0") == ("QCOM", 0x0D0A)
    assert parse_device_id(r"ACPI\VEN_QCOM&DEV_0C36&SUBSYS_CRD08380&REV_0000\0") == ("QCOM", 0x0C36)
    assert parse_device_id(r"USB\VID_046D&PID_C52B") == (None, None)
    assert parse_location("PCI bus 5, device 0, function 1") == "0000:05:00.1"
    assert parse_location("") == ""
    assert parse_pnp_json("not json") == [] and parse_pnp_json("") == []
    assert parse_pnp_json('[{"DeviceName": "x"}, 5]') == []  # rows without a DeviceID are dropped


def test_single_object_json_and_npu_kinds():
    (amd,) = parse_pnp_json((DATA / "pnp/amd_ryzen_ai_npu_only.json").read_text())
    assert amd.kind == NPU and amd.vendor == "AMD" and amd.bus == "0000:05:00.1"
    qc = parse_pnp_json((DATA / "pnp/snapdragon_x_elite.json").read_text())
    assert [d.kind for d in qc] == ["NPU", "GPU"] and qc[0].acpi_hid == "QCOM0D0A" and qc[0].vendor == "Qualcomm"


def _adapters(trace: str):
    probe = WinPdhGpuProbe(FakePdh(trace))
    probe.read()
    return probe.adapters()


def test_windows_join_unique_kinds():
    pnp = parse_pnp_json((DATA / "pnp/intel_core_ultra.json").read_text())
    devices = _by_key(windows_devices(pnp, _adapters("intel_core_ultra.json"), {}))
    npu = devices["luid:0x00000000_0x0000E2F1"]
    assert npu.name == "Intel(R) AI Boost" and npu.kind == "NPU" and npu.driver_version == "32.0.100.3104"
    assert "pci:0000:00:0b.0" in npu.aliases
    assert devices["luid:0x00000000_0x0000D1A5"].name == "Intel(R) Arc(TM) Graphics"


def test_windows_join_prefers_ort_hints_and_lists_unclaimed_adapters():
    pnp = parse_pnp_json((DATA / "pnp/intel_core_ultra.json").read_text())
    adapters = _adapters("intel_core_ultra.json")
    from app.probes.win_pdh import Adapter

    adapters["0x00000000_0x0000AAAA"] = Adapter("0x00000000_0x0000AAAA", {"3D"})  # e.g. Basic Render Driver
    hints = {"0x00000000_0x0000D1A5": (0x8086, 0x7D55)}
    devices = _by_key(windows_devices(pnp, adapters, hints))
    gpu = devices["luid:0x00000000_0x0000D1A5"]
    assert any("ONNX Runtime" in n for n in gpu.notes)
    stray = devices["luid:0x00000000_0x0000AAAA"]
    assert stray.kind == "GPU" and any("Basic Render" in n for n in stray.notes)


def test_windows_npu_metrics_without_a_source_say_so():
    npu = DeviceInfo("luid:0x00000000_0x0000BB15", "NPU", "Qualcomm", "Hexagon")
    probe = WinPdhGpuProbe(FakePdh("snapdragon_x_elite.json"))
    attach_capabilities([npu], [(probe, s) for s in probe.read()], plat="win32")
    assert npu.capability("utilisation").status == "ok" and npu.capability("memory").status == "ok"
    assert npu.capability("power").reason == "Windows exposes no NPU power source"
