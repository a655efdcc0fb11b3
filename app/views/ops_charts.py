"""Operator charts, painted: the top operators of one run (bars coloured by device) and, for a comparison,
each op type's time in two runs with the ratio.

Shared by the Operators tab, the comparison view and the fixed-size PNG
export. Colours come from an app.report.palette Palette handed in (the same
device colours as the SVG charts and the HTML report). Node and op-type names
come from the model: they are painted with drawText, which never interprets
markup. A value the record lacks is a dashed "N/A" box, never a zero bar.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.common.fmt import NA, fmt_ms, fmt_share
from app.record.ops import OpTypeChange
from app.report.ops_bars import OpBar
from app.report.ops_compare import ratio_text
from app.report.palette import Palette
from app.state.ops_view import ChartSection

ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
TIMES = "\u00d7"
ABSENT = "none"  # an op type one run has no node of


class _Painted(QWidget):
    def __init__(self, colors: Palette, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_colors(self, colors: Palette) -> None:
        self.colors = colors
        self.update()

    def _title(self, p: QPainter, text: str, y: float) -> float:
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(self.colors.foreground))
        h = p.fontMetrics().height()
        p.drawText(QRectF(8, y, self.width() - 16, h), ALIGN_LEFT,
                   p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.width() - 16))
        p.setFont(self.font())
        return y + h + 4

    def _note(self, p: QPainter, text: str, y: float) -> None:
        p.setPen(QColor(self.colors.muted))
        p.drawText(QRectF(8, y, self.width() - 16, p.fontMetrics().height()), ALIGN_LEFT,
                   p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.width() - 16))

    def _gap(self, p: QPainter, box: QRectF, text: str = NA) -> None:
        pen = QPen(QColor(self.colors.muted))
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRect(box)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class OpBarsWidget(_Painted):
    """Horizontal bars of the slowest operators (or op types), each split by the device its time ran on;
    then, under a heading each, the EP's own rows inside a fused partition node (one scale per section)."""

    bar_clicked = Signal(str)  # the bar's label: a node name or an op type

    def __init__(self, colors: Palette, parent: QWidget | None = None) -> None:
        super().__init__(colors, parent)
        self.sections: list[ChartSection] = []
        self.title = "Top operators"
        self.footnote = ""
        self.bar_rects: list[QRectF] = []  # where each bar was last painted (clicks, tests), as in `bars`
        self.drawn_labels: list[str] = []
        self.setMinimumSize(320, 160)

    def _min_slot(self) -> float:
        return self.fontMetrics().height() + 5.0

    @property
    def bars(self) -> list[OpBar]:
        return [b for s in self.sections for b in s.bars]

    def set_sections(self, sections: list[ChartSection], title: str, footnote: str = "") -> None:
        self.sections, self.title, self.footnote = [s for s in sections if s.bars], title, footnote
        self.bar_rects = []
        # Tall enough for every row at a readable size: the panel scrolls rather than squeezing the bars.
        rows = len(self.bars) + sum(1 for s in self.sections if s.heading) + (1 if self.footnote else 0)
        self.setMinimumHeight(int(3 * self.fontMetrics().height() + 16 + rows * self._min_slot()))
        self.setCursor(Qt.CursorShape.PointingHandCursor if self.bars else Qt.CursorShape.ArrowCursor)
        self.update()

    def devices(self) -> list[tuple[str, str]]:
        """(device, key) of every bar part, in first-seen order: the legend."""
        seen: dict[str, str] = {}
        for bar in self.bars:
            for part in bar.parts:
                seen.setdefault(part.key, part.device)
        return [(d, k) for k, d in seen.items()]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        c = self.colors
        p.fillRect(self.rect(), QColor(c.background))
        y = self._title(p, self.title, 4)
        y = self._legend(p, y)
        fm = p.fontMetrics()
        foot_h = fm.height() + 4 if self.footnote else 0
        headed = [s for s in self.sections if s.heading]
        n = max(1, len(self.bars) + len(headed))
        slot = max(self._min_slot(), min(26.0, (self.height() - y - foot_h - 4) / n))
        bar_h = slot - 6
        label_w = min(max((fm.horizontalAdvance(b.label) for b in self.bars), default=0) + 8, self.width() * 0.38)
        value_w = fm.horizontalAdvance("0000.000 ms · 100%") + 8
        x0, x1 = 8 + label_w + 6, self.width() - 8 - value_w
        self.bar_rects, self.drawn_labels = [], []
        for section in self.sections:
            if section.heading:
                p.setPen(QColor(c.muted))
                p.drawText(QRectF(8, y, self.width() - 16, slot), ALIGN_LEFT,
                           fm.elidedText(section.heading, Qt.TextElideMode.ElideMiddle, self.width() - 16))
                y += slot
            vmax = max((b.time_s for b in section.bars), default=0.0) or 1.0
            p.setPen(QPen(QColor(c.border)))
            p.drawLine(QPointF(x0, y - 2), QPointF(x0, y + len(section.bars) * slot - 4))
            for bar in section.bars:
                self._bar(p, bar, y, bar_h, label_w, (x0, x1), vmax)
                y += slot
        if self.footnote:
            self._note(p, self.footnote, min(self.height() - foot_h, y + 2))
        p.end()

    def _bar(self, p: QPainter, bar: OpBar, top: float, bar_h: float, label_w: float, span: tuple[float, float],
             vmax: float) -> None:
        c, fm = self.colors, p.fontMetrics()
        x0, x1 = span
        label = fm.elidedText(bar.label, Qt.TextElideMode.ElideMiddle, int(label_w - 4))
        self.drawn_labels.append(label)
        p.setPen(QColor(c.foreground))
        p.drawText(QRectF(8, top - 3, label_w, bar_h + 6), ALIGN_RIGHT, label)
        x = x0
        for part in bar.parts:
            w = max(1.5, part.time_s / vmax * (x1 - x0))
            p.fillRect(QRectF(x, top, w, bar_h), QColor(c.device_color(part.device)))
            x += w
        self.bar_rects.append(QRectF(8, top, x - 8, bar_h))
        p.setPen(QColor(c.foreground))
        p.drawText(QRectF(x + 6, top - 3, self.width() - x - 8, bar_h + 6), ALIGN_LEFT,
                   f"{fmt_ms(bar.time_s)} · {fmt_share(bar.share)}")

    def _legend(self, p: QPainter, y: float) -> float:
        fm = p.fontMetrics()
        x = 8.0
        for device, key in self.devices():
            w = fm.horizontalAdvance(key) + 26
            if x + w > self.width() - 8 and x > 8:
                x, y = 8.0, y + fm.height() + 2
            p.fillRect(QRectF(x, y + fm.height() / 2 - 5, 12, 10), QColor(self.colors.device_color(device)))
            p.setPen(QColor(self.colors.foreground))
            p.drawText(QRectF(x + 16, y, w - 16, fm.height()), ALIGN_LEFT, key)
            x += w + 6
        return y + fm.height() + 6

    def label_at(self, pos: QPointF) -> str | None:
        """The label of the bar row under `pos` (widget coordinates), if any."""
        for bar, rect in zip(self.bars, self.bar_rects, strict=False):
            if rect.top() - 3 <= pos.y() <= rect.bottom() + 3:
                return bar.label
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        label = self.label_at(event.position())
        if label is not None and event.button() == Qt.MouseButton.LeftButton:
            self.bar_clicked.emit(label)
        super().mousePressEvent(event)


