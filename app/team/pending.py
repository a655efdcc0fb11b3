"""Publishes that failed, kept for `aipcprof history publish --pending`: a list in the history folder.

`<history>/publish-pending.queue` (JSON; not `.json`, which the history would
take for a run file): one item per run id, with the server it was meant for,
when it was queued and why the last try failed. Every change rewrites the file
atomically (app.record.io.atomic_write) while holding `publish-pending.lock`
(created exclusively; one left by a process that died is taken over after
STALE_LOCK_S), so the CLI and the desktop app queueing at the same moment lose
no item. A file that does not parse is set aside as
`publish-pending.queue.broken` with a warning, never silently lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.common.errors import UserError
from app.record import io as rec
from app.record.typed import RecordFormatError, Section

PENDING_FILE = "publish-pending.queue"
LOCK_FILE = "publish-pending.lock"
LOCK_WAIT_S = 10.0  # how long a change waits for another process's
STALE_LOCK_S = 30.0  # a lock older than this was left by a process that died (a change takes milliseconds)
FORMAT = "aipcprof.publish-pending"  # the queue's own format name (not a run record)
VERSION = 1

log = logging.getLogger(__name__)


@dataclass
class PendingPublish(Section):
    run_id: str
    uri: str
    queued_utc: str = ""
    reason: str = ""  # why the last try failed (ServerError.line)
    tries: int = 1


class PendingQueue:
    def __init__(self, history_root: str | os.PathLike) -> None:
        self.path = Path(history_root) / PENDING_FILE

    def items(self) -> list[PendingPublish]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("items"), list):
                raise ValueError("not a publish queue")
            return [PendingPublish.from_json(d, f"{PENDING_FILE}.items[{i}]") for i, d in enumerate(data["items"])]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, RecordFormatError) as e:
            self._set_aside(e)
            return []

    def add(self, run_id: str, uri: str, reason: str) -> PendingPublish:
        """Queue (or re-queue, counting the try) the publish of `run_id` to `uri`."""
        with self._locked():
            items = self.items()
            old = next((p for p in items if p.run_id == run_id and p.uri == uri), None)
            item = PendingPublish(run_id, uri, old.queued_utc if old else _now(), reason, old.tries + 1 if old else 1)
            self._write([p for p in items if p is not old] + [item])
        return item

    def remove(self, run_id: str, uri: str) -> None:
        if not self.path.exists():
            return
        with self._locked():
            items = self.items()
            kept = [p for p in items if not (p.run_id == run_id and p.uri == uri)]
            if len(kept) != len(items):
                self._write(kept)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name(LOCK_FILE)
        lock.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                break
            except FileExistsError:
                try:
                    if time.time() - lock.stat().st_mtime > STALE_LOCK_S:
                        lock.unlink(missing_ok=True)  # its owner died mid-change
                        continue
                except FileNotFoundError:
                    continue
                if time.monotonic() > deadline:
                    raise UserError(f"the publish queue {self.path} stayed locked ({lock}) for {LOCK_WAIT_S:.0f} s.",
                                    hint="Try again when the other AI PC Profiler process is done; delete the "
                                         "lock file if no other one is running.") from None
                time.sleep(0.01)
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)

    def _write(self, items: list[PendingPublish]) -> None:
        if not items:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "version": VERSION, "items": [p.to_json() for p in items]}
        rec.atomic_write(self.path, json.dumps(body, indent=1) + "\n")

    def _set_aside(self, error: Exception) -> None:
        aside = self.path.with_name(PENDING_FILE + ".broken")
        try:
            os.replace(self.path, aside)
        except OSError:
            aside = self.path
        log.warning("the publish queue %s was unreadable (%s); kept as %s, starting an empty queue.",
                    self.path, error, aside)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
