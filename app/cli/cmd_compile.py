"""`aipcprof compile MODEL --target ID --out OUT.onnx`: an EP-context model, compiled ahead of time.

Runs ONNX Runtime's ModelCompiler for the target's EP, then times the session
creation of the uncompiled and of the compiled model and writes both, with the
compile time, into the compiled model's metadata (`aipcprof.compile.*`). A later
`aipcprof run OUT.onnx` records the cache hit and the load time it saved.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from app.common.errors import ExitStatus
from app.common.fmt import fmt_bytes, fmt_ms, fmt_speedup
from app.common.text import terminal_safe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="path to an .onnx file")
    p.add_argument("--target", "-t", required=True, help="target id from `aipcprof devices` whose EP compiles")
    p.add_argument("--out", "-o", required=True, metavar="OUT.onnx", help="where to write the compiled model")
    p.add_argument("--embed", action="store_true",
                   help="put the compiled context inside OUT.onnx (default: a binary file beside it)")
    p.add_argument("--dim", action="append", metavar="SYMBOL=N", help="bind a symbolic dim (NPUs compile static shapes)")
    p.add_argument("--ep-option", action="append", metavar="KEY=VALUE", help="execution-provider option")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="time each model's session creation N times and keep the fastest (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.base import SessionSettings
    from app.engines.ort_compile import compile_model
    from app.engines.registry import find_target
    from app.model.model_file import check_model_file
    from app.record.io import check_writable
    from app.run.spec_builder import OptionError, parse_dims, parse_key_values

    if args.repeat < 1:
        raise OptionError("repeat", f"--repeat {args.repeat}: must be at least 1.", hint="Example: --repeat 3")
    check_model_file(args.model)
    out = check_writable(args.out, "--out")
    target = find_target(args.target)
    settings = SessionSettings(ep_options=parse_key_values(args.ep_option), dim_overrides=parse_dims(args.dim))
    result = compile_model(args.model, target, settings, out, args.embed, repeats=args.repeat)
    if args.json:
        print(json.dumps({**asdict(result), "saved_s": result.saved_s}, indent=1))
        return ExitStatus.OK
    where = "inside the model" if result.embed else "in a file beside it"
    ratio = result.uncompiled_load_s / result.compiled_load_s if result.compiled_load_s > 0 else None
    lines = [f"compiled {result.model} for {result.target} ({', '.join(result.eps)}) in "
             f"{fmt_ms(result.compile_s, compact=True)}: {result.out} (context {where})",
             f"  session creation: uncompiled {fmt_ms(result.uncompiled_load_s, compact=True)}, compiled "
             f"{fmt_ms(result.compiled_load_s, compact=True)} ({fmt_speedup(ratio)} faster; best of {args.repeat})"]
    lines += [f"  wrote {path} ({fmt_bytes(_size(path))})" for path in result.files]
    lines += [f"  ONNX Runtime compatibility info for {ep}: {info}" for ep, info in result.compatibility_info.items()]
    print("\n".join(terminal_safe(line) for line in lines))
    return ExitStatus.OK


def _size(path: str) -> int | None:
    import os

    try:
        return os.path.getsize(path)
    except OSError:
        return None
