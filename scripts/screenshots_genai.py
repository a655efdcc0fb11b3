"""Render a generative model's run offscreen: Run setup's Generation group, the live view mid-run, the
results, two runs compared and the comparison's PNG export.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_genai.py [--out docs/screenshots]

The model folder is built by tests/genai_model.py (4 layers, hidden 512: a few ms per token here, so
the text streams) into a temporary folder; genai/cpu, prompts of 128, 256 and 512 tokens, 64 generated,
1 warm-up and 2 measured generations per length (set in the Generation group), then the same on 1 thread.
Writes 28-genai-model.png, 29-genai-live.png, 30-genai-ended.png (the results' table per prompt length),
31-genai-compare.png, 31b-genai-export.png and 28b-genai-setup-error.png (a bad prompt length, inline).
Settings and run records go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import open_model, open_window, parse_shot_args, shoot, shot_parser, wait_for  # noqa: E402 - the sibling script


def run(app, window, finished: list, shot: Path | None = None) -> None:
    """One run of the model in Run setup's settings; `shot`: the live view once four generations are in."""
    finished.clear()
    window.workflow.run_selected()
    if shot is not None:
        live = window.controller.live
        wait_for(app, lambda: len(live.generations) >= 4 or finished, 300, "four generations")
        shoot(app, window, shot)
    wait_for(app, lambda: finished, 600, "the end of the run")


def main() -> int:
    p = shot_parser(__doc__)
    args, out, width, height = parse_shot_args(p)

    from tests.genai_model import TinyConfig, build

    folder = build(Path(tempfile.mkdtemp(prefix="aipcprof-genai-shot-")) / "decoder-512",
                   TinyConfig(layers=4, hidden=512, heads=8, mlp=2048))
    app, window, _tmp = open_window(width, height, sample_model=None)
    open_model(app, window, folder)
    box = window.setup_panel.genai_box
    box.prompt_tokens.setText("128, 256, 512")
    box.gen_tokens.setValue(64)
    box.iterations.setValue(2)
    shoot(app, window, out / "28-genai-model.png")
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    run(app, window, finished, out / "29-genai-live.png")
    results = window.results
    wait_for(app, lambda: results.genai_box.table.rowCount() == 3, 30, "the results' table")
    results.verticalScrollBar().setValue(results.genai_box.y() - 6)  # the table at the top of the Summary
    shoot(app, window, out / "30-genai-ended.png")
    window.setup_panel.threads.setValue(1)
    run(app, window, finished)
    compare(app, window, out)
    window.views.setCurrentIndex(0)
    box.prompt_tokens.setText("128, 5l2")
    wait_for(app, lambda: box.problem.isVisible(), 10, "the inline message")
    for _ in range(5):
        app.processEvents()  # the run-setup pane grows to show it
    window.setup_area.grab().save(str(out / "28b-genai-setup-error.png"))
    print(f"wrote {out / '28b-genai-setup-error.png'}")
    window.close()
    return 0


def compare(app, window, out: Path) -> None:
    """Both runs from the History tab, compared, and the comparison exported as PNG."""
    panel = window.history_panel
    wait_for(app, lambda: panel.table.rowCount() >= 2, 30, "both runs in the history")
    window.views.setCurrentWidget(window.history_sources)
    panel.table.selectAll()
    shown: list = []
    window.comparison_shown.connect(shown.append)
    panel.buttons["compare"].click()
    wait_for(app, lambda: shown, 30, "the comparison")
    window.compare_view.genai_bars.ensurePolished()
    shoot(app, window, out / "31-genai-compare.png")
    exported: list = []
    window.compare_view.exported.connect(lambda kind, path: exported.append(path))
    window.compare_view.export("png", str(out / "31b-genai-export.png"))
    wait_for(app, lambda: exported, 30, "the PNG export")
    print(f"wrote {exported[0]}")


if __name__ == "__main__":
    raise SystemExit(main())
