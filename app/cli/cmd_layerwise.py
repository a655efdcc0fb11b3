"""`aipcprof layerwise MODEL --target ID`: per-tensor SQNR against a reference, and the first tensor that breaks."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict

from app.common.errors import ExitStatus, UserError
from app.common.text import terminal_safe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="the model to check (e.g. a quantised one)")
    p.add_argument("--target", "-t", required=True, help="target id the model runs on (`aipcprof devices`)")
    p.add_argument("--reference", default="ort/cpu", metavar="ID", help="target of the reference (default ort/cpu)")
    p.add_argument("--reference-model", metavar="FLOAT.onnx",
                   help="run this model as the reference (the float original of a quantised MODEL); "
                        "default: MODEL itself")
    p.add_argument("--input", action="append", metavar="NAME=FILE.npy",
                   help="the sample to feed (default: a seeded synthetic input, said in the output)")
    p.add_argument("--threshold-sqnr", type=float, default=20.0, metavar="DB",
                   help="a tensor below this SQNR (dB) counts as broken (default 20)")
    p.add_argument("--all", action="store_true", help="list every tensor (default: up to the first broken one + 5)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.child import ChildFailed
    from app.engines.registry import find_target
    from app.model.inputs import parse_input_options
    from app.model.model_file import check_model_file
    from app.run.layerwise import compare

    check_model_file(args.model)
    if args.reference_model:
        check_model_file(args.reference_model)
    for target_id in (args.target, args.reference):
        target = find_target(target_id)
        if not target.ready:
            raise UserError(f"target {target.id} is not available here: {target.reason}.", hint=target.fix)
    try:
        result = compare(args.model, args.target, args.reference, args.reference_model or "",
                         parse_input_options(args.input), args.threshold_sqnr)
    except ChildFailed as e:
        print(f"aipcprof: {terminal_safe(str(e))}", file=sys.stderr)
        return ExitStatus.RUN_FAILED
    if not result.rows:
        raise UserError(f"{args.model}: no intermediate tensor matched between the two runs ({result.unmatched} "
                        f"unmatched).", hint="--reference-model must be the model MODEL was made from.")
    if args.json:
        print(json.dumps(asdict(result), indent=1))
    else:
        print("\n".join(terminal_safe(line) for line in format_layerwise(result, args.all)))
    return ExitStatus.OK


def _db(value: float) -> str:
    return "identical" if value == math.inf else f"{value:.1f} dB"


def format_layerwise(result, show_all: bool = False) -> list[str]:
    ref = result.reference if result.reference_model == result.model else \
        f"{result.reference_model} on {result.reference}"
    sources = "; ".join(f"{n}: {s}" for n, s in result.input_sources.items())
    lines = [f"{result.model} on {result.target} vs {ref}; input {sources}",
             f"{len(result.rows)} tensors compared in graph order"
             + (f" ({result.unmatched} without a counterpart skipped)" if result.unmatched else "")]
    width = min(max(len(r.tensor) for r in result.rows), 40)
    end = len(result.rows) if show_all or result.first_bad is None else min(len(result.rows), result.first_bad + 6)
    lines.append(f"  {'tensor':<{width}}  {'op':<18}{'SQNR':>11}  {'cosine':>8}  {'max |err|':>10}")
    for i, r in enumerate(result.rows[:end]):
        mark = "  <- first below" if i == result.first_bad else ""
        cos = "n/a" if math.isnan(r.cosine) else f"{r.cosine:.5f}"
        lines.append(f"  {r.tensor[:width]:<{width}}  {r.op[:17]:<18}{_db(r.sqnr_db):>11}  {cos:>8}  "
                     f"{r.max_abs:>10.4g}{mark}")
    if end < len(result.rows):
        lines.append(f"  ... {len(result.rows) - end} more (--all lists them)")
    if result.first_bad is None:
        lines.append(f"every tensor is at or above {result.threshold_db:g} dB SQNR")
    else:
        r = result.rows[result.first_bad]
        lines.append(f"first tensor below {result.threshold_db:g} dB: {r.tensor} (output of {r.op} node "
                     f"{r.node or '(unnamed)'}), SQNR {_db(r.sqnr_db)}")
    return lines
