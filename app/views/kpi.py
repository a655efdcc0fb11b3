"""KPI tiles: a big number with a caption and a tooltip (live strip and results)."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.views import theme
from app.views.plain import plain


def fmt_ms(ms: float | None) -> str:
    if ms is None or not math.isfinite(ms):
        return "—"
    if ms < 1:
        return f"{ms * 1e3:.0f} µs"
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_rate(per_s: float | None) -> str:
    if per_s is None or not math.isfinite(per_s):
        return "—"
    return f"{per_s:,.0f}/s" if per_s >= 100 else f"{per_s:.1f}/s"


class KpiTile(QFrame):
    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KpiTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(tooltip)
        self.value = plain(QLabel("—"))  # shows record text (precision)
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
        self.latest.set(fmt_ms(latest_ms))
        self.p50.set(fmt_ms(p50_ms))
        self.p99.set(fmt_ms(p99_ms))
        self.rate.set(fmt_rate(rate))
        self.count.set(f"{count:,}")
