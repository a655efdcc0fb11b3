"""The comparison PNG drawn in a spawned process (Publish from the window): the picture, or a clear failure."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from app.views.export import PNG_SIZE
from app.views.png_child import PngFailed, render_png_in_child
from tests.report.conftest import make_record


def test_the_child_draws_the_same_figure_as_compare_png(tmp_path):
    out = tmp_path / "report.png"
    render_png_in_child(make_record(host="laptop", seed=3), "a run", out)
    image = QImage(str(out))
    assert image.size().toTuple() == PNG_SIZE and not image.isNull()
    assert len({image.pixel(x, 500) for x in range(0, PNG_SIZE[0], 20)}) > 2  # drawn, not one flat colour


def test_a_child_that_cannot_write_is_a_failure_not_a_missing_file_passed_off(tmp_path):
    with pytest.raises(PngFailed, match="exited with status 1"):
        render_png_in_child(make_record(seed=1), "x", tmp_path / "no-such-folder" / "report.png")
