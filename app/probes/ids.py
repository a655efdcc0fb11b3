"""Vendor and device IDs of the accelerators an AI PC can have.

Sources: Linux drivers/accel/ivpu/ivpu_drv.h (Intel NPU), amd/xdna-driver
amdxdna_pci_drv.c (AMD NPU), onnxruntime QNN htp_usr_drv_utils.cc (Qualcomm
ACPI id); see shared/research/telemetry.md section 2.
"""

from __future__ import annotations

from app.probes.model import GPU, NPU

VENDORS = {
    0x8086: "Intel",
    0x1022: "AMD",
    0x1002: "AMD",
    0x10DE: "NVIDIA",
    0x17CB: "Qualcomm",
    0x5143: "Qualcomm",  # Vulkan's id for Adreno
    0x4D4F4351: "Qualcomm",  # DXGI/DXCore: ASCII "QCOM"
    0x1414: "Microsoft",  # Basic Render Driver
}

INTEL_NPU_IDS = {
    0x7D1D: "Intel AI Boost NPU (Meteor Lake)",
    0xAD1D: "Intel AI Boost NPU (Arrow Lake)",
    0x643E: "Intel AI Boost NPU (Lunar Lake)",
    0xB03E: "Intel AI Boost NPU (Panther Lake)",
    0xFD3E: "Intel AI Boost NPU (Wildcat Lake)",
    0xD71D: "Intel AI Boost NPU (Nova Lake)",
}

AMD_NPU_IDS = {
    0x1502: "AMD XDNA NPU (Phoenix / Hawk Point)",
    0x17F0: "AMD XDNA2 NPU (Strix / Strix Halo / Krackan)",
}

QUALCOMM_NPU_ACPI_IDS = {"QCOM0D0A": "Qualcomm Hexagon NPU"}

NPU_DRIVERS = {"intel_vpu": "Intel", "amdxdna": "AMD", "qaic": "Qualcomm"}

# PCI base classes (upper byte of the 24-bit class code).
PCI_CLASS_DISPLAY = 0x03
PCI_CLASS_PROCESSING_ACCEL = 0x12  # Intel NPU: 0x120000
PCI_SUBCLASS_SIGNAL_PROC = 0x1180  # AMD NPU: 0x118000 (shared with other blocks)


def vendor_name(vendor_id: int | None) -> str:
    if vendor_id is None:
        return ""
    return VENDORS.get(vendor_id, f"0x{vendor_id:04X}")


def npu_name(vendor_id: int | None, device_id: int | None) -> str | None:
    """The NPU's marketing name when (vendor, device) is a known NPU, else None."""
    if vendor_id == 0x8086:
        return INTEL_NPU_IDS.get(device_id or -1)
    if vendor_id == 0x1022:
        return AMD_NPU_IDS.get(device_id or -1)
    return None


def kind_of_pci(vendor_id: int | None, device_id: int | None, pci_class: int | None,
                driver: str = "") -> str | None:
    """CPU/GPU/NPU for a PCI function, or None when it is not a compute device."""
    if npu_name(vendor_id, device_id) or driver in NPU_DRIVERS:
        return NPU
    if pci_class is not None:
        if pci_class >> 16 == PCI_CLASS_DISPLAY:
            return GPU
        # Intel puts its NPUs (and only them) in class 0x12; a future id is still an NPU.
        # Class 0x1180 also holds AMD's sensor hub and Intel PCH blocks, so it needs the id or driver.
        if pci_class >> 16 == PCI_CLASS_PROCESSING_ACCEL and vendor_id == 0x8086:
            return NPU
    return None


def hex_id(value: int | None, width: int = 4) -> str:
    return "" if value is None else f"0x{value:0{width}X}"

