"""Render an OpenVINO IR LLM folder offscreen: its card, and its run on ov-genai/cpu once ended.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_ov_genai.py [--out docs/screenshots]

The folder is built by tests/ov_genai_model.py (the tiny decoder as a stateful IR with its tokenizer IRs) into
a temporary folder; the app's default prompts (128 and 512 tokens, 128 generated, 3 generations each). Writes
ov-genai-model.png and ov-genai-ended.png. Settings and run records go to a temporary folder, never the user's.
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

    from tests.ov_genai_model import build

    folder = build(Path(tempfile.mkdtemp(prefix="aipcprof-ov-genai-shot-")) / "tiny-ov")
    app, window, _tmp = open_window(width, height, sample_model=None)
    open_model(app, window, folder)
    shoot(app, window, out / "ov-genai-model.png")
    finished: list = []
    window.all_runs_finished.connect(finished.append)
    window.workflow.run_selected()
    wait_for(app, lambda: finished, 600, "the end of the run")
    shoot(app, window, out / "ov-genai-ended.png")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
