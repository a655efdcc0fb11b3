"""`aipcprof inspect MODEL`: the model card (inputs, ops, precision, parameters, MACs)."""

from __future__ import annotations

import argparse
import json

from app.common.errors import ExitStatus


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file")
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N",
                   help="bind a symbolic dim (e.g. seq=128) so MACs can be counted")
    p.add_argument("--shape", action="append", metavar="INPUT=d0,d1,..", help="an input's whole shape")
    p.add_argument("--no-sha256", action="store_true", help="skip hashing the model file (faster on big files)")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.model.inputs import parse_dim_options, parse_shape_options
    from app.model.model_card import format_card, inspect_model

    card = inspect_model(args.model, dims=parse_dim_options(args.dim), shapes=parse_shape_options(args.shape),
                         with_sha256=not args.no_sha256)
    print(json.dumps(card.to_dict(), indent=1) if args.json else format_card(card))
    return ExitStatus.OK
