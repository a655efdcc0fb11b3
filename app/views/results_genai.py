"""The results panel's "Generation per prompt length" box: a generative run's table (docs/genai.md).

One row per prompt length from the record's typed `genai` section (app/record/genai_schema.py): prefill and
prompt tokens/s, TTFT, decode p50/p90/p99 per token and decode tokens/s, the worker's memory and J/token,
each through app/common/fmt.py. A figure that was not measured says so, with the record's reason.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.common import fmt
from app.record.genai_schema import GenAI, GenAIPromptResult
from app.record.schema import RunRecord
from app.views.plain import plain, tip

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
            f"onnxruntime-genai {g.runtime_version or '?'}, provider {g.provider or '?'}.")


def note_lines(g: GenAI) -> list[str]:
    first = g.results[0] if g.results else None
    lines = [f"Medians over {first.generations} generation(s) per length; decode percentiles over every decode "
             f"step ({sum(r.decode_steps for r in g.results):,} in all)."] if first else []
    peak = fmt.fmt_bytes(g.peak_rss_bytes) if g.peak_rss_bytes is not None else unavailable(g.peak_rss_reason)
    lines.append(f"Peak memory (the worker's resident memory, whole run): {peak}.")
    reasons = sorted({r.energy_reason for r in g.results if r.energy_j_per_token is None and r.energy_reason})
    lines += [f"J/token {unavailable(reason)}" for reason in reasons]
    return lines + [f"Note: {n}" for n in g.notes]


class GenAIResultsBox(QGroupBox):
    def __init__(self, table_factory, fill, parent: QWidget | None = None) -> None:
        super().__init__("Generation per prompt length", parent)
        self._fill = fill
        self.asked = plain(QLabel())  # the prompt file's path is the user's text
        self.asked.setWordWrap(True)
        self.table = table_factory([h for h, _ in COLUMNS])
        for c, (_, why) in enumerate(COLUMNS):
            self.table.horizontalHeaderItem(c).setToolTip(why)
        # The reason J/token is unavailable can be long: that column takes the room left, elided (tooltip: all).
        self.table.horizontalHeader().setSectionResizeMode(ENERGY_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.notes = plain(QLabel())
        self.notes.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.asked)
        lay.addWidget(self.table)
        lay.addWidget(self.notes)
        self.setVisible(False)

    def show_record(self, r: RunRecord) -> None:
        g = r.genai
        self.setVisible(g is not None)
        if g is None:
            return
        self.asked.setText(asked_line(g))
        if g.results:
            self._fill(self.table, [row(x) for x in g.results])
            for i, x in enumerate(g.results):
                energy = self.table.item(i, ENERGY_COLUMN)
                energy.setToolTip(tip(energy.text() if x.energy_j_per_token is None else COLUMNS[-1][1]))
        else:
            self._fill(self.table, [("No generation was measured: the run ended before the first one.",
                                     *[""] * (len(COLUMNS) - 1))])
            self.table.setSpan(0, 0, 1, len(COLUMNS))
        self.notes.setText("\n".join(note_lines(g)))
