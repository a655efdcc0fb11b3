"""ONNX Runtime's profiler switched on for a profiling session (--op-profile), and its files handed over.

Any EP: `SessionOptions.enable_profiling` with `profile_file_prefix` in the run's profile folder;
`InferenceSession.end_profiling()` writes the Chrome-trace JSON and returns its path. The QNN EP adds
its own per-op profile: provider options `profiling_level=detailed` and `profiling_file_path` (a CSV).
The options are added after the EP context cache is planned, so profiling never changes the cache key.
"""

from __future__ import annotations

import os
from typing import Any

from app.engines.base import RawProfile, SessionSettings
from app.engines.ort_options import QNN

ENGINE = "onnxruntime"
QNN_CSV = "qnn_profile.csv"
# Keys the user may set themselves (e.g. optrace where the SDK has it); ours fill only what is missing.
QNN_LEVEL, QNN_FILE = "profiling_level", "profiling_file_path"


def ep_options(provider: str, options: dict[str, str], settings: SessionSettings) -> dict[str, str]:
    """The EP's options for a profiling session (unchanged when this is not one)."""
    if not settings.profile_dir or provider != QNN:
        return options
    return {QNN_LEVEL: "detailed", QNN_FILE: os.path.join(settings.profile_dir, QNN_CSV), **options}


def enable(so: Any, settings: SessionSettings) -> None:
    """Switch the session's profiler on (a profiling session only)."""
    if settings.profile_dir:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(settings.profile_dir, "ort_trace")


def end(sess: Any, accelerator: str, options: dict[str, str]) -> RawProfile:
    """Stop profiling: the trace's path, the EP's CSV if it wrote one, and the accelerator's subgraphs."""
    trace = sess.end_profiling()
    csv_path = options.get(QNN_FILE)
    notes = []
    if csv_path and not os.path.isfile(csv_path):
        notes.append(f"the QNN EP wrote no profiling CSV ({csv_path})")
        csv_path = None
    return RawProfile(engine=ENGINE, trace_path=trace or None, ep_csv_path=csv_path,
                      partitions=partitions(sess, accelerator), notes=notes)


def partitions(sess: Any, accelerator: str) -> list[list[tuple[str, str]]]:
    """The nodes of each subgraph ORT assigned to `accelerator`, as (name, op type); [] if it cannot say."""
    try:
        subgraphs = sess.get_provider_graph_assignment_info()
    except Exception:  # noqa: BLE001 - an ORT without assignment info: no member lists, said in the profile
        return []
    return [[(n.name, n.op_type) for n in sg.get_nodes()] for sg in subgraphs if sg.ep_name == accelerator]
