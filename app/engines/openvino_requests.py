"""Throughput mode on native OpenVINO: an AsyncInferQueue on the compiled model.

The queue holds `requests` InferRequests (OPTIMAL_NUMBER_OF_INFER_REQUESTS, or
--requests), each with the inputs set once as tensors sharing the feeds' memory.
The loop is benchmark_app's: wait for an idle request, start it; a request's
latency is the one OpenVINO measured for it (start_async to completion), so no
Python callback runs per inference.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import openvino as ov

from app.common.modes import Concurrency
from app.engines.requests import Done, RequestPool, RequestPoolInfo, Take

OPTIMAL = "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
# Properties read back after compiling: what the device really runs with (not every device has each).
REPORTED = ("PERFORMANCE_HINT", "PERFORMANCE_HINT_NUM_REQUESTS", "NUM_STREAMS", "INFERENCE_NUM_THREADS", OPTIMAL,
            "INFERENCE_PRECISION_HINT", "ENABLE_CPU_PINNING", "SCHEDULING_CORE_TYPE", "ENABLE_HYPER_THREADING")


def reported_settings(compiled: Any) -> dict[str, str]:
    out = {}
    for key in REPORTED:
        try:
            out[key] = _text(compiled.get_property(key))
        except Exception:  # noqa: BLE001 - the device does not have this property
            continue
    return out


def _text(value: Any) -> str:
    """A property as OpenVINO spells it: 'bf16' for an element type, 'ANY_CORE' for an enum member."""
    if isinstance(value, ov.Type):
        return value.get_type_name()
    name = getattr(value, "name", None)
    return name if isinstance(name, str) and not isinstance(value, str) else str(value)


def _as_int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:  # NUM_STREAMS may read "AUTO" on some devices
        return None


class AsyncQueuePool(RequestPool):
    def __init__(self, compiled: Any, feeds: dict[str, np.ndarray], requests: int | None) -> None:
        settings = reported_settings(compiled)
        if requests is None:
            count, source = _as_int(settings.get(OPTIMAL)) or 1, OPTIMAL
        else:
            count, source = requests, "--requests"
        self.queue = ov.AsyncInferQueue(compiled, count)
        self._keep = [np.require(array, requirements="C") for array in feeds.values()]
        for i in range(len(self.queue)):
            request = self.queue[i]
            for name, data in zip(feeds, self._keep):
                request.set_tensor(name, ov.Tensor(data, shared_memory=True))
        self.info = RequestPoolInfo(
            concurrency=Concurrency.ASYNC_QUEUE, requests=count, requests_source=source,
            streams=_as_int(settings.get("NUM_STREAMS")), threads=_as_int(settings.get("INFERENCE_NUM_THREADS")),
            engine_settings=settings)

    def run(self, take: Take, done: Done) -> None:
        queue, clock = self.queue, time.perf_counter_ns
        started: dict[int, int] = {}  # request id -> start of its inference in flight
        try:
            while take():
                idle = queue.get_idle_request_id()
                if idle in started:  # it finished: OpenVINO measured its latency (ms)
                    done(started[idle], started[idle] + int(queue[idle].latency * 1e6))
                started[idle] = clock()
                queue.start_async()
        finally:
            queue.wait_all()
        for rid, start in started.items():
            done(start, start + int(queue[rid].latency * 1e6))

    def close(self) -> None:
        self.queue = None
        self._keep.clear()
