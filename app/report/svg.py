"""Comparison charts as SVG text, in pure Python (no Qt, no matplotlib).

Two charts: the latency CDF of every run overlaid, and bars for p50, p99,
throughput and energy per inference. A missing value is a labelled gap
("N/A"), never a zero-length bar. Colours come from CSS classes, so one file
reads well in light and dark: theme "auto" follows `prefers-color-scheme`,
"light" / "dark" pin one palette. Every piece of text goes through `esc()`.
"""

from __future__ import annotations

import math
import re
from html import escape

import numpy as np

from app.common.fmt import NA, fmt_mj, fmt_ms, fmt_num, fmt_rate
from app.common.text import drop_bidi
from app.record.schema import RunRecord
from app.report.comparison import ComparisonRow
from app.report.palette import PALETTES, THEMES, Palette

MAX_CDF_POINTS = 400
N_SERIES = len(PALETTES["light"].series)  # CSS classes apc-l0.. / apc-b0.., one per series colour
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:12px"
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def esc(value: object) -> str:
    """Text safe inside XML/HTML elements and quoted attributes; drops characters XML forbids and bidi
    overrides (a name with U+202E would read backwards, and could reorder the text around it)."""
    return escape(drop_bidi(_XML_INVALID.sub("", str(value))), quote=True)


def short(text: object, limit: int = 32) -> str:
    s = str(text)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def short_middle(text: object, limit: int = 32) -> str:
    """Cut in the middle: run names in one comparison often differ only at the end ("... 04:36:53")."""
    s = str(text)
    if len(s) <= limit:
        return s
    tail = (limit - 1) * 2 // 5
    return s[: limit - 1 - tail] + "\u2026" + s[len(s) - tail:]


def _palette_css(p: Palette) -> str:
    rules = [f".apc-bg{{fill:{p.background}}}", f".apc-fg{{fill:{p.foreground}}}", f".apc-muted{{fill:{p.muted}}}",
             f".apc-grid{{stroke:{p.border};stroke-width:1}}", f".apc-axis{{stroke:{p.muted};stroke-width:1}}",
             f".apc-gap{{fill:none;stroke:{p.muted};stroke-dasharray:4 3}}",
             f".apc-front{{fill:none;stroke:{p.ok};stroke-width:2;stroke-dasharray:6 3}}",  # the Pareto front
             f".apc-ring{{fill:none;stroke:{p.ok};stroke-width:2.5}}"]
    for i, c in enumerate(p.series):
        rules += [f".apc-l{i}{{stroke:{c};fill:none;stroke-width:2}}", f".apc-b{i}{{fill:{c}}}"]
    rules += [f".apc-d{kind}{{fill:{c}}}" for kind, c in p.devices.items()]  # operator bars, by device kind
    return "".join(rules)


def style_css(theme: str = "auto") -> str:
    """The charts' CSS: one palette, or light with a dark override for theme "auto"."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}")
    if theme != "auto":
        return _palette_css(PALETTES[theme])
    return _palette_css(PALETTES["light"]) + \
        "@media (prefers-color-scheme: dark){" + _palette_css(PALETTES["dark"]) + "}"


def _svg(width: int, height: int, label: str, body: list[str], theme: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}" style="{FONT}">'
            f"<title>{esc(label)}</title><style>{style_css(theme)}</style>"
            f'<rect class="apc-bg" x="0" y="0" width="{width}" height="{height}"/>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: object, cls: str = "apc-fg", anchor: str = "start", extra: str = "") -> str:
    return (f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>'
            f"{esc(text)}</text>")


def _finite(values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def _cdf_points(samples_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, F) of the empirical CDF, at most MAX_CDF_POINTS points, min and max included."""
    x = np.sort(samples_ms)
    f = np.arange(1, x.size + 1) / x.size
    if x.size > MAX_CDF_POINTS:
        pick = np.unique(np.linspace(0, x.size - 1, MAX_CDF_POINTS).round().astype(int))
        x, f = x[pick], f[pick]
    return x, f


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round-number ticks covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    return [round(start + i * step, 12) for i in range(int((hi - start) / step) + 2) if start + i * step <= hi + 1e-12]


def log_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        ticks += [m * 10.0 ** e for m in (1, 2, 5) if lo <= m * 10.0 ** e <= hi]
    return ticks


