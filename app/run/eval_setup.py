"""The parent's side of `aipcprof eval`: check the data set and build the eval's RunSpec (CLI and GUI).

Before the worker starts: the folder and labels are read, every sample's
header is checked (image headers, array shapes and dtypes; nothing decoded),
and the input shapes are taken from the first good sample, so the session is
opened for the data's real shape. A bad sample is reported by file name:
`--on-bad-sample fail` (the default) stops here with one line, `skip` leaves
it out and the record lists it with its reason.
"""

from __future__ import annotations

from app.common.errors import UserError
from app.model.dataset import check_sample, load_sample
from app.model.preprocess import BadSample
from app.record.accuracy_schema import Task
from app.record.schema import RunMode
from app.run.eval_loop import input_slots, open_eval_dataset
from app.run.eval_spec import BAD_SAMPLE_POLICIES, EvalSpec
from app.run.runspec import RunSpec


def check_eval_spec(ev: EvalSpec) -> None:
    if ev.on_bad_sample not in BAD_SAMPLE_POLICIES:
        raise UserError(f"--on-bad-sample {ev.on_bad_sample}: expected skip or fail.")
    try:
        Task(ev.task)
    except ValueError:
        raise UserError(f"--task {ev.task}: expected one of {', '.join(t.value for t in Task)}.") from None
    if not 0 <= ev.threshold <= 1 and Task(ev.task) in (Task.BINARY, Task.MULTILABEL):
        raise UserError(f"--threshold {ev.threshold:g}: expected a score between 0 and 1.")
    if ev.nms_iou is not None and not 0 < ev.nms_iou <= 1:
        raise UserError(f"--nms-iou {ev.nms_iou:g}: expected an IoU between 0 and 1.")


def eval_run_spec(spec: RunSpec, ev: EvalSpec) -> RunSpec:
    """`spec` (a run's settings) turned into the eval of `ev`'s data set; UserError for bad input."""
    check_eval_spec(ev)
    ds = open_eval_dataset(ev)
    slots = input_slots(spec.model_path)
    skipped: list[tuple[str, str]] = []
    good = []
    for ref in ds.samples:
        try:
            check_sample(ds, ref, slots)
            good.append(ref)
        except BadSample as e:
            if ev.on_bad_sample == "fail":
                raise UserError(f"--data sample {ref.file}: {e}.",
                                hint="Fix or remove it, or pass --on-bad-sample skip to leave such samples out.") from None
            skipped.append((ref.file, str(e)))
    if not good:
        first = f", e.g. {skipped[0][0]}: {skipped[0][1]}" if skipped else ""
        raise UserError(f"--data {ev.data}: no usable sample ({len(skipped)} bad{first}).")
    feeds = _first_feeds(ds, good, slots, ev)
    spec.shapes = {name: list(a.shape) for name, a in feeds.items()}
    spec.inputs = {}
    spec.iterations, spec.duration_s, spec.until_steady = len(good), None, None
    spec.check_outputs = False  # the agreement task compares every sample; a plain eval needs no synthetic check
    spec.mode, spec.requests = RunMode.LATENCY, None  # the data set is scored one inference at a time
    spec.eval_spec = ev.to_dict()
    return spec.validate()


def _first_feeds(ds, good, slots, ev: EvalSpec):
    """The first sample that loads: its shapes open the session (a bad one fails here with --on-bad-sample fail)."""
    for ref in good:
        try:
            return load_sample(ds, ref, slots)[0]
        except BadSample as e:
            if ev.on_bad_sample == "fail":
                raise UserError(f"--data sample {ref.file}: {e}.",
                                hint="Fix or remove it, or pass --on-bad-sample skip.") from None
    raise UserError(f"--data {ev.data}: no sample could be read.")
