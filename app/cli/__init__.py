"""`aipcprof`: the headless command line. Never imports Qt (except `gui`).

Each command lives in its own module `app.cli.cmd_<name>` exposing
`add_arguments(parser)` and `run(args) -> ExitStatus`; modules are imported lazily so
`aipcprof --version` does not pay for ONNX Runtime or OpenVINO.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from app import __version__
from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe

COMMANDS = {
    "devices": "List every target (engine x provider x device) and the machine's accelerators.",
    "inspect": "Show a model card: inputs, outputs, ops, precision, parameters, MACs.",
    "run": "Profile a model on one target and write a run record.",
    "compile": "Compile a model ahead of time for one target's EP (an EP-context model).",
    "sweep": "Run a model over a grid (batch sizes, requests, threads, targets) and find the best point.",
    "quantize": "Write a quantised (QDQ or dynamic) copy of a float model with ONNX Runtime's tools.",
    "layerwise": "Find the first intermediate tensor where a model on a target diverges from a reference.",
    "eval": "Measure accuracy on a labelled data set (and the latency of every inference).",
    "compare": "Compare run records side by side.",
    "ops": "Show the operator profile of a run recorded with --op-profile.",
    "history": "List, show, rename, delete and import stored runs; publish and pull them via an MLflow server.",
    "monitor": "Print live telemetry (utilisation, power, temperature) without a model.",
    "gui": "Open the desktop app.",
    "sample": "Print the path of the bundled sample model.",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors: what is wrong and where the help is, not the whole usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(ExitStatus.USER_ERROR,
                  f"{self.prog}: error: {terminal_safe(message)} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="aipcprof",
        description="AI PC Profiler: profile ONNX models on the CPU, GPU and NPU of this PC. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"aipcprof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _command_module(name).add_arguments(p)
    return parser


def _command_module(name: str):
    return importlib.import_module(f"app.cli.cmd_{name}")


def error(message: str) -> None:
    print(f"aipcprof: error: {terminal_safe(message)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        argv = ["gui"]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitStatus.USER_ERROR
    try:
        return int(_command_module(args.command).run(args) or ExitStatus.OK)
    except UserError as e:
        error(str(e))
        return ExitStatus.USER_ERROR
    except KeyboardInterrupt:
        error("interrupted.")
        return ExitStatus.CANCELLED
    except BrokenPipeError:  # `aipcprof devices | head`
        return ExitStatus.OK
