"""RunController: owns the ProfileRun(s) and the sampler; one QTimer pulls both.

The worker process streams latency batches; the sampler thread queues
telemetry. Neither talks to Qt. A single 40 Hz timer drains both into the
LiveData ring buffers and emits `ticked` once per tick (never one signal per
sample or per inference); the charts redraw on that.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.common.errors import ErrorKind
from app.record.schema import Phase, RunRecord
from app.views.live_data import LiveData

if TYPE_CHECKING:
    from app.record.history import HistoryEntry

SAVE_DELAY_MS = 400  # the history save (JSON of a big record: ~0.3 s of CPU, GIL-bound) waits for the end-of-run
# drawing (results, fitted charts): a thread encoding JSON meanwhile slows every Qt call of the GUI thread
TICK_MS = 25  # 40 Hz: the worker sends a latency batch per ~25 ms, so the charts draw >= 30 frames/s
_PHASE_NAMES = {Phase.START: "Starting worker", Phase.LOAD: "Loading model", Phase.COMPILE: "Compiling",
                Phase.FIRST_INFERENCE: "First inference", Phase.SETTLE: "Waiting for a quiet machine",
                Phase.WARMUP: "Warming up", Phase.MEASURE: "Measuring",
                Phase.OUTPUT_CHECK: "Checking outputs vs CPU", Phase.OP_PROFILE: "Profiling operators",
                Phase.DATA: "Reading the data set", Phase.SCORE: "Scoring accuracy"}


class RunController(QObject):
    run_started = Signal(object)  # RunSpec
    phase_started = Signal(object)  # Phase
    run_finished = Signal(object)  # the run record (any status), an app.record.schema.RunRecord
    error_raised = Signal(str, str, object)  # message, hint, ErrorKind
    batch_finished = Signal(list)  # every record of one Run / Run on all targets (may be empty)
    ticked = Signal()
    record_saved = Signal(str)  # path of the run record just written
    run_stored = Signal(object)  # its history entry (app.record.history.HistoryEntry)

    def __init__(self, history, parent: QObject | None = None, jobs=None) -> None:
        super().__init__(parent)
        self.jobs = jobs  # a JobRunner for writing records off the GUI thread (None: write inline)
        self.live = LiveData()
        self.history = history  # an app.record.history.RunHistory, or None: runs are not kept
        self.run = None  # the ProfileRun in flight
        self.spec = None
        self.phase = Phase.START
        self.phase_t0 = 0.0  # monotonic, for "Compiling... 12 s"
        self.stopping = False
        self.last_record: dict | None = None
        self.last_record_path: str | None = None
        self.sampler = None
        self.sampler_error = ""
        self._queue: list[tuple] = []
        self._batch: list[dict] = []
        self._unsaved: list[RunRecord] = []  # ended runs whose history save waits for SAVE_DELAY_MS
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.tick_count = 0  # for the responsiveness benchmark
        self.settling = None  # the last RunSettling of --quiet-check (the run's other-process CPU share)

    # -- telemetry -------------------------------------------------------
    def start_sampler(self) -> None:
        """Start sampling (after the window is shown); a broken probe stack costs only telemetry."""
        if self.sampler is not None:
            return
        try:
            from app.probes.sampler import Sampler

            self.sampler = Sampler()
            self.sampler.start()
        except Exception as e:  # noqa: BLE001 - telemetry is never worth a crash
            self.sampler = None
            self.sampler_error = f"telemetry unavailable: {e.__class__.__name__}: {e}"
        if not self.timer.isActive():
            self.timer.start()

    def metric_status(self) -> dict:
        if self.sampler is None:
            return {}
        try:
            return dict(self.sampler.metric_status())
        except Exception:  # noqa: BLE001
            return {}

    # -- runs ------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.run is not None

    def start(self, jobs: list[tuple]) -> None:
        """Queue (spec, target) pairs and start the first; more than one is a 'Run on all targets'."""
        if self.busy or not jobs:
            return
        self._queue = list(jobs)
        self._batch = []
        self._start_next()

    def _start_next(self) -> None:
        from app.common.errors import UserError
        from app.run.runner import ProfileRun

        while self._queue:
            spec, target = self._queue.pop(0)
            # The GUI holds a big long-lived heap (ONNX, Qt wrappers, numpy): a full GC pass over it
            # stalls the event loop ~100 ms. Collect once now, then freeze it out of the GC's sight.
            gc.collect()
            gc.freeze()
            try:
                run = ProfileRun(spec, sampler=self.sampler, target=target, finish_in_thread=True)
                self.live.reset(time.perf_counter_ns())
                run.start()
            except UserError as e:
                self.error_raised.emit(e.message, e.hint, ErrorKind.of(e))
                continue
            except OSError as e:  # spawn failed (no memory, no handles)
                self.error_raised.emit(f"could not start the inference worker: {e}",
                                       "Close other programs and try again.", ErrorKind.of(e))
                continue
            self.run, self.spec = run, spec
            self.stopping = False
            self.phase, self.phase_t0, self.settling = Phase.START, time.monotonic(), None
            if not self.timer.isActive():
                self.timer.start()
            self.run_started.emit(spec)
            return
        self._finish_batch()

    def stop(self) -> None:
        """Stop works in every phase: the worker stops between inferences, or is killed after a grace period."""
        self._queue.clear()
        if self.run is not None and not self.stopping:
            self.stopping = True
            self.run.cancel()

    def shutdown(self) -> None:
        """Window closing: kill the worker now, stop sampling; no child process outlives the window."""
        self._queue.clear()
        self._save_pending()  # a run that ended just now is still kept
        self.timer.stop()
        if self.run is not None:
            self.run.close()
            self.run = None
        if self.sampler is not None:
            try:
                self.sampler.stop()
            except Exception:  # noqa: BLE001
                pass
            self.sampler = None

    # -- the one timer ---------------------------------------------------
    def _on_timer_timeout(self) -> None:
        self.tick_count += 1
        run = self.run
        if run is not None:
            for ev in run.poll(0):
                self._on_run_event(ev)
        samples = self._drain_sampler()
        if samples:
            self.live.add_samples(samples, keep=self.run is not None)
        self.ticked.emit()

    def _drain_sampler(self) -> list:
        if self.sampler is None:
            return []
        try:
            return self.sampler.drain()
        except Exception:  # noqa: BLE001
            return []

    def _on_run_event(self, ev) -> None:
        from app.run.runner import (
            RunEnded,
            RunFailed,
            RunGeneration,
            RunLatencies,
            RunPhaseEnded,
            RunPhaseStarted,
            RunSettling,
            RunText,
        )

        match ev:
            case RunSettling():
                self.settling = ev
            case RunLatencies():
                self.live.add_latencies(ev.starts_ns, ev.durations_ns)
            case RunPhaseStarted():
                self.phase, self.phase_t0 = ev.phase, time.monotonic()
                self.live.phase_started(ev.phase, ev.t_ns)
                self.phase_started.emit(ev.phase)
            case RunPhaseEnded():
                self.live.phase_ended(ev.phase, ev.t0_ns, ev.t1_ns)
            case RunGeneration():
                self.live.add_generation(ev.prompt_tokens, ev.prefill_t0_ns, ev.prefill_t1_ns, ev.first_token_ns,
                                         ev.last_token_ns)
            case RunText():
                self.live.add_text(ev.prompt_tokens, ev.iteration, ev.text, ev.new_generation)
            case RunFailed():
                self.error_raised.emit(ev.message, ev.hint, ev.error_kind)
            case RunEnded():
                self._on_run_ended(ev.record)

    def _on_run_ended(self, record: dict) -> None:
        # Drain the last telemetry of this run before the buffers stop accepting values.
        self.live.add_samples(self._drain_sampler(), keep=True)
        self.live.close_open_phases(time.perf_counter_ns())
        self.run = None
        self.last_record = record
        self.last_record_path = None
        self._unsaved.append(record)
        QTimer.singleShot(SAVE_DELAY_MS, self._save_pending)
        self._batch.append(record)
        self.run_finished.emit(record)
        if self._queue and not self.stopping:
            self._start_next()
        else:
            self._queue.clear()
            self._finish_batch()

    def _finish_batch(self) -> None:
        batch, self._batch = self._batch, []
        self.batch_finished.emit(batch)

    def _save_pending(self) -> None:
        unsaved, self._unsaved = self._unsaved, []
        for record in unsaved:
            self._save(record)

    def _save(self, record: RunRecord) -> None:
        """Every run is kept in the run history (app.record.history), written off the GUI thread:
        a long run's record is tens of MB of JSON."""
        history = self.history
        if history is None:
            return

        def saved(entry: HistoryEntry) -> None:
            path = str(history.root / entry.file)
            if self.last_record is record:
                self.last_record_path = path
            self.record_saved.emit(path)
            self.run_stored.emit(entry)

        def failed(e: BaseException) -> None:  # a full disk must not lose the on-screen results
            message = getattr(e, "message", None) or str(e)
            self.error_raised.emit(f"could not keep the run in the history ({history.root}): {message}",
                                   "Use File > Save Run As to save it elsewhere.", ErrorKind.of(e))

        if self.jobs is None:
            try:
                saved(history.add(record))
            except Exception as e:  # noqa: BLE001
                failed(e)
        else:
            self.jobs.submit(lambda: history.add(record), saved, failed)

    # -- progress --------------------------------------------------------
    def progress(self) -> tuple[str, int]:
        """(text, percent or -1 for busy) for the status area."""
        if self.run is None:
            return "", 0
        elapsed = time.monotonic() - self.phase_t0
        text = f"{_PHASE_NAMES[self.phase]}… {elapsed:.1f} s"
        if self.stopping:
            return f"Stopping… ({text})", -1
        if self.phase is Phase.SETTLE and self.settling is not None:
            from app.common.fmt import fmt_share

            ev = self.settling
            return (f"Waiting for a quiet machine… other processes {fmt_share(ev.other_cpu)} of the CPU, "
                    f"{ev.waited_s:.0f} / {ev.bound_s:g} s", min(100, int(100 * ev.waited_s / ev.bound_s)))
        if self.phase is Phase.MEASURE and self.spec is not None and self.spec.genai_spec is not None:
            total = (self.spec.iterations or 1) * len(self.spec.genai_spec["prompt_tokens"])
            done = len(self.live.generations)
            return f"Generating… {done} / {total} generations", min(100, int(100 * done / max(1, total)))
        if self.phase is Phase.MEASURE and self.spec is not None:
            if self.spec.iterations:
                return f"Measuring… {self.live.count} / {self.spec.iterations}", \
                    min(100, int(100 * self.live.count / self.spec.iterations))
            if self.spec.duration_s:
                return f"Measuring… {elapsed:.1f} / {self.spec.duration_s:g} s", \
                    min(100, int(100 * elapsed / self.spec.duration_s))
        return text, -1

    def queued(self) -> int:
        return len(self._queue)