class OpTypeDiffWidget(_Painted):
    """Each op type's time per inference in two runs (A, B), the largest changes first, with B's ratio."""

    def __init__(self, colors: Palette, parent: QWidget | None = None) -> None:
        super().__init__(colors, parent)
        self.changes: list[OpTypeChange] = []
        self.names = ("A", "B")
        self.run_colors = (colors.series[0], colors.series[1])
        self.message = ""  # shown instead of bars (why there is nothing to compare)
        self.na_cells: list[tuple[str, str]] = []  # (op type, run name) drawn as N/A
        self.drawn_ratios: list[str] = []
        self.note = ""  # a line under the legend (e.g. why the two runs share no op type)
        self.setMinimumSize(360, 120)

    def set_changes(self, changes: list[OpTypeChange], names: tuple[str, str], run_colors: tuple[str, str],
                    note: str = "") -> None:
        self.changes, self.names, self.run_colors, self.message = list(changes), names, run_colors, ""
        self.note = note
        self.na_cells = [(ch.op_type, name) for ch in changes
                         for name, v in zip(names, (ch.a_s, ch.b_s), strict=True) if v is None]
        self.setMinimumHeight(int(self._row_slot() * len(self.changes) + 3 * self.fontMetrics().height() + 24))
        self.update()

    def set_message(self, text: str) -> None:
        self.changes, self.message, self.na_cells, self.note = [], text, [], ""
        self.setMinimumHeight(4 * self.fontMetrics().height())
        self.update()

    def _bar_h(self) -> float:
        return round(self.fontMetrics().height() * 0.8)

    def _row_slot(self) -> float:
        return 2 * self._bar_h() + 10

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        c = self.colors
        p.fillRect(self.rect(), QColor(c.background))
        a, b = self.names
        title = "Time per op type (ms per inference)"
        y = self._title(p, title if self.message else f"{title}: {a} vs {b}", 4)
        fm = p.fontMetrics()
        if self.message:
            self._wrapped(p, self.message, y)
            p.end()
            return
        y = self._run_legend(p, y)
        if self.note:
            y = self._wrapped(p, self.note, y) + 4
        bar_h = self._bar_h()
        label_w = min(max((fm.horizontalAdvance(ch.op_type) for ch in self.changes), default=0) + 8,
                      self.width() * 0.25)
        ratio_w = max((fm.horizontalAdvance(ratio_text(ch, b)) for ch in self.changes), default=0) + 12
        value_w = fm.horizontalAdvance("0000.000 ms") + 8
        x0, x1 = 8 + label_w + 6, max(8 + label_w + 60, self.width() - 8 - ratio_w - max(value_w, 60))
        vmax = max((v for ch in self.changes for v in (ch.a_s, ch.b_s) if v is not None), default=0.0) or 1.0
        self.drawn_ratios = []
        for i, ch in enumerate(self.changes):
            top = y + i * self._row_slot()
            p.setPen(QColor(c.foreground))
            p.drawText(QRectF(8, top, label_w, 2 * bar_h + 2), ALIGN_RIGHT,
                       fm.elidedText(ch.op_type, Qt.TextElideMode.ElideMiddle, int(label_w - 4)))
            for k, v in enumerate((ch.a_s, ch.b_s)):
                self._bar(p, v, k, QRectF(x0, top + k * (bar_h + 2), x1 - x0, bar_h), vmax, value_w)
            text = ratio_text(ch, b)
            self.drawn_ratios.append(text)
            p.setPen(QColor(c.ok if ch.ratio and ch.ratio >= 1 else c.warn if ch.ratio else c.muted))
            p.drawText(QRectF(self.width() - 8 - ratio_w, top, ratio_w, 2 * bar_h + 2), ALIGN_RIGHT, text)
        p.end()

    def _wrapped(self, p: QPainter, text: str, y: float) -> float:
        """Muted text wrapped to the widget's width from `y`; returns where it ends."""
        p.setPen(QColor(self.colors.muted))
        wrap = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        box = p.fontMetrics().boundingRect(QRectF(8, y, self.width() - 16, 1e4).toRect(), wrap, text)
        p.drawText(QRectF(8, y, self.width() - 16, box.height()), wrap, text)
        return y + box.height()

    def _bar(self, p: QPainter, v: float | None, k: int, span: QRectF, vmax: float, value_w: float) -> None:
        """Run k's bar in `span` (its full width = vmax); no op of this type in that run: a labelled gap."""
        if v is None:
            self._gap(p, QRectF(span.left(), span.top(), p.fontMetrics().horizontalAdvance(ABSENT) + 10,
                                span.height()), ABSENT)
            return
        w = max(1.5, v / vmax * span.width())
        p.fillRect(QRectF(span.left(), span.top(), w, span.height()), QColor(self.run_colors[k]))
        p.setPen(QColor(self.colors.foreground))
        p.drawText(QRectF(span.left() + w + 4, span.top() - 2, value_w, span.height() + 4), ALIGN_LEFT, fmt_ms(v))

    def _run_legend(self, p: QPainter, y: float) -> float:
        fm = p.fontMetrics()
        x = 8.0
        for name, color in zip(self.names, self.run_colors, strict=True):
            label = fm.elidedText(name, Qt.TextElideMode.ElideRight, max(40, self.width() // 2 - 40))
            p.fillRect(QRectF(x, y + fm.height() / 2 - 5, 12, 10), QColor(color))
            p.setPen(QColor(self.colors.foreground))
            p.drawText(QRectF(x + 16, y, fm.horizontalAdvance(label) + 4, fm.height()), ALIGN_LEFT, label)
            x += fm.horizontalAdvance(label) + 36
        return y + fm.height() + 6

