"""Does evaluating a folder of images stall the desktop app? (issue 13: "decoding images does not stall the GUI")

The real window on ort/cpu, driven as a user drives it: the Accuracy tab's Evaluate over
a folder of JPEGs (640 x 480, decoded, resized to 256, centre-cropped to 224 and
normalised: ImageNet's recipe) into a conv net at 224 x 224, against, as the
reference measured in the same process, a plain Run of the same model for the same
number of inferences on synthetic inputs. A 10 ms timer on the GUI thread measures its
own lateness (benchmarks/gui_responsiveness.py's probe) from the click to 1 s after
the batch ended; the eval's window includes the data set's check in the job thread
(every header, the first image decoded) and the whole worker run (every image decoded
there). Rounds alternate eval / plain run; the ratio of the medians is printed.

    QT_QPA_PLATFORM=offscreen python benchmarks/eval_gui_lag.py [--images 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import build_model, open_window, wait_for

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

RECIPE = "resize=256,crop=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=NCHW,color=RGB,scale=1/255"
TAIL_S = 1.0  # after the batch ended: the record, the history save and the results drawn


def make_images(folder: Path, n: int) -> Path:
    """n seeded 640 x 480 JPEGs (gradients and noise, so they compress like photos) and labels.csv."""
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    rows = []
    for i in range(n):
        base = np.stack([(xx * (i % 7 + 1)) % 256, (yy * (i % 5 + 1)) % 256, (xx + yy + 13 * i) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(folder / f"{i:04d}.jpg", quality=90)
        rows.append((f"{i:04d}.jpg", int(rng.integers(10))))
    labels = folder.parent / "labels.csv"
    with labels.open("w", newline="") as f:
        csv.writer(f).writerows([("file", "label"), *rows])
    return labels


def lags_of(window, probe, start) -> tuple[list[float], list[float], list]:
    """Run `start()` (a click), wait for the batch, keep TAIL_S more: the probe's lags over that window, those
    before the worker started (the eval: the data set checked in the job thread), and the records."""
    finished: list = []
    started: list = []

    def on_started(_spec) -> None:
        started.append(time.monotonic())

    def on_finished(records: list) -> None:
        finished.append(records)

    window.all_runs_finished.connect(on_finished)
    window.controller.run_started.connect(on_started)
    t0 = time.monotonic()
    start()
    wait_for(lambda: finished, 600, "the batch")
    t1 = time.monotonic()
    wait_for(lambda: time.monotonic() - t1 > TAIL_S, TAIL_S + 5)
    window.all_runs_finished.disconnect(on_finished)
    window.controller.run_started.disconnect(on_started)
    return probe.between(t0, t1 + TAIL_S), probe.between(t0, started[0]), finished[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=300)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    from gui_responsiveness import _Probe

    tmp = Path(tempfile.mkdtemp(prefix="aipcprof-evallag-"))
    labels = make_images(tmp / "images", args.images)
    model = build_model("conv_net", channels=16, size=224)
    app, window = open_window(tmp)
    targets: list = []
    window.targets_loaded.connect(targets.append)
    window.start_background()
    wait_for(lambda: targets, 120, "target discovery")
    loaded: list = []
    window.model_loaded.connect(loaded.append)
    window.workflow.open_model(str(model))
    wait_for(lambda: loaded, 60, "opening the model")
    window.setup_panel.select_target("ort/cpu")
    window.state.run_setup.update(by_duration=False, iterations=args.images, warmup=3, check_outputs=False)
    acc = window.state.accuracy
    acc.set_data(str(tmp / "images"))
    acc.set_labels(str(labels))
    acc.set_preprocess(RECIPE)
    window.tabs.setCurrentIndex(2)
    probe = _Probe(seconds=3600)  # capacity: an hour of 10 ms probes
    probe.start()
    rows = {"eval": [], "run": []}
    for r in range(args.rounds):
        for kind, click in (("eval", window.accuracy_panel.evaluate_button.click), ("run", window.run_action.trigger)):
            lags, before, records = lags_of(window, probe, click)
            rec = records[0]
            if rec.status.value != "completed":
                raise SystemExit(f"{kind}: {rec.status.value}: {rec.error}")
            rows[kind].append((max(lags), float(np.percentile(lags, 99)), rec.latency.count, rec.latency.p50))
            print(f"round {r + 1} {kind:4}: {rec.latency.count} inferences, p50 {rec.latency.p50 * 1e3:.2f} ms; "
                  f"GUI lag max {max(lags):.1f} ms, p99 {np.percentile(lags, 99):.1f} ms over {len(lags)} ticks; "
                  f"before the worker started: max {max(before, default=0):.1f} ms over {len(before)} ticks")
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in rows.items()}
    print(f"median GUI lag, eval of {args.images} JPEGs: max {med['eval'][0]:.1f} ms, p99 {med['eval'][1]:.1f} ms")
    print(f"median GUI lag, plain run of as many:   max {med['run'][0]:.1f} ms, p99 {med['run'][1]:.1f} ms")
    print(f"ratio eval / plain run: max {med['eval'][0] / max(med['run'][0], 0.1):.2f}, "
          f"p99 {med['eval'][1] / max(med['run'][1], 0.1):.2f}")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
