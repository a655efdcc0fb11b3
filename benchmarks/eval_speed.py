"""`aipcprof eval` throughput on ort/cpu vs a bare loop over the same preprocessed arrays (docs/accuracy.md).

Goal (issue 13): eval throughput within 10% of a bare `session.run` loop over
the same arrays, already in memory. Two throughputs are compared per case:

* inference: samples / the sum of the per-inference latencies (the record's
  1 / mean latency; the bare loop times each call with the same two clock reads);
* wall: samples / the wall time of the loop: the eval's measure phase (the
  data set is read into memory before it, in the `data` phase, as the bare
  loop has its arrays in memory before its clock starts). The eval's `data`
  phase is printed too: what reading the .npy files costs.

Cases: the digits MLP of tests/accuracy_data.py (~10 us per inference: the
app's per-sample overhead shows) and tests/model_zoo.py's conv_net at 128x128
(~1 ms per inference) with 200 random samples. Rounds alternate bare / eval.

    python benchmarks/eval_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT  # noqa: F401 - puts the repository on sys.path


def bare(model: Path, arrays: list[np.ndarray], name: str) -> tuple[float, float]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    for a in arrays[:3]:
        sess.run(None, {name: a})
    clock = time.perf_counter_ns
    lat = np.empty(len(arrays), np.int64)
    w0 = clock()
    for i, a in enumerate(arrays):
        t0 = clock()
        sess.run(None, {name: a})
        lat[i] = clock() - t0
    wall = clock() - w0
    return len(arrays) / (lat.sum() / 1e9), len(arrays) / (wall / 1e9)


def app_eval(model: Path, data: Path, labels: Path | None, task: str) -> tuple[float, float, float]:
    from _common import _run

    from app.run.eval_setup import eval_run_spec
    from app.run.eval_spec import EvalSpec
    from app.run.runspec import RunSpec

    spec = eval_run_spec(RunSpec(model_path=str(model), target_id="ort/cpu", warmup=3),
                         EvalSpec(task=task, data=str(data), labels=str(labels) if labels else None))
    r = _run(spec)
    if r.status.value != "completed":
        raise SystemExit(f"eval failed: {r.error}")
    return r.latency.throughput_per_s, r.latency.count / r.phases["measure"].seconds, r.phases["data"].seconds


def conv_case(folder: Path) -> tuple[Path, Path, None, str, list[np.ndarray]]:
    from tests import model_zoo

    model = model_zoo.save(model_zoo.conv_net(size=128), folder, "conv_net")
    data = folder / "conv_data"
    data.mkdir()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((1, 3, 128, 128)).astype(np.float32) for _ in range(200)]
    for i, a in enumerate(arrays):
        np.save(data / f"{i:04d}.npy", a)
    return model, data, None, "agreement", arrays  # agreement with itself: no reference run, no labels


def digits_case(folder: Path) -> tuple[Path, Path, Path, str, list[np.ndarray]]:
    from tests import accuracy_data

    model, _, _ = accuracy_data.build(folder / "digits")
    data = folder / "digits" / "arrays"
    arrays = [np.load(p)[None] for p in sorted(data.glob("*.npy"))]
    return model, data, folder / "digits" / "labels.csv", "classification", arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aipcprof-eval-bench-"))
    print("case      round  bare inf/s  eval inf/s  ratio   bare wall/s  eval wall/s  ratio   eval data phase")
    for label, build, name in (("digits", digits_case, "x"), ("conv128", conv_case, "image")):
        model, data, labels, task, arrays = build(folder)
        ratios = []
        for i in range(args.rounds):
            b_inf, b_wall = bare(model, arrays, name)
            e_inf, e_wall, e_data = app_eval(model, data, labels, task)
            ratios.append((e_inf / b_inf, e_wall / b_wall))
            print(f"{label:9} {i:5}  {b_inf:10,.0f}  {e_inf:10,.0f}  {e_inf / b_inf:5.2f}   "
                  f"{b_wall:11,.0f}  {e_wall:11,.0f}  {e_wall / b_wall:5.2f}   {e_data * 1e3:,.0f} ms")
        inf, wall = np.median(ratios, axis=0)
        print(f"{label:9} median ratio eval/bare: inference {inf:.2f}, wall {wall:.2f}")


if __name__ == "__main__":
    main()
