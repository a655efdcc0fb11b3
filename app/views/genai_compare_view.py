"""The comparison view's box for generative runs: TTFT, decode tokens/s and J/token per prompt length.

The grouped bars are the same SVG the HTML report and `aipcprof compare --svg` carry
(app.report.genai_svg), drawn by Qt's SVG renderer, so the app and the exports cannot disagree.
Hidden when no compared run is a generative one.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import QGroupBox, QScrollArea, QVBoxLayout

from app.record.schema import RunRecord
from app.report.genai_compare import genai_rows
from app.report.genai_svg import genai_bars_svg

WIDTH = 760


class GenAIBarsBox(QGroupBox):
    def __init__(self, parent=None) -> None:
        super().__init__("Generative runs per prompt length", parent)
        self.setToolTip("Time to first token, decode tokens/s and energy per token of each generative run, "
                        "one group per prompt length; N/A (dashed) where a run did not measure it.")
        self.svg = QSvgWidget()
        area = QScrollArea()
        area.setWidgetResizable(False)
        area.setWidget(self.svg)
        lay = QVBoxLayout(self)
        lay.addWidget(area)
        self.rows: list = []
        self.setVisible(False)

    def set_runs(self, records: list[RunRecord], names: list[str], dark: bool) -> None:
        self.rows = genai_rows(records, names)
        self.setVisible(bool(self.rows))
        if not self.rows:
            return
        svg = genai_bars_svg(self.rows, theme="dark" if dark else "light", width=WIDTH)
        self.svg.load(QByteArray(svg.encode("utf-8")))
        self.svg.setFixedSize(self.svg.renderer().defaultSize())
