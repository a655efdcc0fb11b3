"""Writes the EMI fixture bytes in this folder (run it to regenerate them).

Layout from the Windows SDK emi.h / MS Learn "EMI_METADATA_V2":
  EMI_METADATA_V2  = WCHAR HardwareOEM[16], WCHAR HardwareModel[16], USHORT HardwareRevision,
                     USHORT ChannelCount, EMI_CHANNEL_V2 Channels[]
  EMI_CHANNEL_V2   = EMI_MEASUREMENT_UNIT MeasurementUnit (ULONG, 0 = picowatt-hours),
                     USHORT ChannelNameSize (bytes, incl. the NUL), WCHAR ChannelName[]
  measurement      = per channel {ULONGLONG AbsoluteEnergy (pWh), ULONGLONG AbsoluteTime (100 ns)}

The machine: one package meter with PKG/PP0/PP1/DRAM channels, plus two per-core EMI
devices that each mirror the package counter (codecarbon PR #1263 saw 265 W instead of
154 W by summing such mirrors). snap1 is 1 s after snap0 with 12 J more on the package
(12 W); snap2 repeats snap1's meter time (a meter that has not updated: stale).
"""

import struct
from pathlib import Path

HERE = Path(__file__).parent


def wname(text: str, chars: int = 16) -> bytes:
    raw = text.encode("utf-16-le")
    return raw[: 2 * chars].ljust(2 * chars, b"\0")


def metadata_v2(oem: str, model: str, channels: list[str]) -> bytes:
    out = wname(oem) + wname(model) + struct.pack("<HH", 1, len(channels))
    for name in channels:
        encoded = (name + "\0").encode("utf-16-le")
        out += struct.pack("<IH", 0, len(encoded)) + encoded
    return out


def measurements(values: list[tuple[int, int]]) -> bytes:
    return b"".join(struct.pack("<QQ", e, t) for e, t in values)


PKG0, T0 = 1_000_000_000_000, 133_000_000_000_000  # 1 Wh since boot; FILETIME-like 100 ns ticks
D_PKG = 3_333_333_333  # 12 J in pWh
D_T = 10_000_000  # 1 s in 100 ns

devices = {
    "pkg": ["RAPL_Package0_PKG", "RAPL_Package0_PP0", "RAPL_Package0_PP1", "RAPL_Package0_DRAM"],
    "core0": ["RAPL_Package0_PKG"],
    "core1": ["RAPL_Package0_PKG"],
}
(HERE / "pkg.meta.bin").write_bytes(metadata_v2("INTEL", "RAPL", devices["pkg"]))
(HERE / "core0.meta.bin").write_bytes(metadata_v2("INTEL", "RAPL_CORE0", devices["core0"]))
(HERE / "core1.meta.bin").write_bytes(metadata_v2("INTEL", "RAPL_CORE1", devices["core1"]))
snaps = [(0, 0), (D_PKG, D_T), (D_PKG, D_T)]
for i, (de, dt) in enumerate(snaps):
    (HERE / f"pkg.snap{i}.bin").write_bytes(measurements(
        [(PKG0 + de, T0 + dt), (400_000_000_000 + de // 2, T0 + dt), (50_000_000_000, T0 + dt),
         (200_000_000_000 + de // 10, T0 + dt)]))
    for core in ("core0", "core1"):  # mirrors: same energy, meter time a few ticks later
        (HERE / f"{core}.snap{i}.bin").write_bytes(measurements([(PKG0 + de, T0 + dt + 7)]))
