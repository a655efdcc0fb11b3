"""Throughput mode on ONNX Runtime: N requests in flight, one Python thread each.

`InferenceSession.run` releases the GIL, and ONNX Runtime allows concurrent `run`
calls on one session, so by default every thread runs on the one session
(`Concurrency.THREADS_ONE_SESSION`). EPs that execute one inference at a time per
session get one session per request instead (`SESSION_PER_REQUEST`), so the
requests really overlap; each extra session is opened, and run once, while
compiling, so its set-up never lands in the measured window.

ONNX Runtime has no "optimal number of requests". Without --requests the CPU EP
gets one request per physical core with one intra-op thread each (what OpenVINO's
THROUGHPUT hint does with streams); other EPs get DEFAULT_REQUESTS and keep the
runtime's threads. The record says which.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import psutil

from app.common.modes import Concurrency
from app.engines.base import SessionSettings
from app.engines.ort_options import CPU, DML, QNN
from app.engines.requests import RequestPoolInfo, ThreadedPool

if TYPE_CHECKING:
    from app.common.targets import Target
    from app.engines.onnxruntime_engine import OrtSession

DEFAULT_REQUESTS = 2  # accelerator EPs without --requests: one running, one being handed over
# EPs that run one inference at a time per session, and why (the reason is recorded).
SESSION_PER_REQUEST = {
    QNN: "the QNN EP runs one graph execution at a time per session (a lock around graphExecute)",
    DML: "DirectML serialises concurrent runs on one session; parallel requests need a session each",
}


def physical_cores() -> int:
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


def throughput_settings(target: Target, settings: SessionSettings) -> tuple[SessionSettings, str]:
    """(settings with `requests` and, for the CPU EP, `threads` decided; where the request count came from)."""
    if settings.requests:
        requests, source = settings.requests, "--requests"
    elif target.provider == CPU:
        requests = physical_cores()
        source = f"default: one per physical core ({requests}); ONNX Runtime has no optimal number"
    else:
        requests, source = DEFAULT_REQUESTS, f"default: {DEFAULT_REQUESTS}; ONNX Runtime has no optimal number"
    threads = settings.threads
    if threads is None and target.provider == CPU:
        threads = max(1, physical_cores() // requests)  # the cores shared out between the requests
    return dataclasses.replace(settings, requests=requests, threads=threads), source


def request_pool(session: OrtSession, feeds: dict[str, np.ndarray], io_binding: bool) -> ThreadedPool:
    """The requests of a throughput run on `session` (opened with throughput_settings)."""
    from app.engines.onnxruntime_engine import OnnxRuntimeEngine  # noqa: PLC0415 - the engine imports this module

    requests = session.settings.requests or 1
    why = SESSION_PER_REQUEST.get(session.target.provider)
    sessions = [session]
    if why:
        engine = OnnxRuntimeEngine()
        for _ in range(requests - 1):
            extra = engine.open(session.model_path, session.target, session.settings)
            extra.run(feeds)  # its first inference, outside the measured window
            sessions.append(extra)
    runners = [s.make_runner(feeds, io_binding) for s in (sessions if why else [session] * requests)]
    threads = session.settings.threads
    settings = {"intra_op_num_threads": str(threads) if threads else "runtime default",
                "sessions": str(len(sessions)), "io_binding": str(io_binding).lower()}
    if why:
        settings["session_per_request_because"] = why
    info = RequestPoolInfo(
        concurrency=Concurrency.SESSION_PER_REQUEST if why else Concurrency.THREADS_ONE_SESSION,
        requests=requests, requests_source=session.requests_source, streams=None, threads=threads,
        engine_settings=settings)
    return ThreadedPool(runners, info, keep=sessions[1:])
