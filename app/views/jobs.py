"""Background jobs: slow calls (target discovery, model inspection) off the GUI thread.

A job runs a plain function in a private QThreadPool and delivers its result
(or exception) back on the GUI thread through a queued signal, so the window
paints first and fills in later. The pool is private so closing the window
waits only for our own jobs.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread
        try:
            result = self.fn()
        except BaseException as e:  # noqa: BLE001 - everything goes back to the GUI thread
            e.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.relay.failed.emit(e)
        else:
            self.relay.succeeded.emit(result)


class JobRunner(QObject):
    """Owns the pool and keeps relays alive until their job reports."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None] | None = None) -> None:
        relay = _Relay(self)  # parented to self: lives on the GUI thread, so slots run there
        self._relays.add(relay)

        def finish(cb, value) -> None:
            self._relays.discard(relay)
            relay.deleteLater()
            if cb is not None:
                cb(value)

        relay.succeeded.connect(lambda value: finish(on_done, value))
        relay.failed.connect(lambda exc: finish(on_error, exc))
        self.pool.start(_Job(fn, relay))

    @property
    def busy(self) -> bool:
        return bool(self._relays)

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
