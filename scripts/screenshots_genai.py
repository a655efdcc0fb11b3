"""Render a generative model's run offscreen: the model card, the live view mid-run, and after it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_genai.py [--out docs/screenshots]

The model folder is built by tests/genai_model.py (4 layers, hidden 512: a few ms per token here, so
the text streams) into a temporary folder; genai/cpu, the app's default prompts (128 and 512 tokens,
128 generated, 3 generations each). Writes 28-genai-model.png, 29-genai-live.png, 30-genai-ended.png.
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


def main() -> int:
    p = shot_parser(__doc__)
    args, out, width, height = parse_shot_args(p)

    from tests.genai_model import TinyConfig, build

    folder = build(Path(tempfile.mkdtemp(prefix="aipcprof-genai-shot-")) / "decoder-512",
                   TinyConfig(layers=4, hidden=512, heads=8, mlp=2048))
    app, window, _tmp = open_window(width, height, sample_model=None)
    open_model(app, window, folder)
    shoot(app, window, out / "28-genai-model.png")
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.workflow.run_selected()
    live = window.controller.live
    wait_for(app, lambda: len(live.generations) >= 4 or finished, 300, "four generations")
    shoot(app, window, out / "29-genai-live.png")
    wait_for(app, lambda: finished, 600, "the end of the run")
    shoot(app, window, out / "30-genai-ended.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
