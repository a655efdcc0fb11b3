"""Where the worker's native chatter goes: a log file per run, named in the record.

ONNX Runtime, the QNN libraries and OpenVINO print banners, `# LIBNATIVE: ...`
lines and coloured warnings straight to file descriptors 1 and 2. The worker
points both at this run's log file, so the terminal shows only the tool's own
output; the record's `worker_log` names the file (the CLI prints it when the
run failed), and a log that stayed empty is removed.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

KEEP = 50  # newest logs kept in the folder; older ones are removed when a run starts


def log_dir() -> Path:
    return Path(tempfile.gettempdir()) / "aipcprof" / "logs"


def new_log_path() -> str | None:
    """A fresh log file name for one run (None when the temp folder is not writable)."""
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _prune(folder)
    except OSError:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return str(folder / f"worker-{stamp}-{os.getpid()}-{time.perf_counter_ns() % 1_000_000:06d}.log")


def _prune(folder: Path) -> None:
    logs = sorted(folder.glob("worker-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEEP:]:
        old.unlink(missing_ok=True)


def redirect(path: str | None) -> bool:
    """In the worker: fds 1 and 2 to the log; False when there is no log to write."""
    if not path:
        return False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        return False
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return True


def kept(path: str | None) -> str | None:
    """The log if something was written to it; an empty one is removed."""
    if not path:
        return None
    p = Path(path)
    try:
        if p.stat().st_size > 0:
            return path
        p.unlink()
    except OSError:
        pass
    return None
