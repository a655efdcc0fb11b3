"""`aipcprof quantize MODEL --out OUT.onnx --calib DIR [--scheme ...]`: a quantised copy (docs/quantize.md)."""

from __future__ import annotations

import argparse
import sys

from app.common.errors import ExitStatus, UserError
from app.common.fmt import fmt_ms
from app.common.text import terminal_safe

SCHEMES = ["u8s8", "s8s8", "u8u8", "qnn-u8u8", "qnn-u16u8", "dynamic"]
NNCF_HINT = ("--engine nncf: NNCF is not installed in this Python; install it with `pip install nncf` "
             "(it quantises for OpenVINO targets), or use --engine ort.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="path to a float .onnx model")
    p.add_argument("--out", "-o", required=True, metavar="OUT.onnx", help="where to write the quantised model")
    p.add_argument("--calib", metavar="DIR", help="folder of calibration samples, read as `eval --data`: one .npy "
                                                  "(or .npz keyed by input name) per sample, or images with "
                                                  "--preprocess; needed by every static scheme")
    p.add_argument("--preprocess", metavar="RECIPE", help="--calib images: resize=224,crop=224,mean=0.485/0.456/0.406,"
                                                          "std=0.229/0.224/0.225,layout=NCHW,color=RGB,scale=1/255 "
                                                          "(the recipe you eval with)")
    p.add_argument("--scheme", choices=SCHEMES, default="u8s8",
                   help="activations/weights: u8s8 (default, ONNX Runtime CPU), s8s8, u8u8, qnn-u8u8, "
                        "qnn-u16u8 (QNN HTP, 16-bit activations), dynamic (no calibration)")
    p.add_argument("--per-channel", action="store_true", help="per-channel weight scales")
    p.add_argument("--synthetic-calib", type=int, metavar="N", default=0,
                   help="calibrate on N seeded random samples instead of --calib (a smoke test: the scales "
                        "will not fit real data; the model's metadata says so)")
    p.add_argument("--engine", choices=["ort", "nncf"], default="ort",
                   help="ort: ONNX Runtime's tools (default); nncf: OpenVINO's NNCF, where installed")


def run(args: argparse.Namespace) -> ExitStatus:
    from app.engines.child import ChildFailed
    from app.engines.quantize import Scheme, check_quantizable, quantize
    from app.model.calibration import open_calibration
    from app.model.model_file import check_model_file
    from app.record.io import check_writable

    if args.engine == "nncf":
        _check_nncf()
    scheme = Scheme(args.scheme)
    check_model_file(args.model)
    out = check_writable(args.out, "--out")
    specs = check_quantizable(args.model, out)
    calib = _calibration(args, scheme, specs, open_calibration)
    try:
        result = quantize(args.model, out, scheme, calib, args.synthetic_calib, args.per_channel, _Progress())
    except ChildFailed as e:
        print(f"aipcprof: {terminal_safe(str(e))}", file=sys.stderr)
        return ExitStatus.RUN_FAILED
    nodes = (f"{result.qoperator_nodes} quantised operators" if result.format == "QOperator" else
             f"{result.quantize_nodes} QuantizeLinear / {result.dequantize_nodes} DequantizeLinear")
    print(terminal_safe(f"quantised {result.model} -> {result.out} ({result.scheme}, {result.format}: {nodes}) "
                        f"in {fmt_ms(result.seconds, compact=True)}; calibration: {result.calibration}"))
    return ExitStatus.OK


def _calibration(args: argparse.Namespace, scheme, specs, open_folder):
    if args.synthetic_calib < 0:
        raise UserError(f"--synthetic-calib {args.synthetic_calib}: must be a positive count.")
    if not scheme.static:
        if args.calib or args.synthetic_calib or args.preprocess:
            raise UserError("--scheme dynamic calibrates nothing: drop --calib / --synthetic-calib / --preprocess.")
        return None
    if args.calib and args.synthetic_calib:
        raise UserError("--calib and --synthetic-calib both given: pick one.")
    if args.preprocess and not args.calib:
        raise UserError("--preprocess without --calib: the recipe is for calibration images.",
                        hint="Pass --calib DIR (a folder of images), or drop --preprocess.")
    if args.calib:
        return open_folder(args.calib, specs, args.preprocess)
    if not args.synthetic_calib:
        raise UserError(f"--scheme {scheme.value} needs calibration data: pass --calib DIR (one .npy/.npz "
                        f"sample per file, or images with --preprocess, from your real data).",
                        hint="Or --scheme dynamic (no calibration), or --synthetic-calib N for a smoke test.")
    print(f"aipcprof: warning: calibrating on {args.synthetic_calib} SYNTHETIC random samples, not real data: "
          f"the quantisation scales will not fit real inputs (recorded in the model's metadata).", file=sys.stderr)
    return None


def _check_nncf() -> None:
    import importlib.util

    if importlib.util.find_spec("nncf") is None:
        raise UserError(NNCF_HINT)
    raise UserError("--engine nncf: NNCF is installed but this version of the profiler does not drive it yet.",
                    hint="Use --engine ort, or NNCF's own nncf.quantize() on the model.")


class _Progress:
    """One progress line on stderr: rewritten in place on a terminal, every 10% otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown: tuple[str, int] | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        key = (label, done * 10 // max(total, 1))
        if not self.tty and key == self.shown:
            return
        self.shown = key
        end = "\r" if self.tty and done < total else "\n"
        print(f"  {label}: {done}/{total}", end=end, file=sys.stderr, flush=True)
