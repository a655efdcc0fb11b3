"""How a run feeds the engine: the run mode, and how a throughput run keeps requests in flight.

Shared by the record (app.record.schema), the engines (which say how they ran the
requests) and the front ends; here because every layer may import `app.common`.
"""

from __future__ import annotations

import enum


class RunMode(str, enum.Enum):
    """How the measured loop feeds the engine (`run --mode`)."""

    LATENCY = "latency"  # one request at a time: each inference's latency, nothing queued behind it
    THROUGHPUT = "throughput"  # several requests in flight: inferences per second under load

    def __str__(self) -> str:  # "throughput", not "RunMode.THROUGHPUT" (argparse choices, f-strings)
        return self.value

    __format__ = str.__format__


class Concurrency(str, enum.Enum):
    """How a throughput run kept its requests in flight (recorded: the figures depend on it)."""

    ASYNC_QUEUE = "async_infer_queue"  # native OpenVINO: AsyncInferQueue of InferRequests on one compiled model
    THREADS_ONE_SESSION = "threads_one_session"  # ONNX Runtime: one thread per request, all on one session
    SESSION_PER_REQUEST = "session_per_request"  # ONNX Runtime: one thread and one session per request

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Concurrency.ASYNC_QUEUE: "OpenVINO AsyncInferQueue",
    Concurrency.THREADS_ONE_SESSION: "threads on one session",
    Concurrency.SESSION_PER_REQUEST: "one session per request",
}
