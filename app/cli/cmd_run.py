"""`aipcprof run MODEL --target ID`: profile one model on one target."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from app.cli import run_trace, team_cli
from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe
from app.record.schema import Phase, RunMode, RunRecord, RunStatus
from app.run import genai_spec
from app.run.spec_builder import (
    CLI_LABELS,
    DEFAULTS,
    QUIET_CHECK_DEFAULT_S,
    UNTIL_STEADY_DEFAULT,
    RunOptions,
    parse_dims,
    parse_inputs,
    parse_key_values,
    parse_shapes,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = DEFAULTS  # every default comes from RunOptions (the GUI uses the same)
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file, or a generative model folder "
                                                  "(genai_config.json, or an OpenVINO IR LLM folder; docs/genai.md)")
    p.add_argument("--target", "-t", default=None,
                   help="target id from `aipcprof devices` (default ort/cpu; genai/cpu for a generative model, "
                        "ov-genai/cpu for an OpenVINO IR LLM folder)")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"warm-up inferences, not measured (default {d.warmup}; generative: generations per "
                        f"prompt length, default {genai_spec.DEFAULT_WARMUP})")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--iterations", "-n", type=int, default=None,
                       help=f"measured inferences (default {d.iterations}; generative: generations per prompt "
                            f"length, default {genai_spec.DEFAULT_ITERATIONS})")
    group.add_argument("--duration", "-d", type=float, metavar="S", help="measure for S seconds instead")
    p.add_argument("--until-steady", nargs="?", type=float, const=UNTIL_STEADY_DEFAULT, default=d.until_steady,
                   metavar="REL", help=f"stop once the p50 is known to ±REL (default {UNTIL_STEADY_DEFAULT:g} = "
                                       f"{UNTIL_STEADY_DEFAULT:.0%}%); --iterations/--duration stay the upper bound")
    p.add_argument("--mode", choices=[m.value for m in RunMode], default=d.mode.value,
                   help="latency: one request at a time (default); throughput: several in flight")
    p.add_argument("--requests", type=int, default=d.requests, metavar="N",
                   help="throughput mode: requests in flight (default: the engine's optimal number)")
    p.add_argument("--shape", action="append", metavar="INPUT=d0,d1,..", help="an input's whole shape")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N", help="bind a symbolic dim everywhere it appears")
    p.add_argument("--input", action="append", metavar="NAME=FILE.npy|.npz|VALUE", help="real data for an input")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seed for synthetic inputs (default {d.seed})")
    p.add_argument("--ep-option", action="append", metavar="KEY=VALUE",
                   help="execution-provider / OpenVINO option, e.g. htp_performance_mode=burst")
    p.add_argument("--strict", action="store_true", default=d.strict, help="fail instead of falling back to the CPU")
    p.add_argument("--threads", type=int, default=d.threads, help="intra-op threads (default: runtime's choice)")
    p.add_argument("--io-binding", action="store_true", default=d.io_binding,
                   help="bind inputs once and preallocate outputs")
    p.add_argument("--no-output-check", action="store_false", dest="check_outputs", default=d.check_outputs,
                   help="skip the comparison with ORT CPU")
    p.add_argument("--cache-dir", default=d.cache_dir, help="folder for EP context / compiled model cache")
    p.add_argument("--timeout", type=float, default=d.stall_timeout_s, metavar="S",
                   help=f"stop the worker after S seconds without progress (default {d.stall_timeout_s:g})")
    p.add_argument("--quiet-check", nargs="?", type=float, const=QUIET_CHECK_DEFAULT_S, default=d.quiet_check_s,
                   metavar="S", help="before warm-up, wait until other processes leave the CPU quiet, at most S s "
                                     f"(default {QUIET_CHECK_DEFAULT_S:g}); the record says how long and whether it did")
    p.add_argument("--op-profile", action="store_true", default=d.op_profile,
                   help="after the timed loop, profile each operator in a separate session (docs/op-profile.md)")
    p.add_argument("--trace", metavar="OUT.json", help="write a Chrome/Perfetto trace of the operator profile and "
                                                       "telemetry (implies --op-profile)")
    p.add_argument("--no-telemetry", action="store_true", help="do not sample utilisation/power/temperature")
    p.add_argument("--out", "-o", metavar="RUN.json", help="write the run record here (atomically)")
    p.add_argument("--json", action="store_true", help="print the run record as JSON instead of a summary")
    p.add_argument("--publish", nargs="?", const="", metavar="URI",
                   help="keep the run in the history and publish it to an MLflow tracking server (default: "
                        "$MLFLOW_TRACKING_URI, else `aipcprof history server`); a failure queues it (docs/team.md)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    g = p.add_argument_group("generative models (a folder with genai_config.json; docs/genai.md)")
    g.add_argument("--prompt-tokens", metavar="N,N,..", help="prompt lengths in tokens (default "
                   f"{','.join(map(str, genai_spec.DEFAULT_PROMPT_TOKENS))})")
    g.add_argument("--gen-tokens", type=int, default=None, metavar="N",
                   help=f"tokens to generate per prompt (default {genai_spec.DEFAULT_GEN_TOKENS})")
    g.add_argument("--prompt-file", metavar="FILE", help="text to build the prompts from, in place of the "
                                                         "synthetic one (cut or repeated to each length in tokens)")


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """The parsed command line as RunOptions (the string forms parsed, nothing validated yet)."""
    by_duration = args.duration is not None
    return RunOptions(
        warmup=DEFAULTS.warmup if args.warmup is None else args.warmup,
        iterations=DEFAULTS.iterations if args.iterations is None else args.iterations, by_duration=by_duration,
        duration_s=args.duration if by_duration else DEFAULTS.duration_s, until_steady=args.until_steady,
        shapes=parse_shapes(args.shape), dims=parse_dims(args.dim), inputs=parse_inputs(args.input),
        seed=args.seed, ep_options=parse_key_values(args.ep_option, "--ep-option"), strict=args.strict,
        threads=args.threads, io_binding=args.io_binding, check_outputs=args.check_outputs,
        cache_dir=args.cache_dir, stall_timeout_s=args.timeout, quiet_check_s=args.quiet_check,
        op_profile=args.op_profile or args.trace is not None, mode=RunMode(args.mode), requests=args.requests,
    )


def build_spec(args: argparse.Namespace):
    for flag, value in (("--prompt-tokens", args.prompt_tokens), ("--gen-tokens", args.gen_tokens),
                        ("--prompt-file", args.prompt_file)):
        if value is not None:
            raise UserError(f"{flag}: applies to a generative model folder (genai_config.json), not an .onnx file.")
    return options_from_args(args).build(args.model, args.target or "ort/cpu", CLI_LABELS)


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.genai_engine import is_genai_target
    from app.engines.ov_genai_engine import is_ov_genai_target
    from app.engines.registry import find_target
    from app.model.genai_folder import is_genai_path
    from app.model.model_file import check_model_file
    from app.model.ov_genai_folder import ov_genai_folder_of
    from app.record import io as rec

    if is_genai_path(args.model) or ov_genai_folder_of(args.model):  # a folder, its config, a model file inside
        from app.cli import run_genai

        return run_genai.run(args)
    spec = build_spec(args)
    check_model_file(spec.model_path)
    if is_genai_target(spec.target_id):  # before a worker is spawned to find out
        raise UserError(f"--target {spec.target_id}: runs generative model folders (genai_config.json), not an "
                        f".onnx file.", hint="Pick an ort/ or ov/ target (`aipcprof devices`), or pass the folder.")
    if is_ov_genai_target(spec.target_id):
        raise UserError(f"--target {spec.target_id}: runs OpenVINO IR LLM folders (openvino_model.xml with its "
                        f"tokenizer IRs), not a single model file.",
                        hint="Pick an ort/ or ov/ target (`aipcprof devices`), or pass the folder.")
    target = find_target(spec.target_id)  # unknown or not-ready target: one line listing the valid ids
    if args.out is not None:
        rec.check_writable(args.out)  # fail before a long run, not after
    trace = run_trace.TraceRequest.check(args.trace)  # --trace: checked here too, not after the run
    publish_to = team_cli.check_publish(args.publish, "--publish") if args.publish is not None else None
    if trace:
        spec.profile_dir = trace.folder
    return execute(spec, target, args, None if args.quiet else _Progress(spec), trace, publish_to)


def execute(spec, target, args: argparse.Namespace, progress, trace=None, publish_to=None) -> ExitStatus:
    """Run `spec` in a worker with telemetry, Ctrl-C/SIGTERM kept as a partial record; save and print it
    (and publish it to `publish_to`, a checked tracking URI, when --publish asked)."""
    from app.run.runner import ProfileRun

    sampler = None if args.no_telemetry else _start_sampler()
    run = ProfileRun(spec, sampler=sampler, target=target)
    stop = _StopSignal()
    with stop:
        try:
            run.start()
            try:
                with stop.armed():
                    record = run.wait(on_event=progress)
            except (KeyboardInterrupt, _Terminated) as e:
                how = "SIGTERM" if isinstance(e, _Terminated) else "Ctrl-C"
                print(f"\nstopping ({how}): finishing the current batch, keeping the partial record...",
                      file=sys.stderr)
                run.cancel()
                record = run.wait(on_event=progress)
        finally:
            run.close()
            if sampler is not None:
                sampler.stop()
        if progress:
            progress.done()
        if trace:
            trace.write(record)
        status = _report(record, args, ExitStatus.TERMINATED if stop.received else ExitStatus.CANCELLED)
        if publish_to is not None:
            team_cli.publish_after_run(record, publish_to)
        return status


def _report(record: RunRecord, args: argparse.Namespace,
            cancelled: ExitStatus = ExitStatus.CANCELLED) -> ExitStatus:
    """Save, print, and choose the exit status.

    Only bad input found before anything was measured is a UserError (exit 2, no file).
    Every other failure after the run started keeps the (partial) record and exits 1.
    """
    from app.record import io as rec
    from app.report.text import format_run

    err = record.error
    if err and not record.measured and err.kind.is_bad_input:
        raise UserError(err.message, hint=err.hint)
    saved_to = _save(record, args.out) if args.out is not None else None
    if args.json:
        print(rec.dumps(record))
    else:
        print(format_run(record))
        if saved_to is not None:
            print(f"run record: {terminal_safe(saved_to)}")
    if err:
        print(f"aipcprof: error: {terminal_safe(err.message)} {terminal_safe(err.hint)}".rstrip(), file=sys.stderr)
        if record.worker_log:  # what the native runtimes printed (kept off the terminal)
            print(f"aipcprof: native runtime output: {terminal_safe(record.worker_log)}", file=sys.stderr)
        return ExitStatus.RUN_FAILED
    if saved_to != args.out:
        return ExitStatus.RUN_FAILED  # --out could not be written (the record went elsewhere, or nowhere)
    return cancelled if record.status is RunStatus.CANCELLED else ExitStatus.OK


def _save(record: RunRecord, out: str) -> str | None:
    """Write the record to --out; if that fails now the run is over, keep it elsewhere and say where."""
    from app.record import io as rec

    try:
        rec.save(record, out)
        return out
    except UserError as e:
        print(f"aipcprof: error: {terminal_safe(e)}", file=sys.stderr)
    where = _save_elsewhere(record)
    if where:
        print(f"aipcprof: the run record was saved to {terminal_safe(where)} instead.", file=sys.stderr)
    else:
        print("aipcprof: the run record could not be saved anywhere (history folder, temp folder).",
              file=sys.stderr)
    return where


def _save_elsewhere(record: RunRecord) -> str | None:
    """The history folder first (a file put there is listed by `aipcprof history`), then the temp folder."""
    import tempfile
    import time

    from app.record import io as rec
    from app.record.history import default_root

    name = f"unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json"
    for folder in (default_root(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return str(rec.atomic_write(folder / name, rec.dumps(record) + "\n"))
        except (OSError, UserError):
            continue
    return None


class _Terminated(Exception):
    """SIGTERM arrived while the run was being measured."""


class _StopSignal:
    """SIGTERM (from `timeout`, a service manager, `kill`) stops a run the way Ctrl-C does.

    While armed (waiting for the run) the first SIGTERM raises _Terminated, so the run is
    cancelled and the partial record kept; any other SIGTERM is only noted, so saving the
    record is never cut short. The exit status is then ExitStatus.TERMINATED (143).
    """

    def __init__(self) -> None:
        self.received = False
        self._armed = False
        self._previous = None

    def __enter__(self) -> _StopSignal:
        if threading.current_thread() is threading.main_thread():  # signals go to the main thread only
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @contextlib.contextmanager
    def armed(self):
        if self.received:  # arrived while the worker was starting
            raise _Terminated
        self._armed = True
        try:
            yield
        finally:
            self._armed = False

    def _handle(self, _signum, _frame) -> None:
        first = not self.received
        self.received = True
        if first and self._armed:
            self._armed = False
            raise _Terminated


def _start_sampler():
    try:
        from app.probes.sampler import Sampler

        sampler = Sampler()
        sampler.start()
        return sampler
    except Exception as e:  # telemetry is never worth losing a run over
        print(f"aipcprof: warning: telemetry disabled ({e.__class__.__name__}: {e})", file=sys.stderr)
        return None


class _Progress:
    """Phase lines and a live latency line on stderr."""

    def __init__(self, spec) -> None:
        self.spec = spec
        self.count = 0
        self.last_print = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, ev) -> None:
        import time

        from app.common.fmt import fmt_ms
        from app.run.runner import RunLatencies, RunPhaseEnded, RunPhaseStarted, RunSettling

        match ev:
            case RunLatencies():
                self.count += len(ev.durations_ns)
                now = time.monotonic()
                if self.tty and now - self.last_print > 0.25:
                    self.last_print = now
                    last = float(ev.durations_ns[-1]) / 1e9
                    print(f"\r[{Phase.MEASURE}] {self.count} inferences, last {fmt_ms(last)}   ", end="",
                          file=sys.stderr)
            case RunSettling():
                self._settling(ev)
            case RunPhaseStarted() if self.tty:
                print(f"\r[{ev.phase}] ...", end="", file=sys.stderr, flush=True)
            case RunPhaseEnded() if ev.phase is not Phase.MEASURE:
                self._line(f"[{ev.phase}] {fmt_ms(ev.seconds)}")

    def _settling(self, ev) -> None:
        """--quiet-check: other processes' CPU share while waiting (a line per reading off a terminal: 2/s)."""
        from app.common.fmt import fmt_share

        text = (f"[{Phase.SETTLE}] other processes {fmt_share(ev.other_cpu)} of the CPU, "
                f"waited {ev.waited_s:.1f} of {ev.bound_s:g} s")
        if self.tty:
            print(f"\r{text}   ", end="", file=sys.stderr, flush=True)
        else:
            self._line(text)

    def _line(self, text: str) -> None:
        print(("\r" if self.tty else "") + text, file=sys.stderr)

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)


