"""Fill installer/aipcprof.nsi.in with the version from `app.__version__` and the build's paths.

    python installer/fill_nsis.py [--dist dist/aipcprof] [--out-dir dist] [--output build/installer/aipcprof.nsi]
    makensis -DARCH=x64 build/installer/aipcprof.nsi      # or -DARCH=arm64

The architecture stays a makensis define, so one filled script builds both
installers. Paths are written absolute (makensis runs from the script's folder).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from version_info import APP_NAME, PUBLISHER, app_version, version_quad  # noqa: E402

TEMPLATE = HERE / "aipcprof.nsi.in"
TOKEN = re.compile(r"@([A-Z_]+)@")


def nsis_string(value: str) -> str:
    """A value safe inside a double-quoted NSIS string: `$` escaped, no quotes or newlines."""
    if any(c in value for c in '"\r\n'):
        raise ValueError(f"cannot put {value!r} in an NSIS string")
    return value.replace("$", "$$")


def tokens(version: str, dist_dir: Path, out_dir: Path, icon: Path) -> dict[str, str]:
    return {
        "APP_NAME": APP_NAME,
        "PUBLISHER": PUBLISHER,
        "VERSION": version,
        "VERSION_QUAD": ".".join(str(n) for n in version_quad(version)),
        "DIST_DIR": str(dist_dir.resolve()),
        "OUT_DIR": str(out_dir.resolve()),
        "ICON": str(icon.resolve()),
    }


def fill(template: str, values: dict[str, str]) -> str:
    missing = sorted(set(TOKEN.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for {', '.join('@' + m + '@' for m in missing)}")
    return TOKEN.sub(lambda m: nsis_string(values[m.group(1)]), template)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "aipcprof", help="the PyInstaller bundle")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist", help="where makensis writes the setup .exe")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "installer" / "aipcprof.nsi")
    parser.add_argument("--icon", type=Path, default=HERE / "app.ico")
    parser.add_argument("--version", help="override app.__version__ (tests)")
    args = parser.parse_args(argv)
    version = args.version or app_version()
    text = fill(TEMPLATE.read_text(encoding="utf-8"), tokens(version, args.dist, args.out_dir, args.icon))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # NSIS reads a UTF-8 script when it starts with a BOM (Unicode true handles the rest).
    args.output.write_text(text, encoding="utf-8-sig", newline="\r\n" if sys.platform == "win32" else "\n")
    print(f"{args.output} (version {version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
