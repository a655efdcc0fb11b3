"""The worker's side of `aipcprof eval`: run every sample of the data set, time each inference, score.

`Evaluation.measure` is the measured phase of an eval run: samples are read in
chunks (reading is not timed), each inference is timed alone with two clock
reads and streamed as LatencyBatch like a plain run's, so the record's
latency section covers every inference of the data set. `score` (its own
phase) computes the task's metrics, running the reference target first for
the agreement task, and returns the record's `accuracy` section.
"""

from __future__ import annotations

import time

import numpy as np

from app.common.errors import UserError
from app.model.dataset import Dataset, InputSlot, SampleRef, load_sample, open_dataset
from app.model.preprocess import BadSample, Geometry, parse_recipe
from app.record.accuracy_schema import Accuracy, DatasetInfo, SkippedSample, Task
from app.run.eval_score import check_labels
from app.run.eval_spec import EvalSpec
from app.run.messages import LatencyBatch

CHUNK_BYTES = 64 << 20  # samples read ahead of their inferences (then timed one by one)
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

    slots = []
    for s in model_inputs(load_model(model_path)):
        shape = [d if isinstance(d, int) and d > 0 else None for d in (s.shape or [])]
        slots.append(InputSlot(s.name, np.dtype(s.dtype) if s.dtype is not None else np.dtype(np.float32), shape))
    return slots


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

    def _read(self, ref: SampleRef) -> tuple[dict[str, np.ndarray], Geometry | None] | None:
        try:
            return load_sample(self.ds, ref, self.slots)
        except BadSample as e:
            if self.ev.on_bad_sample == "fail":
                raise UserError(f"--data sample {ref.file}: {e}.",
                                hint="Fix or remove it, or pass --on-bad-sample skip to leave such samples out.") from None
            self.skipped.append(SkippedSample(ref.file, str(e)))
            return None

    def _chunks(self):
        chunk, size = [], 0
        for ref in self.ds.samples:
            got = self._read(ref)
            if got is None:
                continue
            chunk.append((ref, *got))
            size += sum(a.nbytes for a in got[0].values())
            if size >= CHUNK_BYTES:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def measure(self, session) -> None:
        """Every sample once, each inference timed alone; stops early (keeping what ran) when cancelled."""
        clock = time.perf_counter_ns
        keep_feeds = self.ev.task_enum is Task.AGREEMENT and self.ev.reference != self.spec.target_id
        run = session.run
        for chunk in self._chunks():
            starts, durations, batch_t0 = [], [], clock()
            for ref, feeds, geo in chunk:
                t0 = clock()
                outs = run(feeds)
                t1 = clock()
                starts.append(t0)
                durations.append(t1 - t0)
                self.used.append(ref)
                self.geometry.append(geo)
                self.outputs.append(outs)
                if keep_feeds:
                    self.feeds_kept.append(feeds)
                if len(self.used) == 1:  # labels that do not fit the output fail now, not after the data set
                    check_labels(self.ev, self.ds, session.output_names(), outs)
                if t1 - batch_t0 >= BATCH_SECONDS * 1e9:
                    self.conn.send(LatencyBatch(starts, durations))
                    starts, durations, batch_t0 = [], [], clock()
                    if self.cancelled():
                        return
            if starts:
                self.conn.send(LatencyBatch(starts, durations))
            if self.cancelled():
                return
        if not self.used:
            raise UserError(f"--data {self.ev.data}: every sample was bad ({len(self.skipped)} skipped), "
                            f"e.g. {self.skipped[0].file}: {self.skipped[0].reason}." if self.skipped else
                            f"--data {self.ev.data}: no samples to run.")

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
