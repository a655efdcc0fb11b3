"""Generative runs compared per prompt length: TTFT, decode tokens/s and J/token (grouped bars, a table, CSV).

One `GenAICompareRow` per run and prompt length. A figure a run did not measure (no generation at that
length, no power reading) is None with its reason: drawn as a labelled gap, never as a zero bar.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields

from app.common.fmt import NA, fmt_mj, fmt_ms, fmt_rate
from app.common.text import terminal_safe
from app.record.schema import RunRecord


@dataclass(frozen=True)
class GenAICompareRow:
    """One run at one prompt length; field order is the CSV column order."""

    run: str
    target: str
    prompt_tokens: int
    generated_tokens: int | None
    ttft_s: float | None
    prefill_s: float | None
    prompt_tokens_per_s: float | None
    decode_p50_s: float | None
    decode_tokens_per_s: float | None
    j_per_token: float | None
    j_per_token_reason: str = ""  # why j_per_token is None for a measured length
    note: str = ""  # why a length has no figures at all ("not asked for", "not measured ...")


@dataclass(frozen=True)
class GenAIMetric:
    key: str
    title: str
    fmt: object  # value -> text
    higher_is_better: bool
    unit: str = ""  # the unit `fmt` writes, so a bar's label can leave it to the axis title
    bare: object = None  # value -> the number alone, for the label above a bar (fmt without the unit)


METRICS = (GenAIMetric("ttft_s", "Time to first token", lambda v: fmt_ms(v), False, "ms",
                       lambda v: fmt_ms(v).removesuffix(" ms")),
           GenAIMetric("decode_tokens_per_s", "Decode tokens/s", lambda v: fmt_rate(v, unit=" tok/s"), True,
                       "tokens/s", lambda v: fmt_rate(v, unit="")),
           GenAIMetric("j_per_token", "Energy per token", lambda v: fmt_mj(v), False, "mJ",
                       lambda v: fmt_mj(v).removesuffix(" mJ")))


def generative(records: list[RunRecord]) -> list[int]:
    """Indices of the records that are generative runs."""
    return [i for i, r in enumerate(records) if r.genai is not None]


def prompt_lengths(records: list[RunRecord]) -> list[int]:
    return sorted({n for r in records if r.genai is not None for n in r.genai.settings.prompt_tokens})


def genai_rows(records: list[RunRecord], names: list[str]) -> list[GenAICompareRow]:
    """Every generative run at every prompt length any of them asked for (a length it lacks: all None)."""
    rows = []
    lengths = prompt_lengths(records)
    for i in generative(records):
        r = records[i]
        for n in lengths:
            res = r.genai.result(n)
            if res is None:
                why = "not asked for" if n not in r.genai.settings.prompt_tokens else "not measured (the run ended first)"
                rows.append(GenAICompareRow(names[i], r.target.id, n, None, None, None, None, None, None, None,
                                            note=why))
                continue
            rows.append(GenAICompareRow(
                names[i], r.target.id, n, res.generated_tokens, res.ttft_median_s, res.prefill_median_s,
                res.prompt_tokens_per_s, res.decode_p50_s, res.decode_tokens_per_s, res.energy_j_per_token,
                "" if res.energy_j_per_token is not None else res.energy_reason))
    return rows


def format_genai_table(rows: list[GenAICompareRow]) -> list[str]:
    """Terminal lines (terminal-safe): one per run and prompt length."""
    if not rows:
        return []
    head = ["run", "target", "prompt", "TTFT", "prefill tok/s", "decode p50", "decode tok/s", "J/token"]
    body = [[r.run, r.target, str(r.prompt_tokens), fmt_ms(r.ttft_s), fmt_rate(r.prompt_tokens_per_s, unit=""),
             fmt_ms(r.decode_p50_s), fmt_rate(r.decode_tokens_per_s, unit=""), fmt_mj(r.j_per_token)] for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["generative runs, per prompt length (TTFT and prefill: medians; decode: over every step):"]
    lines += ["  " + "  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(x, widths)))
              for x in [head, *body]]
    reasons = sorted({r.j_per_token_reason for r in rows if r.j_per_token is None and r.j_per_token_reason})
    if reasons:
        lines.append(f"  J/token {NA}: {'; '.join(reasons)}")
    lines += [f"  {r.run} at {r.prompt_tokens} tokens: {NA}, {r.note}" for r in rows if r.note]
    return [terminal_safe(line) for line in lines]


def genai_csv(rows: list[GenAICompareRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(GenAICompareRow)])
    for r in rows:
        writer.writerow(["" if v is None else v for v in asdict(r).values()])
    return out.getvalue()


def grouped(rows: list[GenAICompareRow], key: str) -> tuple[list[int], list[str], list[list[float | None]]]:
    """(prompt lengths, runs, values[run][length]) of one metric, for grouped bars."""
    lengths = sorted({r.prompt_tokens for r in rows})
    runs = list(dict.fromkeys(r.run for r in rows))
    by = {(r.run, r.prompt_tokens): getattr(r, key) for r in rows}
    return lengths, runs, [[by.get((run, n)) for n in lengths] for run in runs]


def genai_html(records: list[RunRecord], names: list[str], theme: str) -> str:
    """The report page's section for generative runs: the table per prompt length and the grouped bars."""
    from app.report.genai_svg import genai_bars_svg
    from app.report.html import table

    rows = genai_rows(records, names)
    if not rows:
        return ""
    body = [[r.run, r.target, r.prompt_tokens, fmt_ms(r.ttft_s), fmt_rate(r.prompt_tokens_per_s, unit=""),
             fmt_ms(r.decode_p50_s), fmt_rate(r.decode_tokens_per_s, unit=""),
             fmt_mj(r.j_per_token) if r.j_per_token is not None else f"{NA} ({r.j_per_token_reason or r.note})"]
            for r in rows]
    head = ["run", "target", "prompt tokens", "TTFT", "prefill tok/s", "decode p50", "decode tok/s", "J/token"]
    return ("<h2>Generative runs per prompt length</h2>" + table(head, body) + genai_bars_svg(rows, theme=theme))
