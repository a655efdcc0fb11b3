"""A run's comparison PNG drawn in a spawned process, for work that runs off the GUI thread (Publish).

Drawing the figure takes 150-400 ms of the thread that owns the widgets; a background job cannot create
widgets, and the window's thread must not stall (docs/gui.md). A spawned child (the worker's way of
starting, so it also works in the frozen app) draws it offscreen with the same code as `aipcprof compare
--png` and exits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
from pathlib import Path

from app.record.schema import RunRecord

TIMEOUT_S = 120.0  # a first Qt start on a cold disk is slow; a child that hangs is killed after this


class PngFailed(RuntimeError):
    pass


def _draw(record_file: str, name: str, out: str) -> None:  # in the child
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, no display needed
    from app.record import io as rec
    from app.views.export import render_comparison_png

    render_comparison_png([rec.load(record_file)], [name], 0, out, "light")


def render_png_in_child(record: RunRecord, name: str, path: Path, timeout_s: float = TIMEOUT_S) -> None:
    """Write `path` (a PNG of `record`, light theme) from a spawned process; PngFailed when it could not."""
    from app.record import io as rec

    with tempfile.TemporaryDirectory(prefix="aipcprof-png-") as tmp:
        record_file = Path(tmp) / "run.json"
        record_file.write_text(rec.dumps(record), encoding="utf-8")
        child = mp.get_context("spawn").Process(target=_draw, args=(str(record_file), name, str(path)),
                                                name="aipcprof-png", daemon=True)
        child.start()
        child.join(timeout_s)
        if child.is_alive():
            child.kill()
            child.join()
            raise PngFailed(f"drawing the PNG took over {timeout_s:.0f} s; stopped")
    if child.exitcode != 0 or not Path(path).is_file():
        raise PngFailed(f"the process drawing the PNG exited with status {child.exitcode}")
