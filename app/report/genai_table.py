"""A generative run's table per prompt length, as the desktop app's results and the HTML report show it.

One row per prompt length from the record's typed `genai` section (app/record/genai_schema.py), every figure
through app/common/fmt.py; a figure that was not measured is "unavailable: <the record's reason>", never 0.
app/views/results_genai.py shows it as a Qt table, `genai_run_html` as the HTML report's run section.
"""

from __future__ import annotations

from app.common import fmt
from app.record.genai_schema import GenAI, GenAIPromptResult
from app.record.schema import RunRecord

# (header, tooltip): what each column times (app/record/genai_schema.py)
COLUMNS = (("Prompt tokens", "The prompt's length in tokens (the model's own tokenizer)."),
           ("Prefill", "generator.append_tokens(prompt): median over the measured generations."),
           ("Prompt tok/s", "Prompt tokens / median prefill."),
           ("TTFT", "Time to first token: the generator's setup + prefill + the first token, median."),
           ("Decode p50", "Median time per decode step (one generated token), over every step of every generation."),
           ("p90", "90th percentile per decode step."),
           ("p99", "99th percentile per decode step."),
           ("Decode tok/s", "Decode steps / the generations' decode windows (first token to last)."),
           ("Memory", "The worker's resident memory at the last token of the last generation at this length."),
           ("J/token", "The generations' energy / their generated tokens (prefill included), where a power "
                       "source covers the device."))
ENERGY_COLUMN = len(COLUMNS) - 1


def unavailable(reason: str) -> str:
    return f"unavailable: {reason}" if reason else "unavailable (no reason recorded)"


def row(r: GenAIPromptResult) -> tuple[str, ...]:
    """One prompt length's cells, as the table shows them."""
    energy = fmt.fmt_mj(r.energy_j_per_token) if r.energy_j_per_token is not None else unavailable(r.energy_reason)
    return (str(r.prompt_tokens), fmt.fmt_ms(r.prefill_median_s), fmt.fmt_rate(r.prompt_tokens_per_s, unit=""),
            fmt.fmt_ms(r.ttft_median_s), fmt.fmt_ms(r.decode_p50_s), fmt.fmt_ms(r.decode_p90_s),
            fmt.fmt_ms(r.decode_p99_s), fmt.fmt_rate(r.decode_tokens_per_s, unit=""), fmt.fmt_bytes(r.rss_bytes),
            energy)


def asked_line(g: GenAI) -> str:
    s = g.settings
    return (f"Asked: prompts of {', '.join(map(str, s.prompt_tokens))} tokens, {s.gen_tokens} generated tokens each, "
            f"{s.iterations} measured generation(s) per length after {s.warmup} warm-up; prompt: {s.prompt_source}. "
            f"{g.runtime_text()}.")


def note_lines(g: GenAI) -> list[str]:
    first = g.results[0] if g.results else None
    lines = [f"Medians over {first.generations} generation(s) per length; decode percentiles over every decode "
             f"step ({sum(r.decode_steps for r in g.results):,} in all)."] if first else []
    peak = fmt.fmt_bytes(g.peak_rss_bytes) if g.peak_rss_bytes is not None else unavailable(g.peak_rss_reason)
    lines.append(f"Peak memory (the worker's resident memory, whole run): {peak}.")
    reasons = sorted({r.energy_reason for r in g.results if r.energy_j_per_token is None and r.energy_reason})
    lines += [f"J/token {unavailable(reason)}" for reason in reasons]
    return lines + [f"Note: {n}" for n in g.notes]


def genai_run_html(r: RunRecord) -> str:
    """The HTML report's section of one generative run ("" for any other run); its text escaped by table()."""
    from app.report.html import esc, table

    g = r.genai
    if g is None:
        return ""
    rows = [list(row(x)) for x in g.results] or [["no generation was measured", *[""] * (len(COLUMNS) - 1)]]
    notes = "".join(f"<li>{esc(line)}</li>" for line in note_lines(g))
    return (f"<h3>Generation per prompt length</h3><p>{esc(asked_line(g))}</p>"
            + table([h for h, _ in COLUMNS], rows) + f"<ul>{notes}</ul>")
