"""Windows version resources and NSIS numbers from `app.__version__` (no PyInstaller import).

`python installer/version_info.py` prints the version the build will use.
The spec calls `write_version_file()` at build time; `fill_nsis.py` uses
`version_quad()`; tests call both.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "AI PC Profiler"
PUBLISHER = "AI PC Profiler contributors"
COPYRIGHT = "MIT License, AI PC Profiler contributors"


def app_version() -> str:
    """`app.__version__`, imported from this checkout (not from an installed copy)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import __version__

    return __version__


def version_quad(version: str) -> tuple[int, int, int, int]:
    """'1.2.3' -> (1, 2, 3, 0); '0.4rc1' -> (0, 4, 0, 0); '1.2.3.dev7' -> (1, 2, 3, 0).

    Windows version resources and NSIS VIProductVersion need four 16-bit numbers;
    a pre-release/dev suffix is dropped (the string version keeps it).
    """
    match = re.match(r"^\s*v?(\d+(?:\.\d+){0,3})", version)
    if not match:
        raise ValueError(f"not a release number: {version!r}")
    parts = [int(p) for p in match.group(1).split(".")]
    parts += [0] * (4 - len(parts))
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"a version part exceeds 65535: {version!r}")
    return tuple(parts)  # type: ignore[return-value]


def render_version_file(version: str, exe_name: str, description: str) -> str:
    """The text PyInstaller's EXE(version=...) reads: a VSVersionInfo(...) expression."""
    quad = version_quad(version)
    strings = {
        "CompanyName": PUBLISHER,
        "FileDescription": description,
        "FileVersion": version,
        "InternalName": exe_name,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{exe_name}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }
    string_structs = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# Generated from app.__version__ = {version!r} by installer/version_info.py. Do not edit.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={quad},
    prodvers={quad},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '040904B0',
        [
{string_structs}
        ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_version_file(path: str | Path, version: str, exe_name: str, description: str) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_version_file(version, exe_name, description), encoding="utf-8")
    return str(path)


if __name__ == "__main__":
    print(app_version())