def _scale_x(lo: float, hi: float, x0: float, x1: float, log: bool):
    if log:
        a, b = math.log10(lo), math.log10(hi)
        return lambda v: x0 + (math.log10(v) - a) / (b - a) * (x1 - x0)
    span = (hi - lo) or 1.0
    return lambda v: x0 + (v - lo) / span * (x1 - x0)


def _cdf_axes(lo: float, hi: float, log: bool, box: tuple[float, float, float, float], sx) -> list[str]:
    left, top, right, bottom = box
    out = [f'<line class="apc-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
           f'<line class="apc-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>']
    for q in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - q * (bottom - top)
        out += [f'<line class="apc-grid" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>',
                _text(left - 6, y + 4, f"{q:.0%}", "apc-muted", "end")]
    y99 = bottom - 0.99 * (bottom - top)  # the tail users ask about; labelled inside the plot
    out += [f'<line class="apc-grid" x1="{left}" y1="{y99:.1f}" x2="{right}" y2="{y99:.1f}" stroke-dasharray="3 3"/>',
            _text(right - 4, y99 + 14, "p99", "apc-muted", "end"), _text(right - 4, bottom - 0.5 * (bottom - top) - 4,
                                                                          "p50", "apc-muted", "end")]
    for t in (log_ticks(lo, hi) if log else nice_ticks(lo, hi)):
        x = sx(t)
        out += [f'<line class="apc-grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>',
                _text(x, bottom + 16, fmt_num(t), "apc-muted", "middle")]
    out.append(_text((left + right) / 2, bottom + 34, "latency (ms)" + (", log scale" if log else ""),
                     "apc-fg", "middle"))
    return out


def _cdf_body(records: list[RunRecord], names: list[str], width: int, plot_height: int) -> tuple[list[str], int]:
    samples = [_finite(r.latency.samples) * 1e3 for r in records]
    samples = [s[s > 0] for s in samples]
    present = [s for s in samples if s.size]
    left, top, right = 64, 34, width - 20
    bottom = top + plot_height
    body = [_text(left, 20, "Latency distribution (CDF) per run", "apc-fg", extra=' font-weight="bold"')]
    if present:
        lo, hi = min(float(s.min()) for s in present), max(float(s.max()) for s in present)
        log = lo > 0 and hi / lo > 20
        if not log:  # zoom on the data, with a margin; the tick labels carry the scale
            pad = (hi - lo) * 0.05 or hi * 0.05 or 1.0
            lo, hi = max(lo - pad, 0.0), hi + pad
        sx = _scale_x(lo, hi, left, right, log)
        body += _cdf_axes(lo, hi, log, (left, top, right, bottom), sx)
        for i, s in enumerate(samples):
            if s.size:
                x, f = _cdf_points(s)
                pts = " ".join(f"{sx(a):.1f},{bottom - b * (bottom - top):.1f}" for a, b in zip(x, f, strict=True))
                body.append(f'<polyline class="apc-l{i % N_SERIES}" points="{pts}"/>')
    else:
        body.append(_text((left + right) / 2, (top + bottom) / 2, f"{NA}: no run has latency samples",
                          "apc-muted", "middle"))
    for i, (name, s) in enumerate(zip(names, samples, strict=True)):
        y = bottom + 56 + 18 * i
        body += [f'<rect class="apc-b{i % N_SERIES}" x="{left}" y="{y - 9}" width="14" height="4"/>',
                 _text(left + 20, y, short(name, 60) + ("" if s.size else f"  ({NA}: no latency samples)"))]
    return body, bottom + 50 + 18 * len(records)


def latency_cdf_svg(records: list[RunRecord], names: list[str], *, theme: str = "auto",
                    width: int = 760, plot_height: int = 300) -> str:
    """Every run's latency distribution as a CDF: the further left, the faster; the flatter the top, the spikier."""
    body, height = _cdf_body(records, names, width, plot_height)
    return _svg(width, height, "Latency distribution per run", body, theme)


# Bar panels: (ComparisonRow field, title, how to format the field's value)
BAR_METRICS = (
    ("p50_ms", "p50 latency (ms), lower is better", lambda ms: fmt_ms(ms / 1e3)),
    ("p99_ms", "p99 latency (ms), lower is better", lambda ms: fmt_ms(ms / 1e3)),
    ("throughput_per_s", "Throughput (inferences/s), higher is better", fmt_rate),
    ("energy_mj_per_inference", "Energy per inference (mJ), lower is better", lambda mj: fmt_mj(mj / 1e3)),
)


