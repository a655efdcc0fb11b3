"""`aipcprof eval MODEL --target ID --data DIR`: accuracy on a labelled data set, and the latency of every inference.

The data set runs in the same worker as `aipcprof run` (crash, hang and
Ctrl-C handled the same way); the record gains an `accuracy` section
(docs/accuracy.md).
"""

from __future__ import annotations

import argparse
import sys

from app.cli import cmd_run
from app.common.errors import ExitStatus, UserError
from app.record.accuracy_schema import Task
from app.run.detection_metrics import DetectionLayout
from app.run.eval_spec import BAD_SAMPLE_POLICIES, EvalSpec
from app.run.spec_builder import CLI_LABELS, DEFAULTS, RunOptions, parse_key_values

EVAL_WARMUP = 3  # inferences on a synthetic input of the data's shape before the data set
LAYERWISE_DB = 20.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    e = EvalSpec()
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file")
    p.add_argument("--target", "-t", default="ort/cpu", help="target id from `aipcprof devices` (default ort/cpu)")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="folder of samples: .npy (one input) / .npz (input names as keys) or images (--preprocess)")
    p.add_argument("--labels", metavar="FILE", help="CSV of file,label or COCO JSON (detection); without it, "
                                                    "one folder per class under --data")
    p.add_argument("--task", choices=[t.value for t in Task], default=e.task, help=f"how outputs are scored "
                                                                                  f"(default {e.task})")
    p.add_argument("--preprocess", metavar="RECIPE", help="images: resize=224,crop=224,mean=0.485/0.456/0.406,"
                                                          "std=0.229/0.224/0.225,layout=NCHW,color=RGB,scale=1/255")
    p.add_argument("--on-bad-sample", choices=BAD_SAMPLE_POLICIES, default=e.on_bad_sample,
                   help=f"a sample that cannot be used: stop (fail) or leave it out, listed (skip); default {e.on_bad_sample}")
    p.add_argument("--output", metavar="NAME", help="the output scored (default: the first)")
    p.add_argument("--threshold", type=float, default=e.threshold, help="binary/multilabel: score threshold "
                                                                        f"(default {e.threshold:g})")
    p.add_argument("--reference", default=e.reference, help=f"agreement: the reference target (default {e.reference})")
    p.add_argument("--detection-layout", choices=[x.value for x in DetectionLayout], default=e.detection_layout,
                   help=f"detection: how the outputs hold boxes (default {e.detection_layout})")
    p.add_argument("--score-threshold", type=float, default=e.score_threshold,
                   help=f"detection: drop boxes below this score (default {e.score_threshold:g})")
    p.add_argument("--nms-iou", type=float, default=e.nms_iou,
                   help=f"detection: NMS IoU threshold (default {e.nms_iou:g}); 0 to keep the model's boxes as they are")
    p.add_argument("--layerwise", action="store_true",
                   help="also check one sample tensor by tensor against --reference (the first diverging tensor)")
    p.add_argument("--layerwise-sample", metavar="FILE", help="--layerwise: this sample of --data (default: the first)")
    p.add_argument("--reference-model", metavar="FLOAT.onnx",
                   help="--layerwise: the reference runs this model (the float original of a quantised MODEL)")
    p.add_argument("--threshold-sqnr", type=float, default=None, metavar="DB",
                   help=f"--layerwise: a tensor below this SQNR counts as diverging (default {LAYERWISE_DB:g} dB)")
    p.add_argument("--warmup", type=int, default=EVAL_WARMUP, help=f"warm-up inferences (default {EVAL_WARMUP})")
    p.add_argument("--ep-option", action="append", metavar="KEY=VALUE", help="execution-provider / OpenVINO option")
    p.add_argument("--strict", action="store_true", help="fail instead of falling back to the CPU")
    p.add_argument("--threads", type=int, default=DEFAULTS.threads, help="intra-op threads")
    p.add_argument("--cache-dir", default=DEFAULTS.cache_dir, help="folder for EP context / compiled model cache")
    p.add_argument("--timeout", type=float, default=DEFAULTS.stall_timeout_s, metavar="S",
                   help=f"stop the worker after S seconds without progress (default {DEFAULTS.stall_timeout_s:g})")
    p.add_argument("--no-telemetry", action="store_true", help="do not sample utilisation/power/temperature")
    p.add_argument("--out", "-o", metavar="RUN.json", help="write the run record here (atomically)")
    p.add_argument("--json", action="store_true", help="print the run record as JSON instead of a summary")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def eval_spec_from_args(args: argparse.Namespace) -> EvalSpec:
    return EvalSpec(task=args.task, data=args.data, labels=args.labels, preprocess=args.preprocess,
                    on_bad_sample=args.on_bad_sample, output=args.output, threshold=args.threshold,
                    reference=args.reference, detection_layout=args.detection_layout,
                    score_threshold=args.score_threshold, nms_iou=args.nms_iou or None)


