"""The worker's side of `aipcprof eval`: run every sample of the data set, time each inference, score.

`Evaluation.read_ahead` (Phase.DATA) reads the data set into memory first (up
to PRELOAD_BYTES; beyond, chunks are read between inferences, never inside a
timed call). `Evaluation.measure` is the measured phase of an eval run:
each inference is timed alone with two clock
reads and streamed as LatencyBatch like a plain run's, so the record's
latency section covers every inference of the data set. `score` (its own
phase) computes the task's metrics, running the reference target first for
the agreement task, and returns the record's `accuracy` section.
"""

from __future__ import annotations

import gc
import time

import numpy as np

from app.common.errors import UserError
from app.model.dataset import Dataset, InputSlot, SampleRef, load_sample, open_dataset, slots_of
from app.model.preprocess import BadSample, Geometry, parse_recipe
from app.record.accuracy_schema import Accuracy, DatasetInfo, SkippedSample, Task
from app.run.eval_score import check_labels
from app.run.eval_spec import EvalSpec
from app.run.messages import LatencyBatch

PRELOAD_BYTES = 1 << 30  # the data set read before the measured loop (Phase.DATA), so the loop only infers
CHUNK_BYTES = 64 << 20  # beyond PRELOAD_BYTES: read in chunks between the timed inferences
BATCH_SECONDS = 0.033


def open_eval_dataset(ev: EvalSpec) -> Dataset:
    """The data set an EvalSpec names (the parent checks it before the worker starts, the worker reopens it)."""
    task = ev.task_enum
    recipe = parse_recipe(ev.preprocess) if ev.preprocess else None
    return open_dataset(ev.data, labels=ev.labels, recipe=recipe, labelled=task is not Task.AGREEMENT,
                        detection=task is Task.DETECTION)


def input_slots(model_path: str) -> list[InputSlot]:
    from app.model.inputs import model_inputs
    from app.model.model_file import load_model

    return slots_of(model_inputs(load_model(model_path)))


