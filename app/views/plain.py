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
