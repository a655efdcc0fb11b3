"""Grouped bars of generative runs (app.report.genai_compare): per metric, one group per prompt length,
one bar per run. A value a run lacks is a labelled gap, never a zero bar."""

from __future__ import annotations

from app.common.fmt import NA
from app.report.genai_compare import METRICS, GenAICompareRow, grouped
from app.report.svg import N_SERIES, _svg, _text, esc, short_middle

PANEL_H = 190  # one metric's panel at 12 px text: title, bars, prompt-length labels
BAR_W, BAR_GAP, GROUP_GAP = 50, 4, 28  # at 12 px text: wide enough for the number above a bar
FONT_PX = 12  # the charts' text size (app.report.svg.FONT); the PNG export asks for its own


def _panel(rows: list[GenAICompareRow], metric, top: float, width: int, font_px: int) -> list[str]:
    k = font_px / FONT_PX  # everything grows with the text, so the numbers keep fitting over their bars
    bar_w, bar_gap, group_gap, panel_h = BAR_W * k, BAR_GAP * k, GROUP_GAP * k, PANEL_H * k
    lengths, runs, values = grouped(rows, metric.key)
    finite = [v for vs in values for v in vs if v is not None and v >= 0]
    vmax = max(finite) if finite and max(finite) > 0 else 1.0
    better = "higher is better" if metric.higher_is_better else "lower is better"
    out = [_text(10 * k, top + 14 * k, f"{metric.title} per prompt length ({metric.unit}, {better})", "apc-fg",
                 extra=' font-weight="bold"')]
    if not finite:
        out.append(_text(20 * k, top + 40 * k, f"{NA} for every run at every length (why: in the table)", "apc-muted"))
    base, bar_top = top + panel_h - 30 * k, top + 40 * k
    group_w = len(runs) * (bar_w + bar_gap) + group_gap
    value_size = f' font-size="{font_px - 1}"'
    for g, n in enumerate(lengths):
        x0 = 20 * k + g * group_w
        out.append(_text(x0 + (group_w - group_gap) / 2, base + 16 * k, f"{n} tokens", "apc-muted", "middle"))
        for i in range(len(runs)):
            v, x = values[i][g], x0 + i * (bar_w + bar_gap)
            if v is None or v < 0:
                out += [f'<rect class="apc-gap" x="{x:.1f}" y="{base - 14 * k:.1f}" width="{bar_w:.1f}" '
                        f'height="{14 * k:.1f}"/>',
                        _text(x + bar_w / 2, base - 18 * k, NA, "apc-muted", "middle", value_size)]
                continue
            h = max((v / vmax) * (base - bar_top), 1.0)
            out += [f'<rect class="apc-b{i % N_SERIES}" x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                    f'height="{h:.1f}"><title>{esc(run_label(runs[i], n, metric.fmt(v)))}</title></rect>',
                    _text(x + bar_w / 2, base - h - 4 * k, metric.bare(v), "apc-fg", "middle", value_size)]
    legend_x = max(20 * k + len(lengths) * group_w, width - 230 * k)
    for i, run in enumerate(runs):
        y = top + 34 * k + i * 16 * k
        out += [f'<rect class="apc-b{i % N_SERIES}" x="{legend_x:.1f}" y="{y - 9 * k:.1f}" width="{10 * k:.1f}" '
                f'height="{10 * k:.1f}"/>', _text(legend_x + 14 * k, y, short_middle(run, 28))]
    return out


def run_label(run: str, prompt_tokens: int, value: str) -> str:
    return f"{run}, {prompt_tokens} tokens: {value}"


def genai_bars_body(rows: list[GenAICompareRow], width: int, font_px: int = FONT_PX) -> tuple[list[str], int]:
    body, top = [], 4
    for metric in METRICS:
        body += _panel(rows, metric, top, width, font_px)
        top += PANEL_H * font_px / FONT_PX
    if font_px != FONT_PX:
        body = [f'<g style="font-size:{font_px}px">', *body, "</g>"]
    return body, round(top + 6)


def genai_bars_svg(rows: list[GenAICompareRow], *, theme: str = "auto", width: int = 760,
                   font_px: int = FONT_PX) -> str:
    """The three panels, `width` pixels wide; `font_px`: the text size, everything else scales with it."""
    body, height = genai_bars_body(rows, width, font_px)
    return _svg(width, height, "TTFT, decode tokens/s and energy per token per prompt length", body, theme)