def _bar_value(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def _bar_panel(rows: list[ComparisonRow], key: str, title: str, fmt, top: float, width: int) -> list[str]:
    label_w, bar_h, gap = 210, 16, 6
    x0, x1 = label_w, width - 110
    values = [getattr(row, key) for row in rows]
    finite = [v for v in values if _bar_value(v)]
    vmax = max(finite) if finite and max(finite) > 0 else 1.0
    out = [_text(10, top + 14, title, "apc-fg", extra=' font-weight="bold"')]
    for i, (row, v) in enumerate(zip(rows, values, strict=True)):
        y = top + 24 + i * (bar_h + gap)
        out.append(_text(label_w - 8, y + 12, short(row.run, 30), "apc-fg", "end"))
        if _bar_value(v):
            w = max((v / vmax) * (x1 - x0), 1.0)
            out += [f'<rect class="apc-b{i % N_SERIES}" x="{x0}" y="{y}" width="{w:.1f}" height="{bar_h}"/>',
                    _text(x0 + w + 6, y + 12, fmt(v))]
        else:  # a labelled gap: N/A must not read as zero
            out += [f'<rect class="apc-gap" x="{x0}" y="{y}" width="60" height="{bar_h}"/>',
                    _text(x0 + 30, y + 12, NA, "apc-muted", "middle")]
    return out


def _bars_body(rows: list[ComparisonRow], width: int) -> tuple[list[str], int]:
    body, top = [], 4
    for key, title, fmt in BAR_METRICS:
        body += _bar_panel(rows, key, title, fmt, top, width)
        top += 34 + len(rows) * 22
    return body, top + 10


def metric_bars_svg(rows: list[ComparisonRow], *, theme: str = "auto", width: int = 760) -> str:
    """p50, p99, throughput and energy per inference, one panel each, one bar per run (compare_rows rows)."""
    body, height = _bars_body(rows, width)
    return _svg(width, height, "p50, p99, throughput and energy per run", body, theme)


def _genai_bars(records: list[RunRecord], names: list[str], width: int) -> tuple[list[str], int] | None:
    from app.report.genai_compare import genai_rows
    from app.report.genai_svg import genai_bars_body

    rows = genai_rows(records, names)
    return genai_bars_body(rows, width) if rows else None


def comparison_svg(records: list[RunRecord], names: list[str], rows: list[ComparisonRow], *, theme: str = "auto",
                   width: int = 760, baseline: int = 0) -> str:
    """Both charts in one SVG file (for `aipcprof compare --svg`); groups, not nested <svg> (SVG Tiny). When a
    run is an eval, the speed-vs-accuracy scatter follows; when a run has an operator profile, the op-type
    difference of the baseline and another run."""
    from app.report.ops_compare import profiled, type_diff
    from app.report.ops_svg import top_ops_body, type_diff_body
    from app.report.scatter_svg import scatter_group

    cdf, h1 = _cdf_body(records, names, width, 300)
    bars, h2 = _bars_body(rows, width)
    body = ["<g>", *cdf, f'</g><g transform="translate(0,{h1})">', *bars, "</g>"]
    scatter, h_scatter = scatter_group(records, names, baseline, width, h1 + h2)  # evals: speed vs accuracy
    body += scatter
    diff = type_diff(records, names, baseline)
    height = h1 + h2 + h_scatter
    genai = _genai_bars(records, names, width)  # generative runs: TTFT, tokens/s, J/token per prompt length
    if genai is not None:
        body += [f'<g transform="translate(0,{height})">', *genai[0], "</g>"]
        height += genai[1]
    if diff is not None:
        ops_body, h3 = type_diff_body(diff, width)
        body += [f'<g transform="translate(0,{height})">', *ops_body, "</g>"]
        height += h3
        shown = profiled(records) if diff.message else []
        if shown:  # nothing to compare: the slowest operators of the first run that has them
            top_body, h4 = top_ops_body(records[shown[0]].op_profile, width,
                                        title=f"Slowest operators on {names[shown[0]]} (time per inference)")
            body += [f'<g transform="translate(0,{height})">', *top_body, "</g>"]
            height += h4
    return _svg(width, height, "Comparison charts", body, theme)
