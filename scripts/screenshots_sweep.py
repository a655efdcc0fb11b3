"""Render the Sweep tab offscreen: a batch sweep filling live, then finished.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_sweep.py [--out docs/screenshots]

The zoo's dynamic_mlp (x[batch, 16], a symbolic batch dim) swept over batch=1,2,4,8 on
ort/cpu and ov/cpu, 300 inferences a point: 20-sweep-running.png once three points have
finished, 21-sweep.png at the end, and 21-sweep-charts.png (the PNG export). Settings,
run records and the model go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_model, open_window, parse_shot_args, shoot, shot_parser, wait_for  # noqa: E402 - the sibling script (this folder is on sys.path when run)


def main() -> int:
    p = shot_parser(__doc__)
    p.add_argument("--targets", default="ort/cpu,ov/cpu")
    args, out, width, height = parse_shot_args(p)

    from PySide6.QtCore import Qt

    from app.state import View
    from tests import model_zoo

    app, window, tmp = open_window(width, height, sample_model=None)
    model = model_zoo.save(model_zoo.dynamic_mlp(), tmp, "dynamic_mlp")
    open_model(app, window, model)
    window.state.run_setup.update(iterations=300, warmup=10)
    window.views.setCurrentIndex(int(View.SWEEP))
    panel = window.sweep_panel
    panel.dim_values.setText("1,2,4,8")
    wanted = args.targets.split(",")
    for i in range(panel.targets.count()):
        item = panel.targets.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in wanted else Qt.CheckState.Unchecked)
    panel.run_button.click()
    st = window.state.sweep
    wait_for(app, lambda: st.record is not None and sum(p.status.value != "not_run" for p in st.record.points) >= 3
             and st.current is not None, 300, "three points")
    shoot(app, window, out / "20-sweep-running.png")
    wait_for(app, lambda: not window.sweeps.busy, 600, "the end of the sweep")
    shoot(app, window, out / "21-sweep.png")
    (out / "21-sweep-charts.png").write_bytes(panel.png_bytes())
    print(f"wrote {out / '21-sweep-charts.png'}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
