"""`aipcprof devices`: every target and the machine's compute devices."""

from __future__ import annotations

import argparse
import json

from app.common.errors import ExitStatus


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ready", action="store_true", help="only targets that can run here")
    p.add_argument("--acquire", action="store_true",
                   help="Windows ML: download and install the catalog's EPs this PC can use first "
                        "(the EP acquisition phase; minutes the first time)")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.registry import discover_targets

    if args.acquire:
        _acquire()
    targets = [t for t in discover_targets(refresh=args.acquire) if t.ready or not args.ready]
    devices = _inventory()
    if args.json:
        print(json.dumps({"targets": [t.to_dict() for t in targets],
                          "devices": [d.to_dict() for d in devices] if devices is not None else None}, indent=1))
        return ExitStatus.OK
    print(format_targets(targets))
    if devices is not None:
        from app.probes.inventory import format_inventory

        print()
        print(format_inventory(devices))
    return ExitStatus.OK


def _inventory():
    try:
        from app.probes.inventory import build_inventory
    except ImportError:
        return None
    return build_inventory()


def format_targets(targets) -> str:
    rows = [("TARGET", "TYPE", "DEVICE", "VERSIONS", "PACKAGE", "STATUS")]
    for t in targets:
        versions = " / ".join(v for v in (t.runtime_version, t.ep_version) if v)
        status = "ready" if t.ready else f"unavailable: {t.reason}"
        if t.ready and t.reason:
            status += f" ({t.reason})"
        if not t.ready and t.fix:
            status += f" -> {t.fix}"
        rows.append((t.id, t.device_type, t.device_name or t.vendor, versions, t.details.get("package", ""), status))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] for r in rows)


def _acquire() -> None:
    """The EP acquisition phase, with progress on stderr (stdout stays the listing, JSON included)."""
    import sys

    from app.engines import winml

    catalog = winml.current()
    problem = catalog.state.problem
    if problem is not None:
        print(f"EP acquisition: nothing to acquire: {problem[0]}", file=sys.stderr)
        return
    shown: dict[str, int] = {}

    def report(name: str, share: float) -> None:
        percent = int(max(0.0, min(1.0, share)) * 100)
        if shown.get(name) != percent:
            shown[name] = percent
            print(f"EP acquisition: {name} {percent}%", file=sys.stderr, flush=True)

    done = catalog.acquire(report)
    failed = [e for e in catalog.state.entries if e.error]
    print(f"EP acquisition: {len(done)} EP(s) made ready" + "".join(f"; {e.name}: {e.error}" for e in failed),
          file=sys.stderr)
