"""Untrusted text (model names, record fields, file names) made safe to print on a terminal.

A model file or a run record can carry any string: an ANSI colour or "clear
screen" sequence, an OSC that retitles the terminal, a carriage return that
overwrites what was printed, a NUL, or a bidi override that makes text read
backwards. `terminal_safe` shows control characters as visible escapes (`\\x1b`)
and drops the bidi overrides, so what the user reads is what the file holds.
"""

from __future__ import annotations

import re

# Explicit directional embeddings/overrides/isolates: they reorder what follows on screen.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
# C0 controls (tab kept; newline by the caller's choice), DEL, C1 controls, and lone surrogates
# (JSON can carry "\ud800"; printing one would raise UnicodeEncodeError).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_KEEP_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def drop_bidi(text: str) -> str:
    """`text` without bidi embedding/override/isolate characters (also used for HTML and SVG)."""
    return _BIDI.sub("", text)


def terminal_safe(value: object, *, multiline: bool = False) -> str:
    """`value` as text a terminal prints literally: control characters escaped, bidi overrides dropped.

    Tabs are kept; newlines are kept only with `multiline` (a whole block of output),
    so one field can never start a line of its own.
    """
    pattern = _CONTROL_KEEP_NEWLINE if multiline else _CONTROL
    return pattern.sub(_escape, drop_bidi(str(value)))
