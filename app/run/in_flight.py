"""Throughput mode, the worker's side: drive a RequestPool and stream what completes.

The pool (app.engines.requests) runs in a thread of its own; this thread wakes every
`batch_s`, takes the requests completed since (sorted by start) and hands them on as
one batch, exactly as the latency loop streams its `LatencyBatch`es, so the parent,
the record and the live charts see the same stream in both modes. A `Budget` says
whether one more request may start: a count (--iterations), a deadline (--duration),
or a stop (cancel, --until-steady); requests already in flight always finish and count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.engines.requests import RequestPool

OnBatch = Callable[[list[int], list[int]], bool]  # (starts_ns, durations_ns) -> stop now?


class Budget:
    """How many more requests may start, until when; thread-safe (the pool's threads all ask)."""

    def __init__(self, count: int | None, deadline_ns: int | None = None) -> None:
        self._left = count
        self._deadline = deadline_ns
        self._stopped = False
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._stopped or (self._deadline is not None and time.perf_counter_ns() >= self._deadline):
            return False
        if self._left is None:
            return True
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True

    def stop(self) -> None:
        self._stopped = True


class Completions:
    """Completed requests, collected from any thread and drained in batches."""

    def __init__(self) -> None:
        self._done: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def add(self, start_ns: int, end_ns: int) -> None:
        with self._lock:
            self._done.append((start_ns, end_ns))

    def drain(self) -> tuple[list[int], list[int]]:
        """(starts, durations) of what completed since the last drain, in start order."""
        with self._lock:
            done, self._done = self._done, []
        done.sort()
        return [s for s, _ in done], [e - s for s, e in done]


def drive(pool: RequestPool, budget: Budget, on_batch: OnBatch, batch_s: float) -> None:
    """Run the pool until the budget is spent, calling `on_batch` every `batch_s`; the pool's error is raised here."""
    sink = Completions()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pool.run(budget.take, sink.add)
        except BaseException as exc:  # noqa: BLE001 - raised in the worker's thread below
            errors.append(exc)

    thread = threading.Thread(target=run, name="aipcprof-requests", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(batch_s)
        _hand_on(sink, budget, on_batch)
    _hand_on(sink, budget, on_batch)
    if errors:
        raise errors[0]


def _hand_on(sink: Completions, budget: Budget, on_batch: OnBatch) -> None:
    starts, durations = sink.drain()
    if starts and on_batch(starts, durations):
        budget.stop()


def warm_up(pool: RequestPool, count: int, stop: Callable[[], bool], batch_s: float) -> None:
    """`count` inferences through every request of the pool, not measured; `stop()` ends it early (cancel)."""
    if count > 0:
        drive(pool, Budget(count), lambda _starts, _durations: stop(), batch_s)


def measure(pool: RequestPool, iterations: int | None, duration_s: float | None, on_batch: OnBatch,
            batch_s: float) -> None:
    """The measured window: `iterations` requests, or as many as start within `duration_s`."""
    deadline = None if duration_s is None else time.perf_counter_ns() + int(duration_s * 1e9)
    drive(pool, Budget(iterations, deadline), on_batch, batch_s)