def build_spec(args: argparse.Namespace):
    from app.run.eval_setup import eval_run_spec

    options = RunOptions(warmup=args.warmup, ep_options=parse_key_values(args.ep_option, "--ep-option"),
                         strict=args.strict, threads=args.threads, cache_dir=args.cache_dir,
                         stall_timeout_s=args.timeout, check_outputs=False)
    return eval_run_spec(options.build(args.model, args.target, CLI_LABELS), eval_spec_from_args(args))


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.registry import find_target
    from app.model.model_file import check_model_file
    from app.record import io as rec
    from app.run.runner import ProfileRun

    check_model_file(args.model)
    target = find_target(args.target)
    if args.out is not None:
        rec.check_writable(args.out)
    spec = build_spec(args)  # the data set is checked here: bad input is one line, before the worker starts
    _check_layerwise(args)
    sampler = None if args.no_telemetry else cmd_run._start_sampler()
    run_ = ProfileRun(spec, sampler=sampler, target=target)
    progress = None if args.quiet else _EvalProgress(spec)
    stop = cmd_run._StopSignal()
    with stop:
        try:
            run_.start()
            try:
                with stop.armed():
                    record = run_.wait(on_event=progress)
            except (KeyboardInterrupt, cmd_run._Terminated):
                print("\nstopping: keeping the latencies measured so far (a stopped eval is not scored)...",
                      file=sys.stderr)
                run_.cancel()
                record = run_.wait(on_event=progress)
        finally:
            run_.close()
            if sampler is not None:
                sampler.stop()
        if progress:
            progress.done()
        failed = _layerwise(args, record) if args.layerwise and not stop.received else False
        status = cmd_run._report(record, args, ExitStatus.TERMINATED if stop.received else ExitStatus.CANCELLED)
        return ExitStatus.RUN_FAILED if failed and status is ExitStatus.OK else status


def _check_layerwise(args: argparse.Namespace) -> None:
    """--layerwise's options, its reference and its sample: checked before the eval starts."""
    from app.engines.registry import find_target
    from app.model.model_file import check_model_file
    from app.run.eval_layerwise import pick_sample

    given = [o for o, v in (("--layerwise-sample", args.layerwise_sample), ("--reference-model", args.reference_model),
                            ("--threshold-sqnr", args.threshold_sqnr)) if v is not None]
    if not args.layerwise:
        if given:
            raise UserError(f"{given[0]} is an option of --layerwise.", hint="Add --layerwise, or drop it.")
        return
    if args.reference_model:
        check_model_file(args.reference_model)
    target = find_target(args.reference)
    if not target.ready:
        raise UserError(f"--reference {target.id} is not available here: {target.reason}.", hint=target.fix)
    pick_sample(eval_spec_from_args(args), args.layerwise_sample)


def _layerwise(args: argparse.Namespace, record) -> bool:
    """Run the layer-wise check on one sample after a completed eval, print it, add it to the record; True when
    it failed (the eval's record is kept and saved)."""
    from app.cli.cmd_layerwise import format_layerwise
    from app.common.text import terminal_safe
    from app.engines.child import ChildFailed
    from app.record.schema import RunStatus
    from app.run.eval_layerwise import run_layerwise

    if record.accuracy is None or record.status is not RunStatus.COMPLETED:
        print("aipcprof: --layerwise skipped: the eval did not complete.", file=sys.stderr)
        return False
    if not args.quiet:
        print("[layerwise] running every intermediate tensor on the target and the reference...", file=sys.stderr)
    try:
        result, section = run_layerwise(args.model, args.target, eval_spec_from_args(args), args.layerwise_sample,
                                        args.reference, args.reference_model or "",
                                        LAYERWISE_DB if args.threshold_sqnr is None else args.threshold_sqnr)
    except ChildFailed as e:
        record.accuracy.notes.append(f"layerwise check failed: {e}")
        print(f"aipcprof: --layerwise: {terminal_safe(str(e))}", file=sys.stderr)
        return True
    record.accuracy.layerwise = section
    if not section.tensors:
        record.accuracy.notes.append(f"layerwise: no intermediate tensor matched between the two runs "
                                     f"({section.unmatched} unmatched); --reference-model must be the model "
                                     f"MODEL was made from")
    elif not args.json:
        print("\n".join(terminal_safe(line) for line in format_layerwise(result)))
    return False


class _EvalProgress(cmd_run._Progress):
    """The run's progress, counting samples of the data set ('120 of 360 samples')."""

    def __call__(self, ev) -> None:
        import time

        from app.run.runner import RunLatencies

        if not isinstance(ev, RunLatencies):
            return super().__call__(ev)
        self.count += len(ev.durations_ns)
        now = time.monotonic()
        if now - self.last_print > (0.25 if self.tty else 5.0) or self.count == self.spec.iterations:
            self.last_print = now
            text = f"[eval] {self.count} of {self.spec.iterations} samples"
            print(f"\r{text}   ", end="", file=sys.stderr) if self.tty else self._line(text)
