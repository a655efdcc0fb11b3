"""Render the desktop app's comparison of eval runs offscreen: the table with accuracy and Δ accuracy, and the
speed-vs-accuracy scatter (docs/accuracy.md).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_accuracy_compare.py NAME=RUN.json ... \
        [--out docs/screenshots] [--baseline 0]

Each run is named NAME in the view (e.g. `fp32 ort/cpu=digits_mlp-ort_cpu.json`). Writes
accuracy-compare.png (the whole Comparison tab), accuracy-scatter.png (the scatter's box alone) and
accuracy-compare-export.png (the exported 1600 x 1000 PNG). Settings and history go to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from screenshots import ROOT, open_window, wait_for


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", metavar="NAME=RUN.json")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--baseline", type=int, default=0)
    p.add_argument("--size", default="1500x1400", help="window size WxH")
    args = p.parse_args()
    from app.record import io as rec

    names, records = [], []
    for text in args.runs:
        name, _, path = text.rpartition("=")
        names.append(name or Path(path).stem)
        records.append(rec.load(path))
    width, height = (int(v) for v in args.size.split("x"))
    app, window, _ = open_window(width, height, None)
    shown: list = []
    window.comparison_shown.connect(shown.append)
    window.history_controller.show_comparison(records, names, [path for _, _, path in
                                                               (t.rpartition("=") for t in args.runs)])
    wait_for(app, lambda: shown, 30, "the comparison")
    view = window.compare_view
    view.set_baseline(args.baseline)
    view.split.setSizes([460, 420, 0, 0, 300, 0])  # the charts, the scatter and the table; op types, generative bars and settings below
    for _ in range(10):
        app.processEvents()
    out = Path(args.out)
    window.grab().save(str(out / "accuracy-compare.png"))
    view.scatter_box.grab().save(str(out / "accuracy-scatter.png"))
    exported: list = []
    view.exported.connect(lambda kind, path: exported.append(path))
    view.export("png", str(out / "accuracy-compare-export.png"), "light")
    wait_for(app, lambda: exported, 30, "the PNG export")
    for name in ("accuracy-compare.png", "accuracy-scatter.png", "accuracy-compare-export.png"):
        print(f"wrote {out / name}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
