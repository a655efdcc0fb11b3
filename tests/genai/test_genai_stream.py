"""What a generation sends while it decodes (app.run.genai_loop._Stream), with the model's real tokenizer."""

from __future__ import annotations

from array import array

import numpy as np
import onnxruntime_genai as og

from app.run.genai_loop import STREAM_TEXT_MIN_STEP_NS, _Stream
from app.run.messages import GeneratedText, LatencyBatch


def _decode_steps(step_ns: int, count: int, first_ns: int = 1_000) -> tuple[array, array]:
    starts = array("q", (first_ns + i * step_ns for i in range(count)))
    return starts, array("q", (s + step_ns - 10 for s in starts))


def _run(tokenizer, step_ns: int) -> tuple[list, str]:
    sent: list = []
    tokens = list(np.asarray(tokenizer.encode("The profiler measures the decode speed of a model"), np.int32))
    out = _Stream(sent.append, tokenizer, 16, 0, first_ns=1_000)
    starts, ends = _decode_steps(step_ns, len(tokens) - 1)
    half = len(starts) // 2
    out.flush(starts[:half], ends[:half], tokens[: half + 1])
    text = tokenizer.decode(np.asarray(tokens, np.int32))
    durations = out.finish(starts, ends, tokens, text)
    assert list(durations) == [step_ns - 10] * len(starts)
    return sent, text


def test_slow_tokens_stream_their_text_in_pieces(genai_built):
    tok = og.Tokenizer(og.Model(str(genai_built)))
    sent, text = _run(tok, STREAM_TEXT_MIN_STEP_NS * 2)
    pieces = [m for m in sent if isinstance(m, GeneratedText)]
    assert len(pieces) == 2 and pieces[0].new_generation and not pieces[1].new_generation
    assert "".join(p.text for p in pieces) == text  # nothing lost or repeated at the end
    steps = [m for m in sent if isinstance(m, LatencyBatch)]
    assert sum(len(b.durations_ns) for b in steps) == len(tok.encode(text)) - 1


def test_fast_tokens_send_their_text_once_after_the_generation(genai_built):
    tok = og.Tokenizer(og.Model(str(genai_built)))
    sent, text = _run(tok, 50_000)
    pieces = [m for m in sent if isinstance(m, GeneratedText)]
    assert [(p.text, p.new_generation) for p in pieces] == [(text, True)]
    assert isinstance(sent[-1], GeneratedText)  # after the last steps


def test_a_warm_up_generation_sends_nothing(genai_built):
    tok = og.Tokenizer(og.Model(str(genai_built)))
    out = _Stream(None, tok, 16, 0, first_ns=1_000)
    starts, ends = _decode_steps(2_000_000, 4)
    out.flush(starts, ends, [1, 2, 3, 4, 5])
    assert list(out.finish(starts, ends, [1, 2, 3, 4, 5], "x")) == [1_999_990] * 4
