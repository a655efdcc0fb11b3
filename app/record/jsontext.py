"""`json.dumps(obj, indent=1)`, byte for byte, fast and kind to a GUI's event loop.

A run record is mostly two long lists of floats (the latency samples and their
offsets: ~100,000 each after a long run). With `indent`, the standard library
encodes in pure Python (~0.4 s per record here; the history does it twice: the
fingerprint, then the file), and a thread doing that starves the GUI thread of
the GIL for the whole time (each Qt call releases and re-takes it). Without
`indent`, the C encoder holds the GIL for one ~0.25 s call instead.

Here each long list of numbers is cut out of the tree, encoded in chunks of
`CHUNK` numbers (`repr` of each, which is what json writes for a finite number;
~0.3 ms a chunk, the GIL offered to other threads between chunks) and spliced
back at its indentation; the rest goes through `json.dumps(indent=1)` as before
(~20% faster in all, measured on a 4.6 MB record). Even so, a history save
costs a few hundred ms of CPU in the GUI process: the desktop app starts it
after the end-of-run drawing (app.views.run_controller). The text is identical to `json.dumps(obj,
indent=1, allow_nan=...)`: records' fingerprints (app.record.history) do not change.
"""

from __future__ import annotations

import json
import math
import secrets
import time

LONG = 512  # lists of at least this many numbers are encoded in chunks
CHUNK = 1024  # numbers per C-encoder call: ~0.5 ms with the GIL held


def dumps_indent1(obj, allow_nan: bool = True) -> str:
    """The same text as `json.dumps(obj, indent=1, allow_nan=allow_nan)`."""
    lists: list[list] = []
    token = secrets.token_hex(8)  # markers no string in the record can equal (model text is untrusted)
    skeleton = _cut(obj, lists, token)
    if not lists:
        return json.dumps(obj, indent=1, allow_nan=allow_nan)
    text = json.dumps(skeleton, indent=1, allow_nan=allow_nan)
    parts, pos = [], 0
    for i, values in enumerate(lists):
        mark = json.dumps(_marker(token, i))
        at = text.index(mark, pos)
        indent = line_start = text.rfind("\n", 0, at) + 1
        while text[indent] == " ":  # the line's leading spaces
            indent += 1
        indent -= line_start
        parts += [text[pos:at], _encode_list(values, indent, allow_nan)]
        pos = at + len(mark)
    parts.append(text[pos:])
    return "".join(parts)


def _marker(token: str, i: int) -> str:
    return f"\x00jsontext {token} {i}\x00"


def _cut(obj, lists: list[list], token: str):
    """A copy of the tree's dicts and lists with each long list of plain numbers replaced by a marker."""
    if isinstance(obj, dict):
        return {k: _cut(v, lists, token) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if len(obj) >= LONG and all(type(v) in (float, int) for v in obj):
            lists.append(obj)
            return _marker(token, len(lists) - 1)
        return [_cut(v, lists, token) for v in obj]
    return obj


def _encode_list(values: list, indent: int, allow_nan: bool) -> str:
    """A non-empty list of numbers as json.dumps(indent=1) writes it when its line starts at `indent` spaces."""
    inner = ",\n" + " " * (indent + 1)
    chunks = []
    for i in range(0, len(values), CHUNK):
        chunk = values[i:i + CHUNK]
        if all(map(math.isfinite, chunk)):  # float.__repr__ / int.__repr__ is what json writes, ~2x faster
            chunks.append(inner.join(map(repr, chunk)))
        else:  # NaN / Infinity: json's spelling, or its ValueError when allow_nan is False
            chunks.append(json.dumps(chunk, allow_nan=allow_nan)[1:-1].replace(", ", inner))  # no ", " in numbers
        time.sleep(0)  # offer the GIL to the other threads (the GUI's event loop)
    return "[\n" + " " * (indent + 1) + inner.join(chunks) + "\n" + " " * indent + "]"
