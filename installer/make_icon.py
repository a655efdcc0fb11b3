"""Draw the app icon with the standard library only; write installer/app.ico and installer/app.png.

    python installer/make_icon.py [--ico PATH] [--png PATH]

The output is committed next to this script and is byte-for-byte reproducible
(tests/installer checks it). The ICO holds 16-48 px images as 32-bit BMP
(what every Windows shell and NSIS read) and 64-256 px images as PNG.
Motif: a processor die (rounded square with pins) showing three bars.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
BMP_MAX = 48  # sizes up to this are stored as BMP, larger ones as PNG
SUPERSAMPLE = 4

BG_TOP, BG_BOTTOM = (0x2D, 0x6C, 0xDF), (0x1A, 0x2F, 0x66)
DIE, PIN = (0xF4, 0xF6, 0xFA), (0xC9, 0xD3, 0xE6)
BARS = ((0x2D, 0x6C, 0xDF), (0x12, 0xA1, 0x50), (0xFF, 0xA5, 0x00))


def _in_round_rect(x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _shade(u: float, v: float) -> tuple[int, int, int] | None:
    """Colour at (u, v) in the unit square (y down), None where transparent."""
    if not _in_round_rect(u, v, 0.02, 0.02, 0.98, 0.98, 0.2):
        return None
    # pins: four per side of the die
    for i in range(4):
        c = 0.305 + i * 0.13
        if abs(u - c) <= 0.035 and (0.13 <= v <= 0.25 or 0.75 <= v <= 0.87):
            return PIN
        if abs(v - c) <= 0.035 and (0.13 <= u <= 0.25 or 0.75 <= u <= 0.87):
            return PIN
    if _in_round_rect(u, v, 0.22, 0.22, 0.78, 0.78, 0.06):
        for i, (height, colour) in enumerate(zip((0.22, 0.34, 0.44), BARS)):
            x0 = 0.30 + i * 0.14
            if x0 <= u <= x0 + 0.10 and 0.70 - height <= v <= 0.70:
                return colour
        return DIE
    t = v
    return tuple(round(a + (b - a) * t) for a, b in zip(BG_TOP, BG_BOTTOM))  # type: ignore[return-value]


def render(size: int) -> list[bytes]:
    """RGBA rows, top to bottom, anti-aliased by supersampling."""
    n = SUPERSAMPLE
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            acc = [0, 0, 0]
            hits = 0
            for sy in range(n):
                for sx in range(n):
                    c = _shade((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size)
                    if c is not None:
                        hits += 1
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
            if hits:
                row += bytes((acc[0] // hits, acc[1] // hits, acc[2] // hits, round(255 * hits / (n * n))))
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return rows


def png_bytes(rows: list[bytes], size: int) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bmp_bytes(rows: list[bytes], size: int) -> bytes:
    """An ICO image entry as a DIB: BITMAPINFOHEADER, BGRA rows bottom-up, an all-zero AND mask."""
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    pixels = bytearray()
    for r in reversed(rows):
        for i in range(0, len(r), 4):
            pixels += bytes((r[i + 2], r[i + 1], r[i], r[i + 3]))
    mask_stride = ((size + 31) // 32) * 4
    return header + bytes(pixels) + bytes(mask_stride * size)


def ico_bytes(images: dict[int, bytes]) -> bytes:
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    body = b""
    for size, data in images.items():
        dim = 0 if size >= 256 else size
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return out + body


def build() -> tuple[bytes, bytes]:
    """(ico, png-256) bytes."""
    images: dict[int, bytes] = {}
    png256 = b""
    for size in ICO_SIZES:
        rows = render(size)
        if size <= BMP_MAX:
            images[size] = bmp_bytes(rows, size)
        else:
            images[size] = png_bytes(rows, size)
            if size == 256:
                png256 = images[size]
    return ico_bytes(images), png256


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ico", type=Path, default=HERE / "app.ico")
    parser.add_argument("--png", type=Path, default=HERE / "app.png")
    args = parser.parse_args(argv)
    ico, png = build()
    args.ico.write_bytes(ico)
    args.png.write_bytes(png)
    print(f"wrote {args.ico} ({len(ico)} bytes), {args.png} ({len(png)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
