"""KPI tiles: a big number with a caption and a tooltip (live strip and results)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.common import fmt
from app.views import theme


def tile_ms(ms: float | None) -> str:
    """A live latency the live data keeps in MILLISECONDS, as compact tile text ("—" while unknown)."""
    seconds = fmt.number(ms)
    return fmt.fmt_ms(None if seconds is None else seconds / 1e3, compact=True, na=fmt.PENDING)


def tile_rate(per_s: float | None) -> str:
    return fmt.fmt_rate(per_s, na=fmt.PENDING)


class KpiTile(QFrame):
    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KpiTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(tooltip)
        self.value = QLabel(fmt.PENDING)
        self.value.setTextFormat(Qt.TextFormat.PlainText)  # the precision tile shows text from the record
        self.value.setObjectName("KpiValue")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(caption)
        self.caption.setObjectName("KpiCaption")
        self.caption.setStyleSheet(f"color: {theme.colors().muted};")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 2, 10, 2)
        lay.setSpacing(0)
        lay.addWidget(self.value)
        lay.addWidget(self.caption)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set(self, text: str, tooltip: str | None = None, color: str | None = None) -> None:
        self.value.setText(text)
        self.value.setStyleSheet(f"color: {color};" if color else "")
        if tooltip is not None:
            self.setToolTip(tooltip)


class KpiStrip(QWidget):
    """Live numbers above the charts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latest = KpiTile("latest latency", "Latency of the most recent measured inference.")
        self.p50 = KpiTile("p50 (rolling 2 s)", "Median latency over the last 2 s of inferences.")
        self.p99 = KpiTile("p99 (rolling 2 s)", "99th-percentile latency over the last 2 s: the tail users feel.")
        self.rate = KpiTile("throughput", "Completed inferences per second of wall time (recent batches).")
        self.count = KpiTile("inferences measured", "Measured inferences so far (warm-up excluded).")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for tile in (self.latest, self.p50, self.p99, self.rate, self.count):
            lay.addWidget(tile)

    def show_live(self, latest_ms: float, p50_ms: float, p99_ms: float, rate: float, count: int) -> None:
        self.latest.set(tile_ms(latest_ms))
        self.p50.set(tile_ms(p50_ms))
        self.p99.set(tile_ms(p99_ms))
        self.rate.set(tile_rate(rate))
        self.count.set(f"{count:,}")
