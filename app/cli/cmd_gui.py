"""`aipcprof gui [MODEL] [--target ID] [--run] [--screenshot PNG] [--quit]`: the desktop app."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", metavar="MODEL", help="open this .onnx file")
    p.add_argument("--target", help="preselect this target id")
    p.add_argument("--run", action="store_true", help="start the run right away")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window when the run ends")
    p.add_argument("--quit", action="store_true", help="quit after the run (and screenshot)")


def run(args: argparse.Namespace) -> int:
    from app.gui import run_gui  # the only path from the CLI into Qt

    return run_gui(model=args.model, target=args.target, start=args.run, screenshot=args.screenshot,
                   quit_after=args.quit)
