"""`aipcprof eval MODEL --target ID --data DIR`: accuracy on a labelled data set, and the latency of every inference.

The data set runs in the same worker as `aipcprof run` (crash, hang and
Ctrl-C handled the same way); the record gains an `accuracy` section
(docs/accuracy.md).
"""

from __future__ import annotations

import argparse
import sys

from app.cli import cmd_run
from app.common.errors import ExitStatus
from app.record.accuracy_schema import Task
from app.run.detection_metrics import DetectionLayout
from app.run.eval_spec import BAD_SAMPLE_POLICIES, EvalSpec
from app.run.spec_builder import CLI_LABELS, DEFAULTS, RunOptions, parse_key_values

EVAL_WARMUP = 3  # inferences on a synthetic input of the data's shape before the data set


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
        return cmd_run._report(record, args, ExitStatus.TERMINATED if stop.received else ExitStatus.CANCELLED)


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