class Evaluation:
    def __init__(self, spec, conn, cancelled) -> None:
        self.spec = spec
        self.ev = EvalSpec.from_dict(spec.eval_spec)
        self.conn = conn
        self.cancelled = cancelled
        self.ds = open_eval_dataset(self.ev)
        self.slots = input_slots(spec.model_path)
        self.skipped: list[SkippedSample] = [SkippedSample(f, r) for f, r in self.ds.skipped]
        self.used: list[SampleRef] = []
        self.geometry: list[Geometry | None] = []
        self.outputs: list[list[np.ndarray]] = []  # per sample, every output
        self.feeds_kept: list[dict[str, np.ndarray]] = []  # agreement: the feeds again for the reference
        self._next = 0  # the next sample of ds.samples to read
        self._ready: list = []  # read by read_ahead, not run yet

    def _read(self, ref: SampleRef) -> tuple[dict[str, np.ndarray], Geometry | None] | None:
        try:
            return load_sample(self.ds, ref, self.slots)
        except BadSample as e:
            if self.ev.on_bad_sample == "fail":
                raise UserError(f"--data sample {ref.file}: {e}.",
                                hint="Fix or remove it, or pass --on-bad-sample skip to leave such samples out.") from None
            self.skipped.append(SkippedSample(ref.file, str(e)))
            return None

    def _chunk(self, limit: int) -> list:
        """The samples not read yet, in chunks of about `limit` bytes; bad ones skipped or failed here."""
        chunk, size = [], 0
        while self._next < len(self.ds.samples):
            ref = self.ds.samples[self._next]
            self._next += 1
            got = self._read(ref)
            if got is None:
                continue
            chunk.append((ref, *got))
            size += sum(a.nbytes for a in got[0].values())
            if size >= limit:
                break
        return chunk

    def read_ahead(self, session=None) -> None:
        """Phase.DATA: read the data set into memory before the measured loop, up to PRELOAD_BYTES
        (a bigger one is read on in CHUNK_BYTES chunks during the loop, between timed inferences); with the
        session, labels that do not fit the output fail here, before anything is measured (one untimed run)."""
        self._ready = self._chunk(PRELOAD_BYTES)
        if self._ready and session is not None:
            check_labels(self.ev, self.ds, session.output_names(), session.run(self._ready[0][1]))

    def _all_chunks(self):
        if self._ready:
            yield self._ready
            self._ready = []
        while self._next < len(self.ds.samples):
            chunk = self._chunk(CHUNK_BYTES)
            if chunk:
                yield chunk

    def measure(self, session) -> None:
        """Every sample once, each inference timed alone; stops early (keeping what ran) when cancelled."""
        keep_feeds, fast = self._keep_feeds, session.data_runner()
        for chunk in self._all_chunks():
            outs: list = []
            collecting = gc.isenabled()
            gc.disable()  # as timeit does: the outputs kept for scoring would make the collector walk them mid-loop
            try:
                self._run_chunk(fast, chunk, outs)
            except Exception:
                if len(outs) < len(chunk):  # the sample that failed, through the engine: it explains size errors
                    session.run(chunk[len(outs)][1])
                raise  # it ran this time: the runtime's own error stands
            finally:
                if collecting:
                    gc.enable()
            done = chunk[:len(outs)]  # cancelled mid-chunk: the samples that ran
            self.used.extend(item[0] for item in done)
            self.geometry.extend(item[2] for item in done)
            self.outputs.extend(outs)
            if keep_feeds:
                self.feeds_kept.extend(item[1] for item in done)
            if self.cancelled():
                return
        if not self.used:
            raise UserError(f"--data {self.ev.data}: every sample was bad ({len(self.skipped)} skipped), "
                            f"e.g. {self.skipped[0].file}: {self.skipped[0].reason}." if self.skipped else
                            f"--data {self.ev.data}: no samples to run.")

    @property
    def _keep_feeds(self) -> bool:
        return self.ev.task_enum is Task.AGREEMENT and self.ev.reference != self.spec.target_id

    def _run_chunk(self, run, chunk: list, done: list) -> None:
        """The timed loop over samples in memory: two clock reads around each call, three appends; `done` gets
        the outputs of the samples run (fewer than the chunk's when cancelled or failed)."""
        clock = time.perf_counter_ns
        batch_ns = int(BATCH_SECONDS * 1e9)
        starts, durations = [], []
        keep, start, duration = done.append, starts.append, durations.append
        batch_t0 = clock()
        for feeds in [item[1] for item in chunk]:
            t0 = clock()
            outs = run(feeds)
            t1 = clock()
            start(t0)
            duration(t1 - t0)
            keep(outs)
            if t1 - batch_t0 >= batch_ns:
                self.conn.send(LatencyBatch(starts, durations))
                starts, durations, batch_t0 = [], [], clock()
                start, duration = starts.append, durations.append
                if self.cancelled():
                    break
        if starts:
            self.conn.send(LatencyBatch(starts, durations))

    def dataset_info(self) -> DatasetInfo:
        ds = self.ds
        return DatasetInfo(folder=str(ds.folder), kind=ds.kind, labels=ds.labels_path, label_format=ds.label_format,
                           preprocess=self.ev.preprocess, found=ds.found, samples=len(self.used),
                           skipped=self.skipped, on_bad_sample=self.ev.on_bad_sample, class_names=ds.class_names)

    def score(self, output_names: list[str]) -> Accuracy:
        from app.run.eval_score import score

        acc = Accuracy(task=self.ev.task_enum, dataset=self.dataset_info())
        if self.cancelled():
            acc.notes.append(f"stopped by the user: scored on the {len(self.used)} samples run before the stop")
        reference = self._reference_outputs() if acc.task is Task.AGREEMENT else None
        score(acc, self.ev, output_names, self, reference)
        return acc

    def _reference_outputs(self) -> list[list[np.ndarray]]:
        """Agreement: the same samples through the same model on the reference target."""
        from app.engines.base import SessionSettings
        from app.engines.registry import engine_for, find_target

        if self.ev.reference == self.spec.target_id:
            return self.outputs
        target = find_target(self.ev.reference)
        shapes = {name: list(a.shape) for name, a in self.feeds_kept[0].items()}
        session = engine_for(target).open(self.spec.model_path, target, SessionSettings(input_shapes=shapes))
        try:
            return [session.run(feeds) for feeds in self.feeds_kept]
        finally:
            session.close()
