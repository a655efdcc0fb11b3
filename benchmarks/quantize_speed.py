"""fp32 model -> `aipcprof quantize` -> speed on ort/cpu, ov/cpu, ort/qnn/htp-emulator, and SQNR vs fp32.

Builds tests/model_zoo.py's conv_net (wider and larger than the tests'), writes 32
calibration and 8 held-out samples, quantises it with the CLI (u8s8 for the CPUs,
qnn-u16u8 and qnn-u8u8 for the HTP), then profiles every model on every target with the
app's own engine (spawned worker, `aipcprof run`'s path) and prints p50 and the ratio
fp32 p50 / quantised p50 measured in the same run (what to compare across machines), and
the quantised model's output SQNR against the fp32 model on ort/cpu over the held-out
samples. The HTP emulator simulates the NPU on the x86 CPU: its times are not the NPU's.

    python benchmarks/quantize_speed.py [--iterations 200] [--emulator-iterations 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from _common import ROOT, app_run  # noqa: F401 - ROOT puts the repository on sys.path

CPU_TARGETS = ("ort/cpu", "ov/cpu")
EMULATOR = "ort/qnn/htp-emulator"
SCHEMES = {"u8s8": CPU_TARGETS, "qnn-u16u8": (EMULATOR,), "qnn-u8u8": (EMULATOR,)}
SHAPE = (1, 3, 96, 96)


def build(folder: Path) -> tuple[Path, list[np.ndarray]]:
    from tests import model_zoo

    model = model_zoo.save(model_zoo.conv_net(channels=64, size=SHAPE[2]), folder, "conv_fp32")
    r = np.random.default_rng(0)
    (folder / "calib").mkdir()
    for i in range(32):
        np.save(folder / "calib" / f"s{i:02d}.npy", r.random(SHAPE, np.float32))
    return model, [r.random(SHAPE, np.float32) for _ in range(8)]


def quantise(model: Path, folder: Path) -> dict[str, Path]:
    from app.cli import main

    out = {}
    for scheme in SCHEMES:
        out[scheme] = folder / f"conv_{scheme}.onnx"
        if main(["quantize", str(model), "--out", str(out[scheme]), "--calib", str(folder / "calib"),
                 "--scheme", scheme]) != 0:
            raise SystemExit(f"quantize --scheme {scheme} failed")
    return out


def sqnr(model: Path, quantised: Path, samples: list[np.ndarray], target: str) -> float:
    from app.engines.base import SessionSettings
    from app.engines.registry import engine_for, find_target
    from app.run.layerwise import sqnr_db

    def outputs(path: Path, tid: str) -> np.ndarray:
        t = find_target(tid)
        s = engine_for(t).open(str(path), t, SessionSettings())
        return np.concatenate([s.run({"image": x})[0] for x in samples])

    return sqnr_db(outputs(model, "ort/cpu"), outputs(quantised, target))


def p50(model: Path, target: str, iterations: int) -> float:
    record = app_run(model, target, iterations, warmup=min(20, iterations))
    return float(record.latency.p50)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--emulator-iterations", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aipcprof-quant-bench-"))
    model, held_out = build(folder)
    quantised = quantise(model, folder)
    print(f"\nconv_net 64 channels, input {list(SHAPE)}; p50 per inference (app worker), ratio = fp32 / quantised")
    print(f"{'target':<22}{'scheme':<11}{'fp32 p50':>10}{'quant p50':>11}{'ratio':>8}{'SQNR vs fp32':>14}")
    for scheme, targets in SCHEMES.items():
        for target in targets:
            n = args.emulator_iterations if target == EMULATOR else args.iterations
            base, quant = p50(model, target, n), p50(quantised[scheme], target, n)
            db = sqnr(model, quantised[scheme], held_out, target)
            print(f"{target:<22}{scheme:<11}{base * 1e3:>8.2f}ms{quant * 1e3:>9.2f}ms{base / quant:>7.2f}x"
                  f"{db:>11.1f} dB")


if __name__ == "__main__":
    main()
