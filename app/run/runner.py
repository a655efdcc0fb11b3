"""Parent side of a run: spawn the worker, follow its stream, survive its death.

`ProfileRun` never blocks unless asked: the GUI calls `poll()` from a timer,
the CLI calls `wait()`. Both end with the same run record (app.record.io).
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.record.schema import RunRecord
from app.run.builder import RecordBuilder
from app.run.runspec import RunSpec
from app.run.worker import worker_main

CANCEL_GRACE_S = 5.0  # after Stop, how long the worker may take to finish its batch
MAX_MESSAGES_PER_POLL = 500  # keep one GUI timer tick short


@dataclass
class RunEvent:
    kind: str  # started | phase | lat | session | inputs | model | output_check | error | ended
    data: dict[str, Any] = field(default_factory=dict)


class ProfileRun:
    def __init__(self, spec: RunSpec, *, sampler=None, target=None) -> None:
        self.spec = spec.validate()
        self.sampler = sampler
        self.builder = RecordBuilder(spec, target=target)
        self._ctx = mp.get_context("spawn")
        self._cancel = self._ctx.Event()
        self._conn = None
        self._proc = None
        self._last_progress = 0.0
        self._phase = "start"
        self._cancel_requested_at: float | None = None
        self._ending_since: float | None = None  # worker said done/error; waiting for it to exit
        self.record: RunRecord | None = None

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        parent, child = self._ctx.Pipe(duplex=False)
        self._proc = self._ctx.Process(target=worker_main, args=(self.spec.to_dict(), child, self._cancel),
                                       name="aipcprof-worker", daemon=True)
        self._proc.start()
        child.close()  # so the parent sees EOF when the worker dies
        self._conn = parent
        self._last_progress = time.monotonic()
        self.builder.started(self._proc.pid)
        if self.sampler is not None:
            self.sampler.set_worker_pid(self._proc.pid)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def finished(self) -> bool:
        return self.record is not None

    @property
    def phase(self) -> str:
        return self._phase

    def cancel(self) -> None:
        """Stop: the worker finishes its current inference batch, then exits; the partial record is kept."""
        if self._cancel_requested_at is None and not self.finished:
            self._cancel.set()
            self._cancel_requested_at = time.monotonic()
            self.builder.cancelled()

    # -- event pump ------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[RunEvent]:
        if self.finished or self._conn is None:
            return []
        if self._ending_since is not None:
            return self._finish_when_exited(timeout)
        events: list[RunEvent] = []
        deadline = time.monotonic() + timeout
        while len(events) < MAX_MESSAGES_PER_POLL:
            wait = max(0.0, deadline - time.monotonic()) if not events else 0.0
            try:
                if not self._conn.poll(wait):
                    break
                msg = self._conn.recv()
            except (EOFError, OSError):
                events.extend(self._on_worker_gone())
                return events
            self._last_progress = time.monotonic()
            events.extend(self._handle(msg))
            if self._ending_since is not None:
                return events + self._finish_when_exited(0.0)
        events.extend(self._check_health())
        return events

    def wait(self, on_event=None, tick: float = 0.1) -> dict:
        """Block until the run ends (CLI). `on_event` sees every event."""
        while not self.finished:
            for ev in self.poll(tick):
                if on_event:
                    on_event(ev)
        return self.record  # type: ignore[return-value]

    def _handle(self, msg: tuple) -> list[RunEvent]:
        kind = msg[0]
        b = self.builder
        if kind == "lat":
            starts, durations = np.asarray(msg[1], np.int64), np.asarray(msg[2], np.int64)
            b.add_latencies(starts, durations)
            return [RunEvent("lat", {"starts_ns": starts, "durations_ns": durations})]
        if kind == "started":
            self._phase = msg[1]
            return [RunEvent("started", {"phase": msg[1], "t_ns": msg[2]})]
        if kind == "phase":
            b.phase(msg[1], msg[2], msg[3], msg[4])
            return [RunEvent("phase", {"phase": msg[1], "t0_ns": msg[2], "t1_ns": msg[3], **msg[4]})]
        if kind in ("session", "inputs", "model", "output_check", "steady"):
            getattr(b, f"set_{kind}")(msg[1])
            return [RunEvent(kind, {"value": msg[1]})]
        if kind == "error":
            b.failed(msg[1], msg[2], msg[3], phase=self._phase)
            self._ending_since = time.monotonic()
            return [RunEvent("error", {"message": msg[1], "hint": msg[2], "kind": msg[3]})]
        if kind == "done":
            self._ending_since = time.monotonic()
        return []

    def _finish_when_exited(self, timeout: float) -> list[RunEvent]:
        """The worker has reported its end; build the record once it has exited.

        Never blocks longer than `timeout`, so a GUI timer tick stays short while
        the worker tears down its runtimes.
        """
        self._proc.join(timeout)
        if self._proc.is_alive() and time.monotonic() - self._ending_since < CANCEL_GRACE_S:
            return []
        return [self._end()]

    def _on_worker_gone(self) -> list[RunEvent]:
        """The pipe closed without 'done': the worker crashed (signal or exit code)."""
        self._proc.join(timeout=1.0)
        code = self._proc.exitcode
        if code is not None and code < 0:
            try:
                cause = f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                cause = f"killed by signal {-code}"
        else:
            cause = f"exited with code {code}"
        self.builder.failed(f"the inference worker {cause} during phase '{self._phase}'.",
                            "A runtime or driver crashed; the partial results are kept. "
                            "Try another target or update the driver.", "WorkerCrashed", phase=self._phase)
        return [RunEvent("error", {"message": self.builder.record.error.message, "kind": "WorkerCrashed"}),
                self._end()]

    def _check_health(self) -> list[RunEvent]:
        now = time.monotonic()
        if self._cancel_requested_at is not None and now - self._cancel_requested_at > CANCEL_GRACE_S:
            self._kill()
            return [self._end()]
        if now - self._last_progress > self.spec.stall_timeout_s:
            self._kill()
            self.builder.failed(
                f"no progress for {self.spec.stall_timeout_s:g} s during phase '{self._phase}'; the worker was stopped.",
                "The runtime may be hung compiling or running; raise --timeout for very large models.",
                "Timeout", phase=self._phase)
            return [RunEvent("error", {"message": self.builder.record.error.message, "kind": "Timeout"}),
                    self._end()]
        return []

    def _kill(self) -> None:
        if self._proc and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=2)

    def _end(self) -> RunEvent:
        self._kill()  # no-op when the worker already exited
        if self._conn is not None:
            self._conn.close()
        self.record = self.builder.finish(self.sampler)
        return RunEvent("ended", {"record": self.record})

    def close(self) -> None:
        """Make sure no worker outlives its owner (window closed mid-run)."""
        if not self.finished:
            self.cancel()
            self._kill()
            if self.record is None:
                self.record = self.builder.finish(self.sampler)
