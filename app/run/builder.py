"""RecordBuilder: fills the run record as the worker's stream arrives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from app import __version__
from app.common.errors import ErrorKind
from app.record import io as rec
from app.run.host import host_info, versions
from app.run.latency_store import LatencyStore
from app.run.messages import Phase
from app.run.runspec import RunSpec
from app.run.stats import downsample_latencies


class RecordBuilder:
    def __init__(self, spec: RunSpec, target=None) -> None:
        self.spec = spec
        self.record = rec.new_record()
        r = self.record
        r["tool"] = {"name": "aipcprof", "version": __version__}
        r["created_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        r["status"] = "running"
        r["host"] = host_info()
        r["versions"] = versions()
        r["model"] = {"path": spec.model_path}
        r["target"] = target.to_dict() if target is not None else {"id": spec.target_id}
        r["settings"] = {k: v for k, v in spec.to_dict().items() if k != "model_path"}
        r["phases"] = {}
        self._t0_ns: int | None = None  # start of the first measured inference
        self.latencies = LatencyStore()
        self._cancelled = False

    # -- stream handlers -------------------------------------------------
    def started(self, pid: int) -> None:
        self.record["worker_pid"] = pid

    def phase(self, name: Phase, t0_ns: int, t1_ns: int, extra: dict) -> None:
        self.record["phases"][name.value] = {"seconds": (t1_ns - t0_ns) / 1e9, "t0_ns": t0_ns, "t1_ns": t1_ns, **extra}

    def add_latencies(self, starts_ns: np.ndarray, durations_ns: np.ndarray) -> None:
        if not len(starts_ns):
            return
        if self._t0_ns is None:
            self._t0_ns = int(starts_ns[0])
        self.latencies.add((starts_ns - self._t0_ns) / 1e9, durations_ns / 1e9)

    def set_inputs(self, value: list) -> None:
        self.record["inputs"] = value

    def set_model(self, value: dict) -> None:
        self.record["model"].update(value)

    def set_session(self, value: dict) -> None:
        self.record["placement"] = value.pop("placement", None)
        self.record["precision"] = value.get("precision") or None
        self.record["session"] = value
        self.record["warnings"].extend(value.get("notes", []))

    def set_steady(self, value: dict) -> None:
        self.record["steady_state"] = value

    def set_output_check(self, value: dict) -> None:
        self.record["output_check"] = value

    def cancelled(self) -> None:
        self._cancelled = True

    def failed(self, message: str, hint: str, kind: ErrorKind, *, phase: Phase, detail: str = "") -> None:
        self.record["error"] = {"message": message, "hint": hint, "kind": kind.value, "phase": phase.value,
                                "detail": detail}

    # -- final -----------------------------------------------------------
    def finish(self, sampler=None) -> dict:
        r = self.record
        r["latency"] = _latency_section(self.latencies, self._t0_ns)
        count = self.latencies.count
        r["status"] = "failed" if r["error"] else ("cancelled" if self._cancelled else "completed")
        if self.spec.until_steady and not r.get("steady_state") and r["status"] == "completed":
            r["steady_state"] = {"reached": False, "rel_ci": self.spec.until_steady}
            r["warnings"].append(f"the p50 did not settle to ±{self.spec.until_steady:.1%} before the "
                                 f"iteration/duration limit; raise --duration.")
        r["sustained"] = _sustained(r)
        if self._cancelled and not r["error"]:
            r["warnings"].append(f"cancelled by the user after {count} measured inferences; partial results.")
        self._telemetry(sampler, count)
        _placement_warnings(r)
        _output_warnings(r)
        return r

    def _telemetry(self, sampler, count: int) -> None:
        r = self.record
        if sampler is None:
            r["telemetry"] = {"available": False, "reason": "no sampler attached to this run"}
            return
        measure = r["phases"].get("measure")
        if measure:
            t0, t1 = measure["t0_ns"], measure["t1_ns"]
        elif count:
            durations, offsets = self.latencies.series()
            t0 = self._t0_ns
            t1 = t0 + int((offsets[-1] + durations[-1]) * 1e9)
        else:
            t0 = t1 = 0
        try:
            r["telemetry"], r["energy"] = sampler.record_section(t0, t1, count,
                                                                 str(r["target"].get("device_type", "CPU")))
        except Exception as e:  # telemetry must never cost the user their run record
            r["telemetry"] = {"available": False, "reason": f"telemetry summary failed: {e}"}


def _sustained(r: dict) -> dict | None:
    """Latency drift over the run (and throttling onset when telemetry shows it)."""
    from app.run.sustained import analyse_record

    lat = r.get("latency") or {}
    if not lat.get("count"):
        return None
    view = {**r, "latency": {**lat, "samples": np.asarray(lat["samples"]).tolist(),
                             "offsets": np.asarray(lat["offsets"]).tolist()}}
    try:
        a = analyse_record(view)
    except Exception as e:  # analysis must never cost the user their record
        return {"error": f"{e.__class__.__name__}: {e}"}
    return {
        "drift": a["drift"],  # last window's p50 over the first's, minus 1
        "onset": dataclasses.asdict(a["onset"]) if a["onset"] else None,
        "p50_ci": list(a["p50_ci"]),
        "steady_at_end": bool(a["steady"]),
        "windows": [dataclasses.asdict(w) for w in a["windows"]],
    }


def _latency_section(store: LatencyStore, t0_ns: int | None) -> dict:
    durations, offsets = store.series()
    stats = store.stats()
    if not store.bounded:  # exact: raw values, or a spike-keeping downsample of them for the file
        durations, stride = downsample_latencies(durations)
        offsets = offsets[::stride][: durations.size]
    else:
        stride = store.stride
    out = {"unit": "s", **stats, "samples": durations, "offsets": offsets, "samples_stride": stride, "t0_ns": t0_ns}
    if store.bounded:
        out["percentile_method"] = "log histogram, 0.1% bins (run longer than the exact-sample limit)"
    return out


def _placement_warnings(r: dict) -> None:
    p = r.get("placement")
    if not p:
        return
    share = p.get("accelerator_share")
    acc, total, on = p.get("accelerator"), p.get("total_nodes"), p.get("accelerator_nodes")
    if share is None or acc == "CPUExecutionProvider" or str(acc).upper() == "CPU":
        return
    if on == 0:
        r["warnings"].insert(0, f"NOTHING RAN ON {acc}: 0 of {total} nodes were placed there; "
                                f"this run measured the CPU fallback.")
    elif share < 1.0:
        r["warnings"].append(f"{total - on} of {total} nodes fell back from {acc} to other providers "
                             f"({share:.0%} on the accelerator).")


def _output_warnings(r: dict) -> None:
    oc = r.get("output_check") or {}
    for out in oc.get("outputs", []):
        if not out.get("ok", True):
            cos = out.get("cosine_similarity")
            detail = f"cosine {cos:.4f}" if isinstance(cos, float) and math.isfinite(cos) else out.get("problem", "")
            r["warnings"].append(f"output '{out['name']}' differs from the CPU reference ({detail}).")
