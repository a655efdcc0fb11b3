"""Throughput mode, the engine's side: several requests in flight on one model.

A `RequestPool` keeps `info.requests` requests running until `take()` says no more,
and reports each completed request as `done(start_ns, end_ns)` (perf_counter ns),
from whatever thread completed it. How the requests are kept in flight depends on
the engine and is recorded (`Concurrency`):

* native OpenVINO: one `AsyncInferQueue` on the compiled model (app.engines.openvino_requests);
* ONNX Runtime: one Python thread per request, all on one session (`InferenceSession.run`
  releases the GIL), or one session per request for EPs that run one inference at a
  time per session (app.engines.ort_requests). `ThreadedPool` below is both.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.common.modes import Concurrency

Take = Callable[[], bool]  # may one more request start? (thread-safe: counts the budget down)
Done = Callable[[int, int], None]  # a request finished: (start_ns, end_ns)


@dataclass
class RequestPoolInfo:
    """How the requests run: recorded in the run's `throughput` section."""

    concurrency: Concurrency
    requests: int
    requests_source: str  # "--requests", "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "default: ..."
    streams: int | None = None
    threads: int | None = None
    engine_settings: dict[str, str] = field(default_factory=dict)


class RequestPool(ABC):
    info: RequestPoolInfo

    @abstractmethod
    def run(self, take: Take, done: Done) -> None:
        """Keep the requests in flight while `take()` allows; return once every started request has finished.

        An inference error stops the pool and is raised here (after the requests in flight have finished).
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class ThreadedPool(RequestPool):
    """One thread per request, each running its own zero-argument runner in a loop."""

    def __init__(self, runners: list[Callable[[], Any]], info: RequestPoolInfo, keep: list[Any] | None = None) -> None:
        self.runners = runners
        self.info = info
        self._keep = keep or []  # sessions the runners belong to (session per request)

    def run(self, take: Take, done: Done) -> None:
        errors: list[BaseException] = []
        # Every thread is running before any starts a request: otherwise, with a short inference, the first
        # thread could spend the whole budget before the last one is even scheduled (nothing in flight together).
        ready = threading.Barrier(len(self.runners))

        def loop(runner: Callable[[], Any]) -> None:
            clock = time.perf_counter_ns
            try:
                ready.wait()
                while not errors and take():
                    start = clock()
                    runner()
                    done(start, clock())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller of run()
                errors.append(exc)

        threads = [threading.Thread(target=loop, args=(r,), name=f"aipcprof-request-{i}", daemon=True)
                   for i, r in enumerate(self.runners)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        for session in self._keep:
            session.close()
        self._keep.clear()
        self.runners.clear()
