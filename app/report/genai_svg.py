"""Grouped bars of generative runs (app.report.genai_compare): per metric, one group per prompt length,
one bar per run. A value a run lacks is a labelled gap, never a zero bar."""

from __future__ import annotations

from app.common.fmt import NA
from app.report.genai_compare import METRICS, GenAICompareRow, grouped
from app.report.svg import N_SERIES, _svg, _text, short

PANEL_H = 190  # one metric's panel: title, bars, prompt-length labels
BAR_W, BAR_GAP, GROUP_GAP = 50, 4, 28  # wide enough for a value label above its bar


def _panel(rows: list[GenAICompareRow], metric, top: float, width: int) -> list[str]:
    lengths, runs, values = grouped(rows, metric.key)
    finite = [v for vs in values for v in vs if v is not None and v >= 0]
    vmax = max(finite) if finite and max(finite) > 0 else 1.0
    better = "higher is better" if metric.higher_is_better else "lower is better"
    out = [_text(10, top + 14, f"{metric.title} per prompt length ({better})", "apc-fg", extra=' font-weight="bold"')]
    if not finite:
        out.append(_text(20, top + 40, f"{NA} for every run at every length (why: in the table)", "apc-muted"))
    base, bar_top = top + PANEL_H - 30, top + 40
    group_w = len(runs) * (BAR_W + BAR_GAP) + GROUP_GAP
    for g, n in enumerate(lengths):
        x0 = 20 + g * group_w
        out.append(_text(x0 + (group_w - GROUP_GAP) / 2, base + 16, f"{n} tokens", "apc-muted", "middle"))
        for i in range(len(runs)):
            v, x = values[i][g], x0 + i * (BAR_W + BAR_GAP)
            if v is None or v < 0:
                out += [f'<rect class="apc-gap" x="{x}" y="{base - 14}" width="{BAR_W}" height="14"/>',
                        _text(x + BAR_W / 2, base - 18, NA, "apc-muted", "middle")]
                continue
            h = max((v / vmax) * (base - bar_top), 1.0)
            out += [f'<rect class="apc-b{i % N_SERIES}" x="{x}" y="{base - h:.1f}" width="{BAR_W}" height="{h:.1f}"/>',
                    _text(x + BAR_W / 2, base - h - 4, metric.fmt(v), "apc-fg", "middle", ' font-size="9"')]
    legend_x = max(20 + len(lengths) * group_w, width - 230)
    for i, run in enumerate(runs):
        y = top + 34 + i * 16
        out += [f'<rect class="apc-b{i % N_SERIES}" x="{legend_x}" y="{y - 9}" width="10" height="10"/>',
                _text(legend_x + 14, y, short(run, 28))]
    return out


def genai_bars_body(rows: list[GenAICompareRow], width: int) -> tuple[list[str], int]:
    body, top = [], 4
    for metric in METRICS:
        body += _panel(rows, metric, top, width)
        top += PANEL_H
    return body, top + 6


def genai_bars_svg(rows: list[GenAICompareRow], *, theme: str = "auto", width: int = 760) -> str:
    body, height = genai_bars_body(rows, width)
    return _svg(width, height, "TTFT, decode tokens/s and energy per token per prompt length", body, theme)
