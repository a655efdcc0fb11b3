"""Sum of per-operator times (--op-profile) against the timed p50 of the same run, per model and target.

The operator profile runs in a separate session after the timed loop; its
per-inference op sum (median over the profiled inferences) should be close
to the timed p50 on the CPU targets (goal, issue 12: within 15%). The
difference is what the runtime does outside its kernels (framework overhead,
copies, thread wake-ups) plus the profiler's own cost and the machine's noise
between the two sessions.

    python benchmarks/op_profile_sum.py [--iterations 300] [--targets ort/cpu,ov/cpu,ort/qnn/htp-emulator]

Prints one row per (model, target): p50, op sum, sum / p50, the gap, the
profiling session's own mean wall time per inference with the mean op sum's
share of it (this one compares within one session, so load swings between the
timed and the profiling session do not enter it), and the three slowest op types. The QNN HTP emulator's times are emulator times (only
its per-op cycles and shares describe the HTP), so its row is printed, not judged.
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, app_run, build_model

from app.record import ops

GOAL = 0.15  # |sum / p50 - 1| on ort/cpu and ov/cpu
CPU_TARGETS = ("ort/cpu", "ov/cpu")


def models() -> list[tuple[str, object, dict]]:
    return [("sample_model", ROOT / "resources" / "sample_model.onnx", {}),
            ("conv_net 32ch 128px", build_model("conv_net", channels=32, size=128), {}),
            ("transformer_block seq 128", build_model("transformer_block"), {"dims": {"seq": 128}})]


def row(name: str, model, target: str, iterations: int, extra: dict) -> str:
    emulated = "emulator" in target
    n, warmup = (5, 2) if emulated else (iterations, 20)
    r = app_run(model, target, n, warmup=warmup, op_profile=True, **extra)
    p = r.op_profile
    if not p.available:
        return f"| {name} | {target} | {r.latency.p50 * 1e3:.3f} ms | unavailable: {p.reason} | | | | |"
    ops_s = ops.ops_time_for_gap(p)  # median inference's op sum; OpenVINO: the mean (running means only)
    ratio = ops_s / r.latency.p50
    verdict = "(emulator: not judged)" if emulated else ("ok" if abs(ratio - 1) <= GOAL else "OUTSIDE 15%")
    types = ", ".join(f"{g.key} {g.share:.0%}" for g in p.by_type[:3])
    wall = p.profiled_inference_s
    return (f"| {name} | {target} | {r.latency.p50 * 1e3:.3f} ms | {ops_s * 1e3:.3f} ms | {ratio:.3f} {verdict} | "
            f"{p.gap_s * 1e3:+.3f} ms | {wall * 1e3:.3f} ms ({p.sum_of_ops_s / wall:.2f}) | {types} |")


def ort_profiler_cost(rounds: int = 3, runs: int = 300) -> None:
    """ONNX Runtime's own profiler cost: one session with and one without enable_profiling, alternated."""
    import json
    import statistics
    import tempfile

    import numpy as np
    import onnxruntime as ort

    model = str(build_model("transformer_block"))
    feeds = {"x": np.random.default_rng(0).random((1, 128, 64), dtype=np.float32)}
    walls: dict[bool, list[float]] = {False: [], True: []}
    nodes = 0
    for _ in range(rounds):
        for profiling in (False, True):
            so = ort.SessionOptions()
            so.add_free_dimension_override_by_name("seq", 128)
            if profiling:
                so.enable_profiling, so.profile_file_prefix = True, tempfile.mkdtemp() + "/t"
            sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
            for _ in range(50):
                sess.run(None, feeds)
            w = []
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                sess.run(None, feeds)
                w.append(time.perf_counter_ns() - t0)
            walls[profiling].append(statistics.median(w) / 1e3)
            if profiling:
                with open(sess.end_profiling()) as f:
                    nodes = len({e["name"] for e in json.load(f) if e.get("cat") == "Node"})
    off, on = statistics.median(walls[False]), statistics.median(walls[True])
    print(f"\nORT profiler cost, transformer_block seq 128 on the CPU EP ({nodes} nodes): median wall "
          f"{off:.1f} us without, {on:.1f} us with enable_profiling ({(on - off) / nodes:+.1f} us per node; "
          f"rounds: {', '.join(f'{a:.0f}/{b:.0f}' for a, b in zip(walls[False], walls[True], strict=True))} us)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--targets", default="ort/cpu,ov/cpu,ort/qnn/htp-emulator")
    ap.add_argument("--threads", type=int, help="intra-op threads for both sessions (default: the runtime's)")
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}: op sum (median profiled inference) vs timed p50")
    ap_threads = {"threads": args.threads} if args.threads else {}
    print("| model | target | timed p50 | op sum (median; ov: mean) | sum / p50 | gap (p50 - sum) | profiled wall (mean sum / it) "
          "| top op types |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model, extra in models():
        for target in args.targets.split(","):
            print(row(name, model, target, args.iterations, {**extra, **ap_threads}), flush=True)
    if "ort/cpu" in args.targets.split(","):
        ort_profiler_cost()


if __name__ == "__main__":
    main()
