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


LIVE_P50, LIVE_P99 = "p50 (last 2 s)", "p99 (last 2 s)"
LIVE_P50_TIP = "Median latency over the last 2 s of inferences (the results give the whole run's)."
LIVE_P99_TIP = "99th-percentile latency over the last 2 s: the tail users feel."
LIVE_RATE, LIVE_RATE_TIP = "throughput (recent)", "Completed inferences per second of wall time (recent batches)."
GENAI_RATE, GENAI_RATE_TIP = "tokens/s (recent)", "Generated tokens per second of wall time (recent batches)."
GENAI_COUNT_TIP = "Decode steps measured so far: one per generated token after each generation's first."


class KpiTile(QFrame):
    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None, *, wrap: bool = False) -> None:
        """wrap: a long caption takes a second line (inside a scroll area, where the height can follow);
        otherwise it is clipped on a narrow window rather than widening it."""
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
        self.caption.setWordWrap(wrap)
        if not wrap:
            self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.caption.setMinimumWidth(self.caption.fontMetrics().horizontalAdvance("throughput"))
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

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)


class KpiStrip(QWidget):
    """Live numbers above the charts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latest = KpiTile("latest latency", "Latency of the most recent measured inference.")
        self.p50 = KpiTile(LIVE_P50, LIVE_P50_TIP)
        self.p99 = KpiTile(LIVE_P99, LIVE_P99_TIP)
        self.rate = KpiTile(LIVE_RATE, LIVE_RATE_TIP)
        self.count = KpiTile("inferences measured", "Measured inferences so far (warm-up excluded).")
        self.final = False  # showing the ended run's own numbers, not the rolling ones
        self.generative = False  # a generative model: the numbers are per decode step (token)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for tile in (self.latest, self.p50, self.p99, self.rate, self.count):
            lay.addWidget(tile)

    def set_generative(self, on: bool) -> None:
        """A generative model's run: latency per decode step, tokens per second, decode steps counted."""
        self.generative = on
        self.latest.set_caption("latest token (decode)" if on else "latest latency")
        self.count.set_caption("decode steps measured" if on else "inferences measured")
        self.count.setToolTip(GENAI_COUNT_TIP if on else "Measured inferences so far (warm-up excluded).")
        self.rate.set_caption(GENAI_RATE if on else LIVE_RATE)
        self.rate.setToolTip(GENAI_RATE_TIP if on else LIVE_RATE_TIP)

    def show_live(self, latest_ms: float, p50_ms: float, p99_ms: float, rate: float, count: int) -> None:
        if self.final:
            self.final = False
            live_rate, live_rate_tip = (GENAI_RATE, GENAI_RATE_TIP) if self.generative else (LIVE_RATE, LIVE_RATE_TIP)
            for tile, caption, hint in ((self.p50, LIVE_P50, LIVE_P50_TIP), (self.p99, LIVE_P99, LIVE_P99_TIP),
                                        (self.rate, live_rate, live_rate_tip)):
                tile.set_caption(caption)
                tile.setToolTip(hint)
        self.latest.set(tile_ms(latest_ms))
        self.p50.set(tile_ms(p50_ms))
        self.p99.set(tile_ms(p99_ms))
        self.rate.set(tile_rate(rate))
        self.count.set(f"{count:,}")

    def show_final(self, p50_s: float | None, p99_s: float | None, rate: float | None, count: int,
                   p99_note: str = "") -> None:
        """The run ended: its own p50, p99 and throughput (the results' numbers), so two p50s never disagree
        on screen. `p99_note`: why the p99 is omitted (too few inferences)."""
        self.final = True
        if self.generative:
            self.rate.set(tile_rate(rate), "1 / the mean decode step, over the whole run (the results give "
                                           "decode tokens/s per prompt length).")
            self.rate.set_caption("tokens/s (1 / mean step)")
        else:
            self.rate.set(tile_rate(rate), "Measured inferences / measured time, over the whole run.")
            self.rate.set_caption("throughput (whole run)")
        self.p50.set(fmt.fmt_ms(p50_s, compact=True, na=fmt.PENDING), "Median latency of the whole run.")
        self.p50.set_caption("p50 (whole run)")
        if p99_note:
            self.p99.set(fmt.PENDING, p99_note)
            self.p99.set_caption("p99: too few inferences")
        else:
            self.p99.set(fmt.fmt_ms(p99_s, compact=True, na=fmt.PENDING), "p99 latency of the whole run.")
            self.p99.set_caption("p99 (whole run)")
        self.count.set(f"{count:,}")
