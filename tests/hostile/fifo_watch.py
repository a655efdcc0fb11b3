"""A trap file for "was this path ever opened?": a FIFO that notices readers and never hangs them.

Anything that opens a FIFO for reading blocks until a writer appears; that is
how `<img src="some.fifo">` hung the desktop app. A watcher keeps trying to
open the write end without blocking: that fails (ENXIO) while nobody reads,
and succeeds the moment a reader is waiting, which it counts and lets go at
once (closing the write end gives the reader an empty file). So a test can
assert `stop() == 0`, and a regression fails the test instead of hanging it.

The watcher is a separate process, not a thread: a Qt call blocked in open()
may hold the GIL, and a watcher thread in the same process could then never
run to release it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"),
                                reason="FIFOs are POSIX; the OS decides what a Windows path can be")

_WATCHER = r"""
import errno, os, sys, time
path, stop = sys.argv[1], sys.argv[2]
readers = 0
print("watching", flush=True)
while not os.path.exists(stop):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno not in (errno.ENXIO, errno.EAGAIN):
            break  # the FIFO went away with its folder
        time.sleep(0.002)
        continue
    readers += 1
    os.close(fd)  # the reader gets EOF: an empty file, never a hang
    time.sleep(0.002)
print(readers, flush=True)
"""


class FifoWatch:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        os.mkfifo(self.path)
        self._stop_file = self.path.with_name(self.path.name + ".stop")
        self._proc = subprocess.Popen([sys.executable, "-c", _WATCHER, str(self.path), str(self._stop_file)],
                                      stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout.readline().strip() == "watching"
        self._readers: int | None = None

    def stop(self) -> int:
        """Stop watching; how many times something opened the FIFO for reading."""
        if self._readers is None:
            self._stop_file.touch()
            out, _ = self._proc.communicate(timeout=30)
            self._readers = int(out.strip().splitlines()[-1])
        return self._readers
