"""Untrusted text on screen: names, paths and warnings from a model or a run record.

A QLabel left on Qt's default (AutoText) renders anything that looks like HTML,
so a model named '<img src="/dev/zero">' would make Qt try to load that file.
Labels that show such text are plain text (`plain`); tooltips are always
auto-detected by Qt, so their text is escaped into explicit rich text (`tip`);
a label that needs markup of its own escapes every piece of record text (`esc`)
and says it is rich text.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain(label: QLabel) -> QLabel:
    """`label` shows its text as is, never as rich text."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def rich(label: QLabel) -> QLabel:
    """`label` shows markup of its own; every piece of untrusted text in it must go through `esc`."""
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def esc(text: object) -> str:
    return html.escape(str(text))


def tip(text: str) -> str:
    """A tooltip showing `text` literally (line breaks kept), whatever markup it holds."""
    return "<qt>" + esc(text).replace("\n", "<br>") + "</qt>" if text else ""


ZWSP = "\u200b"  # a zero-width space: a place a word-wrapped label may break a line
_LONG_TOKEN = re.compile(r"\S{28,}")
_BREAK_AFTER = re.compile(r"([/\\_.,:;=&?-]+)")


def breakable(text: str) -> str:
    """`text` with break opportunities inside long tokens (paths, C++ names, URLs), after their separators:
    a word-wrapped label then wraps a long error line instead of growing wider than its panel."""
    return _LONG_TOKEN.sub(lambda m: _BREAK_AFTER.sub(lambda s: s.group(1) + ZWSP, m.group(0)), text)


class WrapLabel(QLabel):
    """A plain-text, word-wrapped label that never makes its panel wider: its minimum width is small, so a
    long path or C++ name in an error wraps where Unicode allows (after '/', at spaces) instead of widening
    the window; the text stays exactly as given."""

    MIN_WIDTH = 80

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        size = super().minimumSizeHint()
        size.setWidth(min(size.width(), self.MIN_WIDTH))
        return size
