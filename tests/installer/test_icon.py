"""installer/app.ico and app.png: valid, and what installer/make_icon.py draws."""

from __future__ import annotations

import struct

from tests.installer.conftest import INSTALLER, load

make_icon = load("make_icon")
ICO = (INSTALLER / "app.ico").read_bytes()


def _entries(data: bytes) -> dict[int, bytes]:
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    out = {}
    for i in range(count):
        w, h, _, _, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert (w or 256) == (h or 256) and (planes, bpp) == (1, 32)
        assert offset + size <= len(data)
        out[w or 256] = data[offset:offset + size]
    return out


def test_ico_holds_every_size_windows_asks_for():
    entries = _entries(ICO)
    assert sorted(entries) == sorted(make_icon.ICO_SIZES)
    for size, blob in entries.items():
        if size <= make_icon.BMP_MAX:  # DIB: header height is twice the image (XOR + AND mask)
            assert struct.unpack_from("<Iii", blob) == (40, size, size * 2)
        else:
            assert blob[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_is_the_256px_image():
    png = (INSTALLER / "app.png").read_bytes()
    assert png == _entries(ICO)[256]
    assert struct.unpack(">II", png[16:24]) == (256, 256)


def test_committed_icon_is_reproducible():
    """Small sizes only (fast): the generator still draws the committed images."""
    entries = _entries(ICO)
    assert make_icon.bmp_bytes(make_icon.render(16), 16) == entries[16]
    assert make_icon.png_bytes(make_icon.render(64), 64) == entries[64]
