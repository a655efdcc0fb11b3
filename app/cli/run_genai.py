"""`aipcprof run MODEL_DIR --target genai/cpu --prompt-tokens 128,512 --gen-tokens 128`: a generative model.

Everything a user can get wrong is checked here, before the worker starts: the folder and its
genai_config.json, the target, the prompt lengths against the model's context, --out. The run itself is
the same ProfileRun as every run (app.cli.cmd_run.execute).
"""

from __future__ import annotations

import argparse
import sys

from app.common.errors import ExitStatus, UserError
from app.record.schema import Phase
from app.run.genai_spec import (
    CONTEXT_SOURCE,
    DEFAULT_GEN_TOKENS,
    GenAISpec,
    build_genai_spec,
    check_prompt_file,
    parse_prompt_tokens,
)

DEFAULT_TARGET = "genai/cpu"


def spec_from_args(args: argparse.Namespace, context_length: int | None, default_target: str = DEFAULT_TARGET,
                   context_source: str = CONTEXT_SOURCE):
    from app.cli.cmd_run import options_from_args

    genai = GenAISpec(prompt_tokens=parse_prompt_tokens(args.prompt_tokens),
                      gen_tokens=DEFAULT_GEN_TOKENS if args.gen_tokens is None else args.gen_tokens,
                      prompt_file=args.prompt_file).check(context_length, context_source)
    return build_genai_spec(args.model, args.target or default_target, options_from_args(args), genai,
                            iterations=args.iterations, warmup=args.warmup)


def run(args: argparse.Namespace) -> ExitStatus:
    from app.cli import cmd_run, team_cli
    from app.engines.genai_engine import is_genai_target
    from app.engines.registry import find_target
    from app.model import ov_genai_folder as ov_folder
    from app.model.genai_folder import check_stage_providers, open_genai_folder
    from app.model.ov_genai_folder import is_ov_genai_path, open_ov_genai_folder
    from app.record import io as rec

    if is_ov_genai_path(args.model, args.target):  # an OpenVINO IR LLM folder: ov-genai/ targets
        folder = open_ov_genai_folder(args.model)
        if args.trace is not None:
            raise UserError("--trace: does not apply to a generative model folder.")
        spec = spec_from_args(args, folder.card.context_length, ov_folder.DEFAULT_TARGET, ov_folder.CONTEXT_SOURCE)
        _check_kind(spec.target_id, folder.folder, "an OpenVINO IR LLM folder", ov_folder.TARGET_PREFIX,
                    ov_folder.DEFAULT_TARGET)
    else:
        folder = open_genai_folder(args.model)  # no config, a missing file: one line, exit 2
        if args.trace is not None:
            raise UserError("--trace: does not apply to a generative model folder.")
        spec = spec_from_args(args, folder.card.context_length)
        if not is_genai_target(spec.target_id):
            _check_kind(spec.target_id, folder.folder, "a generative model folder", "genai/", DEFAULT_TARGET)
    if args.prompt_file is not None:
        check_prompt_file(args.prompt_file)
    target = find_target(spec.target_id)  # an EP the installed onnxruntime-genai lacks: one line
    check_stage_providers(folder.card, target.id, target.provider)  # a pipeline stage pinned to another EP
    if args.out is not None:
        rec.check_writable(args.out)
    publish_to = team_cli.check_publish(args.publish, "--publish") if args.publish is not None else None
    return cmd_run.execute(spec, target, args, None if args.quiet else GenAIProgress(), publish_to=publish_to)


def _check_kind(target_id: str, folder, kind: str, prefix: str, default: str) -> None:
    if not target_id.strip().lower().startswith(prefix):
        raise UserError(f"--target {target_id}: {folder} is {kind}; it runs on {prefix} targets (e.g. {default}).",
                        hint="See `aipcprof devices`.")


class GenAIProgress:
    """Phase lines and one line per measured generation on stderr."""

    def __call__(self, ev) -> None:
        from app.common.fmt import fmt_ms
        from app.run.runner import RunGeneration, RunPhaseEnded

        match ev:
            case RunGeneration():
                ttft = (ev.first_token_ns - ev.t0_ns) / 1e9
                print(f"[{Phase.MEASURE}] prompt {ev.prompt_tokens} tokens, generation {ev.iteration + 1}: "
                      f"TTFT {fmt_ms(ttft)}", file=sys.stderr)
            case RunPhaseEnded() if ev.phase is not Phase.MEASURE:
                print(f"[{ev.phase}] {fmt_ms(ev.seconds)}", file=sys.stderr)

    def done(self) -> None:
        pass
