"""RecordBuilder: fills the typed run record as the worker's stream arrives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from app import __version__
from app.common.errors import ErrorKind
from app.record.conditions import Conditions, QuietCheck
from app.record.schema import (
    Accuracy,
    Energy,
    HostInfo,
    InputInfo,
    LatencyStats,
    ModelInfo,
    OpProfile,
    OutputCheck,
    Phase,
    PhaseTiming,
    Placement,
    RunError,
    RunMode,
    RunRecord,
    RunStatus,
    SessionInfo,
    SteadyState,
    Sustained,
    TargetInfo,
    Telemetry,
    Throughput,
    ToolInfo,
    WarningKind,
)
from app.record.typed import to_json
from app.run import native_log
from app.run.genai_build import GenAICollector
from app.run.host import host_info, versions
from app.run.latency_store import LatencyStore
from app.run.runspec import RunSpec
from app.run.stats import downsample_latencies
from app.run.throughput import finish_throughput


class RecordBuilder:
    def __init__(self, spec: RunSpec, target=None) -> None:
        self.spec = spec
        target_json = target.to_dict() if target is not None else {"id": spec.target_id}
        self.record = RunRecord(
            worker_log=spec.log_path,
            target=TargetInfo.from_json(target_json),
            tool=ToolInfo("aipcprof", __version__),
            created_utc=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            status=RunStatus.RUNNING,
            host=HostInfo.from_json(to_json(host_info())),
            versions=versions(),
            model=ModelInfo(path=spec.model_path),
            settings=spec.settings_only(),
        )
        self._t0_ns: int | None = None  # start of the first measured inference
        self._end_ns: int | None = None  # end of the last measured inference (throughput: the window's end)
        self.latencies = LatencyStore(expected=spec.iterations)  # None for a timed run: room for exact_limit
        self._cancelled = False
        self._quiet: QuietCheck | None = None  # --quiet-check's result
        self.genai = GenAICollector()  # a generative model's generations (app.run.genai_build)

    # -- stream handlers -------------------------------------------------
    def started(self, pid: int) -> None:
        self.record.worker_pid = pid

    def phase(self, name: Phase, t0_ns: int, t1_ns: int, extra: dict) -> None:
        self.record.phases[Phase(name).value] = PhaseTiming(
            seconds=(t1_ns - t0_ns) / 1e9, t0_ns=t0_ns, t1_ns=t1_ns, count=extra.get("count"))

    def add_latencies(self, starts_ns: np.ndarray, durations_ns: np.ndarray) -> None:
        if not len(starts_ns):
            return
        if self._t0_ns is None:
            self._t0_ns = int(starts_ns[0])
        self.latencies.add((starts_ns - self._t0_ns) / 1e9, durations_ns / 1e9)
        end = int((starts_ns + durations_ns).max())
        self._end_ns = end if self._end_ns is None else max(self._end_ns, end)

    def set_inputs(self, inputs: list[InputInfo]) -> None:
        self.record.inputs = list(inputs)
        _input_warnings(self.record)

    def set_model(self, model: ModelInfo) -> None:
        self.record.model = dataclasses.replace(model, path=model.path or self.record.model.path)

    def set_session(self, session: SessionInfo, placement: Placement | None) -> None:
        self.record.placement = placement
        self.record.precision = session.precision or None
        self.record.session = session
        for note in session.notes:
            self.record.warn(WarningKind.ENGINE_NOTE, note)

    def set_throughput(self, setup: Throughput) -> None:
        self.record.throughput = setup

    def set_steady(self, steady: SteadyState) -> None:
        self.record.steady_state = steady

    def set_conditions(self, conditions: Conditions) -> None:
        self.record.conditions = conditions

    def set_quiet_check(self, quiet: QuietCheck) -> None:
        self._quiet = quiet

    def set_output_check(self, check: OutputCheck) -> None:
        self.record.output_check = check

    def set_op_profile(self, profile: OpProfile) -> None:
        self.record.op_profile = profile

    def set_accuracy(self, accuracy: Accuracy) -> None:
        self.record.accuracy = accuracy

    def cancelled(self) -> None:
        self._cancelled = True

    def failed(self, message: str, hint: str, kind: ErrorKind, *, phase: Phase, detail: str = "") -> None:
        self.record.error = RunError(message=message, hint=hint, kind=kind, phase=Phase(phase).value, detail=detail)

    # -- final -----------------------------------------------------------
    def finish(self, sampler=None) -> RunRecord:
        r = self.record
        r.latency = _latency_section(self.latencies, self._t0_ns)
        count = self.latencies.count
        finish_throughput(r, self._t0_ns, self._end_ns)
        r.status = RunStatus.FAILED if r.error else (RunStatus.CANCELLED if self._cancelled else RunStatus.COMPLETED)
        if self.spec.until_steady and r.steady_state is None and r.status is RunStatus.COMPLETED:
            r.steady_state = SteadyState(reached=False, rel_ci=self.spec.until_steady)
            r.warn(WarningKind.NOT_STEADY, f"the p50 did not settle to ±{self.spec.until_steady:.1%} before the "
                                           f"iteration/duration limit; raise --duration.")
        r.sustained = _sustained(r)
        if self._cancelled and not r.error:
            r.warn(WarningKind.CANCELLED, f"cancelled by the user after {count} measured inferences; "
                                          f"partial results.")
        self._telemetry(sampler, count)
        r.genai = self.genai.finish(sampler, r.device_type)
        _conditions(r, self._quiet)
        r.worker_log = native_log.kept(r.worker_log)
        _placement_warnings(r)
        _output_warnings(r)
        _op_profile_gap(r)
        return r

    def _telemetry(self, sampler, count: int) -> None:
        r = self.record
        if sampler is None:
            r.telemetry = Telemetry(available=False, reason="no sampler attached to this run")
            return
        measure = r.phase(Phase.MEASURE)
        if measure:
            t0, t1 = measure.t0_ns, measure.t1_ns
        elif count:
            durations, offsets = self.latencies.series()
            t0 = self._t0_ns
            t1 = t0 + int((offsets[-1] + durations[-1]) * 1e9)
        else:
            t0 = t1 = 0
        try:
            telemetry, energy = sampler.record_section(t0, t1, count, r.device_type)
            r.telemetry = Telemetry.from_json(to_json(telemetry), "telemetry")
            r.energy = Energy.from_json(to_json(energy), "energy")
        except Exception as e:  # telemetry must never cost the user their run record
            r.telemetry = Telemetry(available=False, reason=f"telemetry summary failed: {e}")


def _conditions(r: RunRecord, quiet: QuietCheck | None) -> None:
    """Temperatures at both ends of the window and a warning per crossed threshold (app.run.conditions)."""
    from app.run import conditions

    try:
        conditions.finish(r, quiet)
    except Exception as e:  # the conditions must never cost the user their record
        r.warn(WarningKind.OTHER, f"measurement conditions could not be judged: {e.__class__.__name__}: {e}")


def _op_profile_gap(r: RunRecord) -> None:
    """--op-profile: the gap to the timed p50; a run that ended before the profiling pass says so."""
    from app.record.ops import set_gap

    if r.op_profile is not None:
        set_gap(r.op_profile, r.latency.p50)
        if r.op_profile.available and r.settings.mode is RunMode.THROUGHPUT:
            r.op_profile.notes.append("the operators were profiled one request at a time; the timed p50 is per "
                                      "request with several in flight, so the gap includes the queueing")
    elif r.settings.op_profile:
        r.op_profile = OpProfile(available=False, reason=f"the run ended ({r.status.value}) before the "
                                                         f"operator-profile pass")


def _sustained(r: RunRecord) -> Sustained | None:
    """Latency drift over the run (and throttling onset when telemetry shows it)."""
    from app.run.sustained import analyse_record

    if not r.measured:
        return None
    try:
        return analyse_record(r).to_section()
    except Exception as e:  # analysis must never cost the user their record
        return Sustained(error=f"{e.__class__.__name__}: {e}")


def _latency_section(store: LatencyStore, t0_ns: int | None) -> LatencyStats:
    durations, offsets = store.series()
    stats = store.stats()
    if not store.bounded:  # exact: raw values, or a spike-keeping downsample of them for the file
        durations, stride = downsample_latencies(durations)
        offsets = offsets[::stride][: durations.size]
    else:
        stride = store.stride
    method = "log histogram, 0.1% bins (run longer than the exact-sample limit)" if store.bounded else None
    lat = LatencyStats.from_json(to_json({"unit": "s", **stats}), "latency")
    lat.samples = np.asarray(durations, dtype=np.float64)
    lat.offsets = np.asarray(offsets, dtype=np.float64)
    lat.samples_stride, lat.t0_ns, lat.percentile_method = int(stride), t0_ns, method
    return lat


def _placement_warnings(r: RunRecord) -> None:
    p = r.placement
    if p is None or p.accelerator_share is None or p.on_cpu_by_design:
        return
    acc, total, on = p.accelerator, p.total_nodes, p.accelerator_nodes
    if on == 0:
        r.warn(WarningKind.NOTHING_ON_ACCELERATOR, f"NOTHING RAN ON {acc}: 0 of {total} nodes were placed there; "
                                                   f"this run measured the CPU fallback.", first=True)
    elif p.accelerator_share < 1.0:
        r.warn(WarningKind.PARTIAL_FALLBACK, f"{total - on} of {total} nodes fell back from {acc} to other "
                                             f"providers ({p.accelerator_share:.0%} on the accelerator).")


def _input_warnings(r: RunRecord) -> None:
    """Guessed dims first and loud: a run at a made-up size measures a different workload."""
    guessed = [i.dim_label(a) for i in r.inputs for a in i.guessed]
    if guessed:
        r.warn(WarningKind.GUESSED_SHAPE, f"guessed: {', '.join(guessed)} — set them for your real input size.",
               first=True)
    for i in r.inputs:
        if i.unit_sides:
            sides = ", ".join(i.dim_label(a) for a in i.unit_sides)
            r.warn(WarningKind.SUSPICIOUS_SHAPE, f"input '{i.name}' is an image with a side of 1 ({sides}); "
                                                 f"real images are larger, so these timings say little about them.")


def _output_warnings(r: RunRecord) -> None:
    for out in r.output_check.outputs if r.output_check else []:
        if not out.ok:
            cos = out.cosine_similarity
            detail = f"cosine {cos:.4f}" if cos is not None and math.isfinite(cos) else (out.problem or "")
            r.warn(WarningKind.OUTPUT_MISMATCH, f"output '{out.name}' differs from the CPU reference ({detail}).")
