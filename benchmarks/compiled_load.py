"""Session creation of a model vs its compiled (EP-context) copy, on the QNN HTP emulator.

For each model: `aipcprof compile`'s own measurement (ModelCompiler, then the uncompiled
and the compiled model's InferenceSession creation, best of --repeat, in one process
after the compile so the EP's one-time start-up is paid by neither), and the same
through `aipcprof run` (each in a fresh worker: the record's compile phase, which
also pays the EP's one-time start-up). Prints the ratio uncompiled / compiled, which is what to
compare across machines; the seconds depend on the machine and its load.

    python benchmarks/compiled_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import ROOT, app_run  # noqa: F401 - ROOT puts the repository on sys.path

TARGET = "ort/qnn/htp-emulator"


def models(folder: Path) -> dict[str, Path]:
    from tests import model_zoo
    from tests.corpus import models as corpus

    return {"conv_net (11 nodes, 64x64)": model_zoo.save(model_zoo.conv_net(), folder, "conv_net"),
            "htp_big_float (fp16 detector, 128x128)": corpus.save(corpus.htp_big_float(), folder, "htp_big_float")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="session creations per model, fastest kept")
    args = parser.parse_args()
    from app.engines.base import SessionSettings
    from app.engines.ort_compile import compile_model
    from app.engines.registry import find_target
    from app.record.schema import Phase

    target = find_target(TARGET)
    folder = Path(tempfile.mkdtemp(prefix="aipcprof-compiled-"))
    print(f"{'model':40} {'compile':>9} {'uncompiled':>11} {'compiled':>9} {'ratio':>7}   app run: uncompiled / compiled")
    for name, path in models(folder).items():
        out = folder / f"{path.stem}_ctx.onnx"
        r = compile_model(str(path), target, SessionSettings(), out, embed=False, repeats=args.repeat)
        plain = app_run(path, TARGET, iterations=3, warmup=0)
        compiled = app_run(out, TARGET, iterations=3, warmup=0)
        plain_s, compiled_s = plain.phase(Phase.COMPILE).seconds, compiled.phase(Phase.COMPILE).seconds
        print(f"{name:40} {r.compile_s * 1e3:7.1f}ms {r.uncompiled_load_s * 1e3:9.1f}ms "
              f"{r.compiled_load_s * 1e3:7.1f}ms {r.uncompiled_load_s / r.compiled_load_s:6.1f}x   "
              f"{plain_s * 1e3:.1f} ms / {compiled_s * 1e3:.1f} ms ({plain_s / compiled_s:.1f}x; "
              f"its session creation {compiled.session.compiled.load_s * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
