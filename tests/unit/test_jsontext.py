"""app.record.jsontext writes exactly what json.dumps(indent=1) writes (record fingerprints depend on it)."""

import json
import math
import threading
import time

import numpy as np
import pytest

from app.record import jsontext


def _tree() -> dict:
    rng = np.random.default_rng(1)
    floats = rng.lognormal(-7, 0.5, 3000).tolist()
    return {
        "latency": {"unit": "s", "samples": floats, "offsets": np.cumsum(floats).tolist(), "count": 3000},
        "series": [{"t": list(range(1000)), "v": [float(i) / 7 for i in range(1000)]}, {"t": [], "v": [1.0]}],
        "nested": [[0.5] * 600, [1, 2, 3], {"deep": {"deeper": [2.5e-9] * 513}}],
        "mixed": [1.0] * 600 + ["text"],  # not all numbers: the standard path
        "flags": [True] * 700,  # bools are not numbers here: the standard path
        "name": "résumé \u2603 \x00 \"quoted\"",
        "empty": {}, "none": None,
    }


@pytest.mark.parametrize("obj", [_tree(), [0.25] * 5000, {"a": [1] * 512}, {"a": [1] * 511}, [], {}, 3.5])
def test_same_text_as_json_dumps_indent_1(obj):
    assert jsontext.dumps_indent1(obj) == json.dumps(obj, indent=1)
    assert jsontext.dumps_indent1(obj, allow_nan=False) == json.dumps(obj, indent=1, allow_nan=False)


def test_nan_is_refused_or_written_like_json_dumps():
    obj = {"v": [1.0] * 1000 + [math.nan]}
    assert jsontext.dumps_indent1(obj) == json.dumps(obj, indent=1)
    with pytest.raises(ValueError):
        jsontext.dumps_indent1(obj, allow_nan=False)


def test_another_thread_keeps_getting_the_gil():
    """The point of it: a GUI thread waiting on a 10 ms timer is never held off for long."""
    big = {"samples": np.random.default_rng(0).random(400_000).tolist()}
    gaps: list[float] = []
    done = threading.Event()

    def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.05)
    before = len(gaps)
    start = time.perf_counter()
    jsontext.dumps_indent1(big)
    took = time.perf_counter() - start
    during = len(gaps) - before
    done.set()
    t.join()
    # One C call holding the GIL (json.dumps without indent) would let the ticker in once or twice; a busy
    # machine stretches single gaps, so count the ticks that got in rather than timing the longest wait.
    assert during >= 10, f"the other thread ran {during} times in {took * 1e3:.0f} ms of encoding"


def test_text_that_looks_like_a_marker_is_written_as_it_is():
    """Record text is untrusted (model node names): a string shaped like the splice marker stays a string."""
    obj = {"name": "\x00jsontext list 0\x00", "values": [1.5] * 600, "note": "\x00jsontext 0\x00"}
    assert jsontext.dumps_indent1(obj) == json.dumps(obj, indent=1)
