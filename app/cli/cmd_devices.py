"""`aipcprof devices`: every target and the machine's compute devices."""

from __future__ import annotations

import argparse
import json

from app.common.errors import ExitStatus


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ready", action="store_true", help="only targets that can run here")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.registry import discover_targets

    targets = [t for t in discover_targets() if t.ready or not args.ready]
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
    rows = [("TARGET", "TYPE", "DEVICE", "VERSIONS", "STATUS")]
    for t in targets:
        versions = " / ".join(v for v in (t.runtime_version, t.ep_version) if v)
        status = "ready" if t.ready else f"unavailable: {t.reason}"
        if t.ready and t.reason:
            status += f" ({t.reason})"
        if not t.ready and t.fix:
            status += f" -> {t.fix}"
        rows.append((t.id, t.device_type, t.device_name or t.vendor, versions, status))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows)
