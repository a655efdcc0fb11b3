"""A generative model's run as terminal text (app.report.text.format_run hands a record with `genai` here)."""

from __future__ import annotations

from app.common.fmt import NA, fmt_bytes, fmt_mj, fmt_ms, fmt_rate, fmt_si
from app.common.text import terminal_safe
from app.record.genai_schema import GenAI, GenAIModel, GenAIPromptResult
from app.record.schema import Phase, RunRecord

SAMPLE_LINE_CHARS = 160
COLUMNS = ("prompt", "prefill", "prompt tok/s", "TTFT", "decode p50", "p90", "p99", "decode tok/s", "J/token",
           "RSS")


def card_line(m: GenAIModel) -> str:
    kv = f"{m.kv_heads} KV heads" if m.kv_heads is not None else "KV heads unknown"
    return (f"  model: {m.model_type or 'unknown type'}, {_n(m.layers)} layers, {_n(m.attention_heads)} heads, {kv}, "
            f"hidden {_n(m.hidden_size)}, context {_n(m.context_length)} tokens, vocab {_n(m.vocab_size)}, "
            f"{m.precision or 'precision unknown'}, {fmt_si(m.parameters)} weights"
            + (f"; the config asks for {m.provider_requested}" if m.provider_requested else ""))


def stage_lines(m: GenAIModel) -> list[str]:
    """One line per stage of a decoder pipeline (none for a single decoder file)."""
    lines = []
    for st in m.stages:
        runs = ("" if st.run_on_prompt and st.run_on_token_gen else ", prompt only" if st.run_on_prompt
                else ", token generation only" if st.run_on_token_gen else ", never run")
        weights = f"{fmt_si(st.parameters)} weights" if st.parameters is not None else "weights not counted"
        lines.append(f"  stage {st.name}: {st.filename}, {st.precision or 'precision unknown'}, {weights}, "
                     f"asks for {st.provider_requested or 'cpu'}{', LM head' if st.is_lm_head else ''}{runs}")
    return lines


def _n(value: int | None) -> str:
    return NA if value is None else str(value)


def row(r: GenAIPromptResult) -> list[str]:
    return [str(r.prompt_tokens), fmt_ms(r.prefill_median_s), fmt_rate(r.prompt_tokens_per_s, unit=""),
            fmt_ms(r.ttft_median_s), fmt_ms(r.decode_p50_s), fmt_ms(r.decode_p90_s), fmt_ms(r.decode_p99_s),
            fmt_rate(r.decode_tokens_per_s, unit=""), fmt_mj(r.energy_j_per_token), fmt_bytes(r.rss_bytes)]


def table_lines(g: GenAI) -> list[str]:
    rows = [list(COLUMNS)] + [row(r) for r in g.results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]


def genai_lines(r: RunRecord) -> list[str]:
    g = r.genai
    if g is None:
        return []
    s = g.settings
    lines = [card_line(g.model), *stage_lines(g.model),
             f"  asked: prompts of {', '.join(map(str, s.prompt_tokens))} tokens, {s.gen_tokens} generated tokens "
             f"each, {s.iterations} measured generation(s) per length after {s.warmup} warm-up; prompt: "
             f"{s.prompt_source}",
             f"  runtime: {g.runtime_text()}"]
    if not g.results:
        lines.append("  results: none (no generation was measured)")
        return lines
    lines += table_lines(g)
    first = g.results[0]
    lines.append(f"  (medians over {first.generations} generation(s); decode percentiles over every decode step; "
                 f"J/token: the generations' energy / generated tokens, prefill included)")
    energy_reasons = sorted({x.energy_reason for x in g.results if x.energy_j_per_token is None and x.energy_reason})
    if energy_reasons:
        lines.append(f"  J/token: N/A ({'; '.join(energy_reasons)})")
    peak = fmt_bytes(g.peak_rss_bytes) if g.peak_rss_bytes is not None else f"N/A ({g.peak_rss_reason})"
    lines.append(f"  peak memory (worker RSS): {peak}")
    if g.sample_text:
        text = " ".join(g.sample_text.split())
        cut = text[:SAMPLE_LINE_CHARS] + ("..." if len(text) > SAMPLE_LINE_CHARS else "")
        lines.append(f"  last generation's text: {cut}")
    lines += [f"  note: {n}" for n in g.notes]
    return lines


def format_genai_run(r: RunRecord) -> str:
    """The header, phases, the table of results per prompt length and warnings; terminal-safe lines."""
    t = r.target
    lines = [f"{r.model.display_name} on {t.id} ({t.device_name or t.device_type})  status: {r.status.value}"]
    if r.error:
        lines.append(f"  error: {r.error.message} {r.error.hint}".rstrip())
    parts = [f"{name} {fmt_ms(p.seconds)}" for name, p in r.phases.items() if name != Phase.MEASURE.value]
    if parts:
        lines.append("  phases: " + ", ".join(parts))
    lines += genai_lines(r)
    lines += [f"  WARNING: {w.text}" for w in r.warnings]
    return "\n".join(terminal_safe(line) for line in lines)
