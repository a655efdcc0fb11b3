"""DRM client usage from /proc/<pid>/fdinfo (Documentation/gpu/drm-usage-stats.rst).

A process that opened a DRM/accel node has `drm-driver`, `drm-client-id`,
`drm-pdev` and `drm-engine-<name>: <N> ns` lines in that fd's fdinfo. The same
client can appear under several fds (dup), so clients are de-duplicated by
(drm-pdev, drm-client-id). Reading our own or a same-uid process needs no
privilege.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.probes.linux_sysfs import Reader, read_text

_SIZE_UNITS = {"": 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_fdinfo(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def parse_ns(value: str) -> int | None:
    """'339706748 ns' -> 339706748."""
    parts = value.split()
    if not parts or not parts[0].isdigit() or (len(parts) > 1 and parts[1] != "ns"):
        return None
    return int(parts[0])


def parse_size(value: str) -> int | None:
    """'507756 KiB' -> bytes; a bare number is bytes."""
    parts = value.split()
    if not parts or not parts[0].isdigit():
        return None
    unit = parts[1] if len(parts) > 1 else ""
    return int(parts[0]) * _SIZE_UNITS[unit] if unit in _SIZE_UNITS else None


@dataclass
class DrmClient:
    driver: str
    pdev: str
    client_id: str
    engine_ns: dict[str, int] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)  # drm-total-memory etc., bytes

    @property
    def busy_ns(self) -> int:
        return sum(self.engine_ns.values())


def client_from_fdinfo(fields: dict[str, str]) -> DrmClient | None:
    driver = fields.get("drm-driver")
    if not driver:
        return None
    client = DrmClient(driver, fields.get("drm-pdev", "").lower(), fields.get("drm-client-id", ""))
    for key, value in fields.items():
        if key.startswith("drm-engine-") and not key.startswith("drm-engine-capacity-"):
            ns = parse_ns(value)
            if ns is not None:
                client.engine_ns[key.removeprefix("drm-engine-")] = ns
        elif key.startswith(("drm-total-", "drm-resident-", "drm-shared-")):
            size = parse_size(value)
            if size is not None:
                client.memory[key] = size
    return client


def _is_drm_node(target: str) -> bool:
    return target.startswith(("/dev/accel/", "/dev/dri/"))


def process_clients(proc_root: Path, pid: int, reader: Reader = read_text) -> list[DrmClient]:
    """DRM clients held by `pid`, de-duplicated; [] when it holds none or is gone."""
    fd_dir = proc_root / str(pid) / "fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return []
    clients: dict[tuple[str, str], DrmClient] = {}
    for fd in fds:
        try:
            if not _is_drm_node(os.readlink(fd_dir / fd)):
                continue
        except OSError:
            pass  # not a link we can read: let fdinfo's drm-driver line decide
        try:
            fields = parse_fdinfo(reader(proc_root / str(pid) / "fdinfo" / fd))
        except OSError:
            continue
        client = client_from_fdinfo(fields)
        if client is not None:
            clients.setdefault((client.pdev, client.client_id or f"fd{fd}"), client)
    return list(clients.values())
