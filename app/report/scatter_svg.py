"""The speed-vs-accuracy scatter as SVG text (no Qt): p50 latency across, the headline metric up.

One dot per run in the run's series colour, labelled with its name; the
Pareto front (app.report.accuracy_scatter) ringed and joined by a dashed
staircase; the front and the runs left out listed in words under the chart.
Used by the HTML report and the SVG export; every name goes through `esc()`.
"""

from __future__ import annotations

import textwrap

from app.common.fmt import fmt_num
from app.record.schema import RunRecord
from app.report.accuracy_scatter import Scatter, front_text, label_slots, left_out_text, speed_accuracy
from app.report.svg import N_SERIES, _scale_x, _svg, _text, log_ticks, nice_ticks, short

WRAP = 110  # characters per line of the lists under the chart (SVG text does not wrap)
CHAR_PX, LINE_PX = 6.8, 14.0  # a 12 px sans-serif label: mean character width, line height


def x_range(s: Scatter) -> tuple[float, float]:
    """The latency axis (ms): a margin around the points; on a log axis, a factor."""
    lats = [p.p50_ms for p in s.points]
    lo, hi = min(lats), max(lats)
    if s.log_x:
        return lo / 1.25, hi * 1.25
    pad = (hi - lo) * 0.1 or hi * 0.1
    return max(0.0, lo - pad), hi + pad


def y_range(s: Scatter) -> tuple[float, float]:
    """The metric axis (0-1): a margin around the points, inside 0-1."""
    values = [p.value for p in s.points]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.12, 0.01)
    return max(0.0, lo - pad), min(1.0, hi + pad)


def _axes(s: Scatter, box: tuple[float, float, float, float], sx, sy, ylo: float, yhi: float) -> list[str]:
    left, top, right, bottom = box
    xlo, xhi = x_range(s)
    out = [f'<line class="apc-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
           f'<line class="apc-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>']
    for t in nice_ticks(ylo * 100, yhi * 100, 5):
        y = sy(t / 100)
        out += [f'<line class="apc-grid" x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>',
                _text(left - 6, y + 4, f"{fmt_num(t)}%", "apc-muted", "end")]
    for t in (log_ticks(xlo, xhi) if s.log_x else nice_ticks(xlo, xhi)):
        x = sx(t)
        out += [f'<line class="apc-grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>',
                _text(x, bottom + 16, fmt_num(t), "apc-muted", "middle")]
    out += [_text((left + right) / 2, bottom + 34, "p50 latency (ms)" + (", log scale" if s.log_x else "")
                  + " \u2190 faster", "apc-fg", "middle"),
            _text(14, (top + bottom) / 2, f"{s.metric} \u2191 better", "apc-fg", "middle",
                  extra=f' transform="rotate(-90 14 {(top + bottom) / 2:.1f})"')]
    return out


def _points(s: Scatter, box: tuple[float, float, float, float], sx, sy) -> list[str]:
    left, _, right, _ = box
    front = s.front
    steps = []
    for k, p in enumerate(front):  # the staircase: what the front offers at each latency
        x, y = sx(p.p50_ms), sy(p.value)
        steps.append(f"{x:.1f},{y:.1f}")
        if k + 1 < len(front):
            steps.append(f"{sx(front[k + 1].p50_ms):.1f},{y:.1f}")
    out = [f'<polyline class="apc-front" points="{" ".join(steps)}"/>'] if len(front) > 1 else []
    xy = [(sx(p.p50_ms), sy(p.value)) for p in s.points]
    names = [short(p.name, 32) for p in s.points]
    ends = [x > (left + right) / 2 for x, _ in xy]  # labels in the right half end at their point
    boxes = [(x - 12 - CHAR_PX * len(n), x - 12) if end else (x + 12, x + 12 + CHAR_PX * len(n))
             for (x, _), n, end in zip(xy, names, ends, strict=True)]
    slots = label_slots(xy, boxes, LINE_PX, (box[1], box[3]))
    for p, (x, y) in zip(s.points, xy, strict=True):
        if p.pareto:
            out.append(f'<circle class="apc-ring" cx="{x:.1f}" cy="{y:.1f}" r="9"/>')
        out.append(f'<circle class="apc-b{p.run % N_SERIES}" cx="{x:.1f}" cy="{y:.1f}" r="5.5"/>')
    for (x, y), name, end, k in zip(xy, names, ends, slots, strict=True):
        top = y - LINE_PX * (1.1 + k // 2) if k % 2 == 0 else y + LINE_PX * (0.1 + k // 2)  # as label_slots
        out.append(_text(x - 12 if end else x + 12, top + LINE_PX * 0.8, name, "apc-fg", "end" if end else "start"))
    return out


def scatter_body(s: Scatter, width: int = 760, plot_height: int = 280) -> tuple[list[str], int]:
    """The chart and its lists as SVG elements, and the height they take."""
    left, top, right = 70, 34, width - 24
    bottom = top + plot_height
    title = "Speed vs accuracy" + (f": p50 latency and {s.metric} per run" if s.metric else "")
    body = [_text(10, 20, title, "apc-fg", extra=' font-weight="bold"')]
    if s.points:
        ylo, yhi = y_range(s)
        xlo, xhi = x_range(s)
        sx = _scale_x(xlo, xhi, left, right, s.log_x)
        span = (yhi - ylo) or 1.0
        box = (left, top, right, bottom)
        body += _axes(s, box, sx, lambda v: bottom - (v - ylo) / span * (bottom - top), ylo, yhi)
        body += _points(s, box, sx, lambda v: bottom - (v - ylo) / span * (bottom - top))
        y = bottom + 58
    else:
        y = top + 20
    for line in [*textwrap.wrap(front_text(s), WRAP), *textwrap.wrap(left_out_text(s), WRAP)]:
        body.append(_text(10, y, line, "apc-fg" if line.startswith("Pareto") else "apc-muted"))
        y += 16
    return body, int(y + 4)


def scatter_svg(records: list[RunRecord], names: list[str], baseline: int = 0, *, theme: str = "auto",
                width: int = 760) -> str:
    """The speed-vs-accuracy chart alone (`""` when no run has an accuracy section: nothing to draw)."""
    s = speed_accuracy(records, names, baseline)
    if not s.any_accuracy:
        return ""
    body, height = scatter_body(s, width)
    return _svg(width, height, "Speed vs accuracy", body, theme)


def scatter_group(records: list[RunRecord], names: list[str], baseline: int, width: int, y0: int) -> tuple[list[str], int]:
    """The chart as a group translated to `y0`, for `comparison_svg` (no elements when no run is an eval)."""
    s = speed_accuracy(records, names, baseline)
    if not s.any_accuracy:
        return [], 0
    body, height = scatter_body(s, width)
    return [f'<g transform="translate(0,{y0})">', *body, "</g>"], height
