"""The live view of a generative model: prefill and decode shaded on every chart, the text as it streams.

The charts panel (app.views.charts_panel) keeps its plots: for a generative run the latency plot shows
each decode step (per-token latency) and the throughput plot tokens per second; this module adds
what is particular to generation. Each measured generation shades its prefill (the prompt through the
model) and its decode (first token to last) on the shared time axis, above utilisation, power and
temperature. The text pane shows what the model writes, as plain text (model output is untrusted),
the last LiveData.TEXT_CHARS characters.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.views.live_data import GenSpan, LiveData
from app.views.plain import plain

MAX_SPANS = 400  # generations shaded at once (the oldest go first): a long run stays cheap to paint
HALF_HEIGHT = 1e7  # spans cover any y range, as the phase shading does
TITLES = {"latency": "Latency per token (decode)", "throughput": "Tokens per second"}
TIPS = {"latency": "Each point is one decode step: generate_next_token() + get_next_tokens() (worker clock). "
                   "Orange: a generation's prefill (the prompt through the model); blue: its decode.",
        "throughput": "Generated tokens per second of wall time, per ~100 ms batch (prefill gaps included)."}


class GenerationShading:
    """Prefill and decode of each measured generation, as rectangles on every plot (painted in C++)."""

    def __init__(self, plots: dict[str, pg.PlotItem], fills: dict[str, str]) -> None:
        self.plots = plots
        self.fills = fills
        self._items: list[list[tuple[pg.PlotItem, QGraphicsRectItem]]] = []
        self._drawn = 0  # generations of the current run already shaded

    def reset(self) -> None:
        for items in self._items:
            self._remove(items)
        self._items.clear()
        self._drawn = 0

    def update(self, live: LiveData) -> None:
        new = live.generations[self._drawn:]
        for span in new[-MAX_SPANS:]:
            self._items.append(self._shade(span))
        self._drawn = len(live.generations)
        while len(self._items) > MAX_SPANS:
            self._remove(self._items.pop(0))

    def _shade(self, span: GenSpan) -> list[tuple[pg.PlotItem, QGraphicsRectItem]]:
        items = []
        for kind, t0, t1 in (("prefill", span.prefill_t0, span.prefill_t1), ("decode", span.decode_t0, span.decode_t1)):
            brush = QBrush(pg.mkColor(self.fills[kind]))
            for plot in self.plots.values():
                rect = QGraphicsRectItem(t0, -HALF_HEIGHT, max(t1 - t0, 0.0), 2 * HALF_HEIGHT)
                rect.setBrush(brush)
                rect.setPen(QPen(Qt.PenStyle.NoPen))
                rect.setZValue(-99)  # above the phase shading, below the data
                rect.setToolTip(f"{kind}: prompt of {span.prompt_tokens} tokens")
                plot.addItem(rect, ignoreBounds=True)
                items.append((plot, rect))
        return items

    @staticmethod
    def _remove(items) -> None:
        for plot, rect in items:
            plot.removeItem(rect)

    @property
    def shaded(self) -> int:
        return len(self._items)


class TextPane(QWidget):
    """What the model generates, streamed: plain text, the last LiveData.TEXT_CHARS characters."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = plain(QLabel("Generated text"))
        self.title.setToolTip("The model's output as it streams (plain text, cut to the last few thousand "
                              "characters). A fast model's text arrives once per generation.")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.text, 1)
        self._version = -1

    def update_from(self, live: LiveData) -> None:
        if live.text_version == self._version:
            return
        self._version = live.text_version
        self.text.setPlainText(live.text)  # never HTML: the model's output is untrusted
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())


def shape_rows(g, where: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """The rows every generative card has, Type to Precision, from a GenAICard; `where`: each row's tooltip (where
    that fact is read in this kind of folder)."""
    def n(value: int | None) -> str:
        return "unknown" if value is None else str(value)

    values = (("Type", g.model_type or "unknown"), ("Layers", n(g.layers)),
              ("Heads", f"{n(g.attention_heads)} attention, {n(g.kv_heads)} KV (head size {n(g.head_size)})"),
              ("Hidden size", n(g.hidden_size)), ("Context", f"{n(g.context_length)} tokens"),
              ("Vocabulary", n(g.vocab_size)), ("Precision", g.precision or "unknown"))
    return [(label, value, tip) for (label, value), tip in zip(values, where, strict=True)]


def card_rows(card: dict) -> list[tuple[str, str, str]]:
    """The model panel's facts of a generative model folder: (label, value, tooltip), from the card's `genai`."""
    from app.common.fmt import fmt_si
    from app.views.ov_genai_card import is_ov_card, ov_card_rows

    if is_ov_card(card):  # an OpenVINO IR LLM folder: the facts come from other files
        return ov_card_rows(card)
    g = card["genai"]  # app.model.genai_folder.GenAICard
    return shape_rows(g, ("model.type in genai_config.json.", "model.decoder.num_hidden_layers.",
                          "Attention heads and key/value heads (fewer KV heads: grouped-query attention).",
                          "model.decoder.hidden_size.", "The longest prompt + generated tokens the model takes.",
                          "model.vocab_size.", "From the decoder's ONNX weights.")) + [
        ("Weights", fmt_si(g.parameters) if g.parameters else
         "unknown (in a context binary)" if "EPContext" in g.precision else "unknown (packed)",
         "Elements of the decoder's weights."),
        ("Provider asked", g.provider_requested or "cpu",
         "What genai_config.json's session options ask for; the target you pick replaces it."),
        ("Decoder pipeline" if g.stages else "Decoder", g.decoder_file or "?", g.config_file),
        ("Tokenizer", g.tokenizer or "?", "Prompts are built with it, so their lengths in tokens are exact."),
    ]
