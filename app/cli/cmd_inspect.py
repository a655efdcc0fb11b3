"""`aipcprof inspect MODEL`: the model card (inputs, ops, precision, parameters, MACs)."""

from __future__ import annotations

import argparse
import json

from app.common.errors import ExitStatus


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file, or a generative model folder "
                                                  "(genai_config.json, or an OpenVINO IR LLM folder: its card; "
                                                  "docs/genai.md)")
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N",
                   help="bind a symbolic dim (e.g. seq=128) so MACs can be counted")
    p.add_argument("--shape", action="append", metavar="INPUT=d0,d1,..", help="an input's whole shape")
    p.add_argument("--no-sha256", action="store_true", help="skip hashing the model file (faster on big files)")


def run(args: argparse.Namespace) -> ExitStatus:
    from pathlib import Path

    from app.model.inputs import parse_dim_options, parse_shape_options
    from app.model.model_card import format_card, inspect_model
    from app.model.ov_genai_folder import ov_genai_folder_of

    if Path(args.model).is_dir() or Path(args.model).name == "genai_config.json":  # the .onnx inside: as ONNX
        return _genai_card(args)
    if ov_genai_folder_of(args.model) is not None:  # an .xml of an OpenVINO IR LLM folder: the folder's card
        return _genai_card(args)
    card = inspect_model(args.model, dims=parse_dim_options(args.dim), shapes=parse_shape_options(args.shape),
                         with_sha256=not args.no_sha256)
    print(json.dumps(card.to_dict(), indent=1) if args.json else format_card(card))
    return ExitStatus.OK


def _genai_card(args: argparse.Namespace) -> ExitStatus:
    from dataclasses import asdict

    from app.common.text import terminal_safe
    from app.model.genai_folder import open_genai_folder
    from app.model.ov_genai_folder import is_ov_genai_path, open_ov_genai_folder
    from app.record.genai_schema import GenAIModel
    from app.report.genai_text import card_line, stage_lines

    card = open_ov_genai_folder(args.model).card if is_ov_genai_path(args.model) else open_genai_folder(args.model).card
    if args.json:
        print(json.dumps(asdict(card), indent=1))
    else:
        print(terminal_safe(card.folder))
        model = GenAIModel.from_json(asdict(card), "card")
        for line in (card_line(model), *stage_lines(model)):
            print(terminal_safe(line))
    return ExitStatus.OK
