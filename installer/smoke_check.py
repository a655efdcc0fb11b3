"""Checks on what the frozen executables wrote; shared by scripts/build_bundle.sh and the Windows workflow.

    python installer/smoke_check.py version OUTPUT_TEXT       # `aipcprof --version` printed app.__version__
    python installer/smoke_check.py devices DEVICES.json      # targets listed, ort/cpu ready, plugins loaded
    python installer/smoke_check.py winml DEVICES.json        # winml/* targets listed, each ready or saying why
    python installer/smoke_check.py run RUN.json --target ort/cpu --iterations 20
    python installer/smoke_check.py png SCREENSHOT.png [--min-bytes 20000]

Each prints one line and exits 0, or prints why and exits 1. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Reasons that mean the bundle lost a plugin EP package or its libraries (see app/engines/ort_discovery.py).
BROKEN_PLUGIN_MARKERS = ("cannot import onnxruntime", "registering ", "names no execution provider")


class CheckFailed(Exception):
    pass


def read_json(path: Path):
    """JSON written by the app or by a shell redirect (UTF-8, UTF-8 with BOM, UTF-16 from PowerShell 5)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return json.loads(raw.decode(encoding))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
    raise CheckFailed(f"{path}: not JSON ({raw[:60]!r}...)")


def check_version(text: str) -> str:
    from version_info import app_version

    expected = f"aipcprof {app_version()}"
    if text.strip() != expected:
        raise CheckFailed(f"--version printed {text.strip()!r}, expected {expected!r}")
    return expected


def check_devices(path: Path, require_ready: list[str]) -> str:
    data = read_json(path)
    targets = data.get("targets") if isinstance(data, dict) else None
    if not targets:
        raise CheckFailed(f"{path}: no 'targets' list")
    ready = [t["id"] for t in targets if t.get("status") == "ready"]
    for wanted in require_ready:
        if wanted not in ready:
            reason = next((t.get("reason", "") for t in targets if t["id"] == wanted), "not listed")
            raise CheckFailed(f"{path}: {wanted} is not ready ({reason})")
    broken = [f"{t['id']}: {t.get('reason', '')}" for t in targets
              if any(m in t.get("reason", "") for m in BROKEN_PLUGIN_MARKERS)]
    if broken:
        raise CheckFailed(f"{path}: a plugin EP did not load in the bundle: " + "; ".join(broken))
    return f"{len(targets)} targets, ready: {', '.join(ready)}"


def check_winml(path: Path) -> str:
    """Windows ML's targets are listed, and each one is ready or says why and what to do."""
    data = read_json(path)
    rows = [t for t in (data.get("targets") or []) if str(t.get("id", "")).startswith("winml/")]
    if not rows:
        raise CheckFailed(f"{path}: no winml/* target listed")
    silent = [t["id"] for t in rows if t.get("status") != "ready" and not (t.get("reason") and t.get("fix"))]
    if silent:
        raise CheckFailed(f"{path}: unavailable without a reason and a fix: {', '.join(silent)}")
    return "; ".join(f"{t['id']} {t.get('status')}" + (f" ({t.get('reason')})" if t.get("status") != "ready" else "")
                     for t in rows)


def check_run(path: Path, target: str, iterations: int) -> str:
    record = read_json(path)
    status = record.get("status")
    if status != "completed":
        raise CheckFailed(f"{path}: status {status!r}, error {record.get('error')!r}")
    got_target = (record.get("target") or {}).get("id")
    if got_target != target:
        raise CheckFailed(f"{path}: target {got_target!r}, expected {target!r}")
    latency = record.get("latency") or {}
    if latency.get("count") != iterations:
        raise CheckFailed(f"{path}: {latency.get('count')!r} inferences measured, expected {iterations}")
    p50 = latency.get("p50")
    if not isinstance(p50, (int, float)) or not p50 > 0:
        raise CheckFailed(f"{path}: latency p50 {p50!r} is not a positive number")
    return f"{target}: {iterations} inferences, p50 {p50} {latency.get('unit', '')}".rstrip()


def check_png(path: Path, min_bytes: int) -> str:
    if not path.is_file():
        raise CheckFailed(f"{path}: no screenshot written")
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise CheckFailed(f"{path}: not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    size = path.stat().st_size
    if width < 320 or height < 240 or size < min_bytes:
        raise CheckFailed(f"{path}: {width}x{height}, {size} bytes: too small to be the window")
    return f"{path.name}: {width}x{height}, {size} bytes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("version")
    p.add_argument("text")
    p = sub.add_parser("devices")
    p.add_argument("path", type=Path)
    p.add_argument("--require-ready", action="append", default=None, metavar="TARGET",
                   help="a target that must be ready (default: ort/cpu); repeatable")
    p = sub.add_parser("winml")
    p.add_argument("path", type=Path)
    p = sub.add_parser("run")
    p.add_argument("path", type=Path)
    p.add_argument("--target", default="ort/cpu")
    p.add_argument("--iterations", type=int, required=True)
    p = sub.add_parser("png")
    p.add_argument("path", type=Path)
    p.add_argument("--min-bytes", type=int, default=20000)
    args = parser.parse_args(argv)
    try:
        if args.what == "version":
            line = check_version(args.text)
        elif args.what == "devices":
            line = check_devices(args.path, args.require_ready or ["ort/cpu"])
        elif args.what == "winml":
            line = check_winml(args.path)
        elif args.what == "run":
            line = check_run(args.path, args.target, args.iterations)
        else:
            line = check_png(args.path, args.min_bytes)
    except (CheckFailed, OSError, ValueError, KeyError) as exc:
        print(f"smoke check FAILED ({args.what}): {exc}", file=sys.stderr)
        return 1
    print(f"smoke check ok ({args.what}): {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
