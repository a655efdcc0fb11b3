"""`aipcprof eval` throughput on ort/cpu vs a bare loop over the same preprocessed arrays (docs/accuracy.md).

Goal (issue 13): eval throughput within 10% of a bare `session.run` loop over
the same arrays, already in memory. The bare loop runs on a session opened as
the eval's worker opens it (the app's options: free dims fixed to the data's
shape, ...), so the ratio is the cost of the eval's loop; a loop on a session
with ONNX Runtime's defaults ("plain") is printed too. Two throughputs are compared per case:

* inference: samples / the sum of the per-inference latencies (the record's
  1 / mean latency; the bare loop times each call with the same two clock reads);
* wall: samples / the wall time of the loop: the eval's measure phase (the
  data set is read into memory before it, in the `data` phase, as the bare
  loop has its arrays in memory before its clock starts). The eval's `data`
  phase is printed too: what reading the .npy files costs.

Cases: the digits MLP of tests/accuracy_data.py (~7 us per inference: the
app's per-sample overhead shows) on its 360 held-out samples written 10 times
over, and tests/model_zoo.py's conv_net at 128x128 (~1 ms per inference) with
200 random samples. Rounds alternate bare / eval. Two summaries: the median of
the rounds' ratios, and the best eval round against the best bare round (on a
shared, loaded machine the best rounds are the least disturbed: the
overhead of the app shows there, the neighbours' load does not). Last, the
loop alone in this process: Evaluation.measure against the bare loop on one
session, 40 short rounds interleaved, the fastest of each (us per sample).

    python benchmarks/eval_speed.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT  # noqa: F401 - puts the repository on sys.path

DIGITS_COPIES = 10


def _plain_session(model: Path, data: Path, labels: Path | None, task: str):
    """ONNX Runtime's defaults: what a script of one's own would open."""
    import onnxruntime as ort

    return ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])


def _app_session(model: Path, data: Path, labels: Path | None, task: str):
    """The session the eval's worker opens (the app's options: fixed free dims, ...), opened the same way."""
    from app.engines.base import SessionSettings
    from app.engines.registry import engine_for, find_target
    from app.run.prepare import prepare_run

    spec = _spec(model, data, labels, task)
    prepared = prepare_run(spec)
    target = find_target("ort/cpu")
    return engine_for(target).open(str(model), target, SessionSettings(
        dim_overrides=prepared.dim_overrides, input_shapes=prepared.input_shapes)).sess


def bare(sess, arrays: list[np.ndarray], name: str) -> tuple[float, float]:
    """The bare loop: the same two clock reads around each call as the eval, nothing else."""
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


def _spec(model: Path, data: Path, labels: Path | None, task: str):
    from app.run.eval_setup import eval_run_spec
    from app.run.eval_spec import EvalSpec
    from app.run.runspec import RunSpec

    return eval_run_spec(RunSpec(model_path=str(model), target_id="ort/cpu", warmup=3),
                         EvalSpec(task=task, data=str(data), labels=str(labels) if labels else None))


def app_eval(model: Path, data: Path, labels: Path | None, task: str) -> tuple[float, float, float]:
    from _common import _run

    r = _run(_spec(model, data, labels, task))
    if r.status.value != "completed":
        raise SystemExit(f"eval failed: {r.error}")
    return r.latency.throughput_per_s, r.latency.count / r.phases["measure"].seconds, r.phases["data"].seconds


class _NoPipe:
    def send(self, _message) -> None:  # the worker's pipe: latency batches go nowhere here
        pass


def loop_cost(model: Path, data: Path, labels: Path | None, task: str, rounds: int = 40) -> tuple[float, float]:
    """In this process, the eval's measured loop (Evaluation.measure on the app's session, the arrays already
    read) against the bare loop on the same session, interleaved `rounds` times: the fastest round of each,
    in us per sample. Short rounds, the minimum: the least disturbed by a loaded machine."""
    from app.engines.base import SessionSettings
    from app.engines.registry import engine_for, find_target
    from app.run.eval_loop import Evaluation
    from app.run.prepare import prepare_run

    spec = _spec(model, data, labels, task)
    prepared = prepare_run(spec)
    target = find_target("ort/cpu")
    session = engine_for(target).open(str(model), target, SessionSettings(
        dim_overrides=prepared.dim_overrides, input_shapes=prepared.input_shapes))
    clock = time.perf_counter_ns
    eval_ns, bare_ns = [], []
    for _ in range(rounds):
        ev = Evaluation(spec, _NoPipe(), lambda: False)
        ev.read_ahead(session)
        feeds = [item[1] for item in ev._ready]
        t0 = clock()
        ev.measure(session)
        eval_ns.append((clock() - t0) / len(feeds))
        lat = []
        t0 = clock()
        for f in feeds:  # the same two clock reads and one append per call as the bare() loop
            t1 = clock()
            session.sess.run(None, f)
            lat.append(clock() - t1)
        bare_ns.append((clock() - t0) / len(feeds))
    return min(eval_ns) / 1e3, min(bare_ns) / 1e3


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
    """The held-out digits, written DIGITS_COPIES times over (labels too): 3,600 inferences of ~7 us make a
    measured loop of ~25 ms, long enough to time; 360 alone are ~3 ms, within the noise of one scheduler tick."""
    from tests import accuracy_data

    model, digits, _ = accuracy_data.build(folder / "digits")
    data = folder / "digits" / "copies"
    data.mkdir()
    arrays, rows = [], ["file,label"]
    for k in range(DIGITS_COPIES):
        for i, (x, y) in enumerate(zip(digits.x_test, digits.y_test, strict=True)):
            a = x.reshape(1, 8, 8).astype(np.float32)
            np.save(data / f"{k:02d}_{i:04d}.npy", a)
            arrays.append(a[None])
            rows.append(f"{k:02d}_{i:04d}.npy,{int(y)}")
    labels = folder / "digits" / "copies.csv"
    labels.write_text("\n".join(rows) + "\n")
    return model, data, labels, "classification", arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aipcprof-eval-bench-"))
    print("inferences/s; wall: the loop's samples / its wall time; inf: samples / the sum of the timed calls")
    print("case      round  plain wall  app-session inf  wall   eval inf   wall   eval/app-session inf  wall  "
          "eval/plain wall  eval data phase")
    for label, build, name in (("digits", digits_case, "x"), ("conv128", conv_case, "image")):
        case = build(folder)
        arrays = case[4]
        plain, same = _plain_session(*case[:4]), _app_session(*case[:4])
        rows = []
        for i in range(args.rounds):
            p_inf, p_wall = bare(plain, arrays, name)
            b_inf, b_wall = bare(same, arrays, name)
            e_inf, e_wall, e_data = app_eval(*case[:4])
            rows.append((p_wall, b_inf, b_wall, e_inf, e_wall))
            print(f"{label:9} {i:5}  {p_wall:10,.0f}  {b_inf:15,.0f} {b_wall:6,.0f}  {e_inf:9,.0f} {e_wall:6,.0f}   "
                  f"{e_inf / b_inf:19.2f} {e_wall / b_wall:5.2f}  {e_wall / p_wall:15.2f}  {e_data * 1e3:,.0f} ms")
        r = np.asarray(rows)
        med = np.median(r[:, 3] / r[:, 1]), np.median(r[:, 4] / r[:, 2]), np.median(r[:, 4] / r[:, 0])
        best = r.max(axis=0)
        e_us, b_us = loop_cost(*case[:4])
        print(f"{label:9} in-process loop, fastest of 40 rounds: eval {e_us:.2f} us/sample, bare {b_us:.2f} "
              f"us/sample, eval throughput / bare {b_us / e_us:.2f}")
        print(f"{label:9} eval/app-session, median of the rounds: inference {med[0]:.2f}, wall {med[1]:.2f}; best "
              f"round vs best round: inference {best[3] / best[1]:.2f}, wall {best[4] / best[2]:.2f}. "
              f"eval/plain ORT wall: median {med[2]:.2f}, best {best[4] / best[0]:.2f}")


if __name__ == "__main__":
    main()
