"""The results panel's "Generation per prompt length" box: a generative run's table (docs/genai.md).

One row per prompt length from the record's typed `genai` section: prefill and prompt tokens/s, TTFT, decode
p50/p90/p99 per token and decode tokens/s, the worker's memory and J/token; the cells are
app/report/genai_table.py's (the HTML report's too). A figure that was not measured says so, with the reason.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.record.schema import RunRecord
from app.report.genai_table import COLUMNS, ENERGY_COLUMN, asked_line, note_lines, row
from app.views.plain import plain, tip


class GenAIResultsBox(QGroupBox):
    def __init__(self, table_factory, fill, parent: QWidget | None = None) -> None:
        super().__init__("Generation per prompt length", parent)
        self._fill = fill
        self.asked = plain(QLabel())  # the prompt file's path is the user's text
        self.asked.setWordWrap(True)
        self.table = table_factory([h for h, _ in COLUMNS])
        for c, (_, why) in enumerate(COLUMNS):
            self.table.horizontalHeaderItem(c).setToolTip(why)
        # The reason J/token is unavailable can be long: that column takes the room left, elided (tooltip: all).
        self.table.horizontalHeader().setSectionResizeMode(ENERGY_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.notes = plain(QLabel())
        self.notes.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.asked)
        lay.addWidget(self.table)
        lay.addWidget(self.notes)
        self.setVisible(False)

    def show_record(self, r: RunRecord) -> None:
        g = r.genai
        self.setVisible(g is not None)
        if g is None:
            return
        self.asked.setText(asked_line(g))
        if g.results:
            self._fill(self.table, [row(x) for x in g.results])
            for i, x in enumerate(g.results):
                energy = self.table.item(i, ENERGY_COLUMN)
                energy.setToolTip(tip(energy.text() if x.energy_j_per_token is None else COLUMNS[-1][1]))
        else:
            self._fill(self.table, [("No generation was measured: the run ended before the first one.",
                                     *[""] * (len(COLUMNS) - 1))])
            self.table.setSpan(0, 0, 1, len(COLUMNS))
        self.notes.setText("\n".join(note_lines(g)))
