"""Render the view states of the real-world-models work offscreen at a laptop's 1280 x 800.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_states.py [--out docs/screenshots]

States: a model whose input dims are all '?' in the shape editor; the image
presets with a scalar value set; the comparison after Run on All Targets; the
results of a run that failed before its first measured inference; a
CPU-target run; a 1 s run with the time axis fitted to it; a small-sample run
(2 inferences); the Operators tab (a QNN run with a CPU fallback in the middle, an
OpenVINO run by op type) and the comparison's op-type chart. The models are built with onnx.helper (tests/gui/models.py),
settings and run records go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_window, parse_shot_args, shot_parser, wait_for  # noqa: E402 - the sibling script (this folder is on sys.path when run)


def shoot(app, window, path: Path) -> None:
    for _ in range(10):
        app.processEvents()
        time.sleep(0.01)
    window.grab().save(str(path))
    size = window.size()
    print(f"wrote {path} ({size.width()} x {size.height()})")


def main() -> int:
    p = shot_parser(__doc__, "1280x800")
    p.add_argument("--only", default="", help="comma-separated state numbers to render (default: all)")
    args, out, width, height = parse_shot_args(p)
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    from record_op_profiles import two_partitions  # the sibling script's two-QNN-partition model

    from tests import model_zoo
    from tests.gui import models

    app, window, tmp = open_window(width, height, sample_model=None, first_launch_done=True)
    paths = {name: model_zoo.save(build(), tmp, name) for name, build in (
        ("open_image_net", models.open_image_net), ("scaled_image_net", models.scaled_image_net),
        ("reshape_trap", models.reshape_trap), ("conv_net", model_zoo.conv_net),
        ("two_partitions", two_partitions))}
    loaded: list = []
    window.model_loaded.connect(loaded.append)
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    setup = window.setup_panel

    def open_model(name: str) -> None:
        loaded.clear()
        window.workflow.open_model(str(paths[name]))
        wait_for(app, lambda: loaded, 60, f"the card of {name}")
        wait_for(app, lambda: not window.jobs.busy, 30, "the inspection at the editor's sizes")

    def run(action) -> list:
        finished.clear()
        action()
        wait_for(app, lambda: finished, 300, "the run")
        return finished[0]

    def want(n: str) -> bool:
        return not only or n in only

    def results_view(on: bool) -> None:
        """Results in front (the user drags the splitter up over the charts), or the charts at their default."""
        total = sum(window.right.sizes())
        window.right.setSizes([0, total] if on else [total - 260, 260])
        window.results.verticalScrollBar().setValue(0)

    if want("10") or want("11"):
        open_model("open_image_net")
        window.tabs.setCurrentIndex(0)
        if want("10"):
            shoot(app, window, out / "10-shape-editor-all-open.png")
        open_model("scaled_image_net")
        window.model_panel.preset_buttons["image"][1].click()  # 320²
        window.model_panel._dim_spins["image[3]"].setValue(240)
        edit = window.model_panel._value_edits["scale"]
        edit.setText("0.5")
        edit.textEdited.emit("0.5")
        wait_for(app, lambda: "320, 240" in window.model_panel.inputs_table.item(0, 2).text(), 30, "re-inspection")
        if want("11"):
            total = sum(window.left.sizes())
            window.left.setSizes([150, total - 150])  # the user gives the model card the room
            app.processEvents()
            area = window.tabs.widget(0)
            area.verticalScrollBar().setValue(window.model_panel.shapes_box.y())
            shoot(app, window, out / "11-shape-presets.png")
            window.left.setSizes([360, total - 360])

    setup.select_target("ort/cpu")
    setup.warmup.setValue(2)
    if want("16"):
        open_model("conv_net")
        setup.iterations.setValue(200)
        run(window.workflow.run_all)  # first: the session's comparison is these runs
        shown: list = []
        window.comparison_shown.connect(shown.append)
        window.results.compare_button.click()
        wait_for(app, lambda: shown, 30, "the comparison")
        shoot(app, window, out / "16-comparison-all-targets.png")
        window.views.setCurrentIndex(0)
    setup.iterations.setValue(100)
    if want("12"):
        open_model("reshape_trap")
        window.model_panel._dim_spins["n"].setValue(2)  # nothing hints at n: the user gives a size (not 16)
        wait_for(app, lambda: window.state.inputs.size("n") == 2 and window.state.model.loading is None, 15,
                 "the model read again at n=2")
        run(window.workflow.run_selected)
        results_view(True)
        shoot(app, window, out / "12-results-failed-run.png")

    open_model("conv_net")
    if want("13") or want("15"):
        setup.by_time.setChecked(True)
        setup.duration.setValue(1.0)
        run(window.workflow.run_selected)
        setup.by_count.setChecked(True)
        if want("13"):
            results_view(True)
            shoot(app, window, out / "13-results-cpu-target.png")
        if want("15"):
            results_view(False)
            shoot(app, window, out / "15-short-run-fitted-axis.png")
    if want("14"):
        setup.iterations.setValue(2)
        run(window.workflow.run_selected)
        results_view(True)
        shoot(app, window, out / "14-results-small-sample.png")
    if only & {"17", "18", "19"} or not only:
        operators(app, window, out, open_model, run, results_view, want)
    results_view(False)
    window.close()
    return 0


def operators(app, window, out: Path, open_model, run, results_view, want) -> None:
    """17: a QNN run with a CPU node between two partitions; 18: OpenVINO by op type, Convolution clicked;
    19: the comparison's op-type chart (ort/cpu on 1 thread vs 2)."""
    setup = window.setup_panel
    setup.op_profile.setChecked(True)
    setup.iterations.setValue(100)
    tabs = window.result_tabs
    if want("17") and setup.select_target("ort/qnn/htp-emulator"):
        open_model("two_partitions")
        run(window.workflow.run_selected)
        results_view(True)
        tabs.setCurrentWidget(window.operators)
        shoot(app, window, out / "17-operators-qnn.png")
    open_model("conv_net")
    if want("18") and setup.select_target("ov/cpu"):
        run(window.workflow.run_selected)
        results_view(True)
        tabs.setCurrentWidget(window.operators)
        window.operators.by_type.click()
        window.operators.state.select_type("Convolution")
        shoot(app, window, out / "18-operators-by-type.png")
        window.operators.by_node.click()
    if want("19") and setup.select_target("ort/cpu"):
        shown: list = []
        window.comparison_shown.connect(shown.append)
        records = []
        for threads in (1, 2):
            setup.threads.setValue(threads)
            records += run(window.workflow.run_selected)
        setup.threads.setValue(0)
        window.history_controller.show_comparison(records, [f"ort/cpu, {n} thread{'s' * (n > 1)}" for n in (1, 2)])
        wait_for(app, lambda: shown, 30, "the comparison")
        size = window.size()
        window.resize(1440, 1000)  # a desktop screen: the op-type chart under the latency charts
        window.compare_view.split.setSizes([300, 300, 90, 80])  # the user drags the op-type chart open
        shoot(app, window, out / "19-comparison-op-types.png")
        window.resize(size)
    tabs.setCurrentIndex(0)
    setup.op_profile.setChecked(False)


if __name__ == "__main__":
    raise SystemExit(main())
