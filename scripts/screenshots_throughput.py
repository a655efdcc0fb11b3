"""Render a throughput-mode run offscreen: the live charts mid-run and the results.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_throughput.py [--out docs/screenshots]

The sample model on ov/cpu in throughput mode (OpenVINO's optimal number of requests),
measured for 6 s: 23-throughput-running.png (throughput is the main chart) and
24-throughput-results.png (requests in flight, latency under load, perf per watt).
Settings and run records go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_model, open_window, parse_shot_args, shoot, shot_parser, wait_for  # noqa: E402 - the sibling script (this folder is on sys.path when run)


def main() -> int:
    p = shot_parser(__doc__)
    p.add_argument("--target", default="ov/cpu")
    args, out, width, height = parse_shot_args(p)

    from app.record.schema import RunMode

    model = ROOT / "resources" / "sample_model.onnx"
    app, window, _tmp = open_window(width, height, sample_model=model)
    open_model(app, window, model)
    panel = window.setup_panel
    if not panel.select_target(args.target):
        raise SystemExit(f"{args.target} is not available here")
    panel.mode.setCurrentIndex(list(RunMode).index(RunMode.THROUGHPUT))
    panel.by_time.setChecked(True)
    panel.duration.setValue(6.0)
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.workflow.run_selected()
    c = window.controller
    wait_for(app, lambda: c.phase == "measure" and c.live.count > 0, 60, "the measured loop")
    t = time.monotonic()
    wait_for(app, lambda: time.monotonic() - t > 3.5, 10, "3.5 s of measurement")
    shoot(app, window, out / "23-throughput-running.png")
    wait_for(app, lambda: finished, 120, "the end of the run")
    shoot(app, window, out / "24-throughput-results.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
