"""Operator charts as SVG text (no Qt): a run's slowest operators coloured by device, and the op-type
difference of two runs. Used by the HTML report and `comparison_svg`; every name goes through `esc()`
(node and op-type names come from the model)."""

from __future__ import annotations

import textwrap

from app.common.fmt import fmt_ms, fmt_share
from app.record.ops import OpBy
from app.record.schema import OpProfile
from app.report.ops_bars import CHART_TOP, chart_bars
from app.report.ops_compare import TypeDiff, ratio_text
from app.report.palette import device_kind
from app.report.svg import N_SERIES, _svg, _text, short

ROW, BAR = 22, 15


def _legend(keys: list[tuple[str, str]], top: float) -> list[str]:
    out, x = [], 10.0
    for device, key in keys:
        out += [f'<rect class="apc-d{device_kind(device)}" x="{x:.1f}" y="{top - 9}" width="12" height="10"/>',
                _text(x + 16, top, short(key, 48))]
        x += 28 + 7 * min(len(key), 48)
    return out


def top_ops_body(p: OpProfile, width: int = 760, top: int = CHART_TOP, by: OpBy = OpBy.NODE,
                 title: str = "") -> tuple[list[str], int]:
    """The slowest timed nodes (or op types) of `p` as horizontal bars, coloured by device kind."""
    bars = chart_bars(p, by, top)
    what = "operators" if by is OpBy.NODE else "op types"
    title = title or f"Slowest {what}: time per inference, coloured by device"
    body = [_text(10, 16, title, extra=' font-weight="bold"')]
    keys = list(dict.fromkeys((part.device, part.key) for bar in bars for part in bar.parts))
    body += _legend(keys, 36)
    label_w, x1 = 230, width - 130
    vmax = max((b.time_s for b in bars), default=0.0) or 1.0
    y = 50
    for bar in bars:
        body.append(_text(label_w - 8, y + 12, short(bar.label, 34), anchor="end"))
        x = float(label_w)
        for part in bar.parts:
            w = max(1.0, part.time_s / vmax * (x1 - label_w))
            body.append(f'<rect class="apc-d{device_kind(part.device)}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                        f'height="{BAR}"/>')
            x += w
        body.append(_text(x + 6, y + 12, f"{fmt_ms(bar.time_s)} \u00b7 {fmt_share(bar.share)}"))
        y += ROW
    return body, y + 8


def top_ops_svg(p: OpProfile, *, theme: str = "auto", width: int = 760, top: int = CHART_TOP) -> str:
    body, height = top_ops_body(p, width, top)
    return _svg(width, height, "Slowest operators", body, theme)


def type_diff_body(d: TypeDiff, width: int = 760) -> tuple[list[str], int]:
    """Each op type's time in the two runs (bars in the runs' series colours), with b's ratio."""
    a, b = d.names
    body = [_text(10, 16, f"Time per op type (ms per inference): {short(a, 40)} vs {short(b, 40)}",
                  extra=' font-weight="bold"')]
    if d.message:
        return body + [_text(10, 40, d.message, "apc-muted")], 52
    for k, (name, run) in enumerate(((a, d.a), (b, d.b))):
        body += [f'<rect class="apc-b{run % N_SERIES}" x="{10 + 260 * k}" y="27" width="12" height="10"/>',
                 _text(28 + 260 * k, 36, short(name, 34))]
    y = 50
    for line in textwrap.wrap(d.note, 110):  # SVG text does not wrap by itself
        body.append(_text(10, y, line, "apc-muted"))
        y += 15
    label_w, x1 = 170, width - 260
    vmax = max((v for c in d.changes for v in (c.a_s, c.b_s) if v is not None), default=0.0) or 1.0
    for c in d.changes:
        body.append(_text(label_w - 8, y + 18, short(c.op_type, 24), anchor="end"))
        for k, (v, run) in enumerate(((c.a_s, d.a), (c.b_s, d.b))):
            by = y + 2 + k * 17
            if v is None:  # no op of this type in that run: a labelled gap, never a zero bar
                body += [f'<rect class="apc-gap" x="{label_w}" y="{by}" width="44" height="14"/>',
                         _text(label_w + 22, by + 11, "none", "apc-muted", "middle")]
                continue
            w = max(1.0, v / vmax * (x1 - label_w))
            body += [f'<rect class="apc-b{run % N_SERIES}" x="{label_w}" y="{by}" width="{w:.1f}" height="14"/>',
                     _text(label_w + w + 6, by + 11, fmt_ms(v))]
        body.append(_text(width - 10, y + 18, ratio_text(c, short(b, 24)), "apc-muted", "end"))
        y += 40
    return body, y + 6


def type_diff_svg(d: TypeDiff, *, theme: str = "auto", width: int = 760) -> str:
    body, height = type_diff_body(d, width)
    return _svg(width, height, "Time per op type", body, theme)

