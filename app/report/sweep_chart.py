"""A sweep's charts: p50, p99, throughput and energy per inference against the swept value.

`chart_data` is what every front end draws (the SVG here, the desktop app's Sweep tab):
one line per target (and per value of the other axes, when the grid has several), the
swept values on x as evenly spaced categories (1, 2, 4, 8 read as doublings), a gap
where a point is missing, with the reason listed under the chart. `sweep_svg` draws the
four panels in the style of app.report.svg: CSS classes from app.report.palette, every
piece of text escaped, "N/A" with its reason instead of a zero.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from app.common.fmt import NA, fmt_num
from app.record.schema import RunStatus
from app.record.sweep import PointStatus, SweepRecord
from app.report.svg import N_SERIES, _svg, _text, nice_ticks, short
from app.report.sweep import PointFigures, all_figures, per_sample, rate


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    value: object  # (PointFigures, per_sample) -> float | None, in the unit of the title


@dataclass
class Line:
    label: str  # 'ort/cpu' or 'ort/cpu, requests=2'
    values: list[float | None]  # one per x category (None: no value there)
    notes: list[str] = field(default_factory=list)  # why points are missing: 'batch=8: failed'


@dataclass
class ChartData:
    x_label: str
    x_values: list[int]
    panels: list[tuple[Metric, list[Line]]]
    per_sample: bool


def metrics(samples: bool) -> list[Metric]:
    unit = "samples" if samples else "inferences"
    return [
        Metric("p50", "p50 latency (ms), lower is better", lambda f, s: f.p50_s * 1e3 if f.p50_s is not None else None),
        Metric("p99", "p99 latency (ms), lower is better", lambda f, s: f.p99_s * 1e3 if f.p99_s is not None else None),
        Metric("throughput", f"throughput ({unit}/s), higher is better", rate),
        Metric("energy", "energy per inference (mJ), lower is better",
               lambda f, s: f.j_per_inference * 1e3 if f.j_per_inference is not None else None),
    ]


def chart_data(record: SweepRecord) -> ChartData:
    figs = all_figures(record)
    samples = per_sample(figs)
    if not record.axes:
        return ChartData("", [], [(m, []) for m in metrics(samples)], samples)
    xi = next((i for i, a in enumerate(record.axes) if len(a.values) > 1), 0)
    x_axis = record.axes[xi]
    xs = list(x_axis.values)
    groups: dict[str, list[PointFigures]] = {}
    for f in figs:
        others = [f"{a.name}={v}" for i, (a, v) in enumerate(zip(record.axes, f.point.values, strict=True)) if i != xi
                  and len(a.values) > 1]
        groups.setdefault(", ".join([f.point.target_id, *others]), []).append(f)
    panels, running = [], record.status is RunStatus.RUNNING
    for m in metrics(samples):
        lines = []
        for label, members in groups.items():
            line, missing = Line(label, [None] * len(xs)), {}
            for f in members:
                x = f.point.values[xi]
                v = m.value(f, samples)  # type: ignore[operator]
                line.values[xs.index(x)] = v
                if v is None and not (running and f.point.status is PointStatus.NOT_RUN):  # pending: no note
                    missing.setdefault(_why(f, m.key), []).append(str(x))
            line.notes = [f"{x_axis.name}={','.join(at)}: {why}" for why, at in missing.items()]
            lines.append(line)
        panels.append((m, lines))
    return ChartData(x_axis.label, xs, panels, samples)


def _why(f: PointFigures, key: str) -> str:
    p = f.point
    if p.status is PointStatus.FAILED:
        return "failed" + (f" ({short(p.error.message, 60)})" if p.error else "")
    if p.status is PointStatus.NOT_RUN:
        return "not run (sweep stopped)"
    if not f.measured:
        return "not measured"
    if key == "p99":
        return f.p99_reason or "no p99"
    if key == "energy":
        return f.energy_reason or "no energy reading"
    return "no value"


def missing_notes(data: ChartData) -> list[str]:
    """'N/A in energy (ort/cpu, ov/cpu): batch=1,2,4,8: power is not measured': lines sharing a reason share a note."""
    by_note: dict[tuple[str, str], list[str]] = {}
    for metric, lines in data.panels:
        for line in lines:
            for note in line.notes:
                by_note.setdefault((metric.key, note), []).append(line.label)
    count = len(data.panels[0][1]) if data.panels else 0
    return [f"{NA} in {key} ({'every line' if len(labels) == count > 1 else ', '.join(labels)}): {note}"
            for (key, note), labels in by_note.items()]


# -- SVG -----------------------------------------------------------------------------------------------

PANEL_W, PANEL_H = 380, 230


def _panel(metric: Metric, lines: list[Line], xs: list[int], x_label: str, ox: float, oy: float) -> list[str]:
    left, top, right, bottom = ox + 72, oy + 28, ox + PANEL_W - 14, oy + PANEL_H - 40
    out = [_text(ox + 10, oy + 16, metric.title, "apc-fg", extra=' font-weight="bold"'),
           f'<line class="apc-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
           f'<line class="apc-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>']
    step = (right - left) / max(len(xs), 1)

    def sx(i: int) -> float:
        return left + step * (i + 0.5)

    for i, x in enumerate(xs):
        out.append(_text(sx(i), bottom + 16, x, "apc-muted", "middle"))
    out.append(_text((left + right) / 2, bottom + 32, x_label, "apc-fg", "middle"))
    present = [v for line in lines for v in line.values if v is not None]
    if not present:
        out.append(_text((left + right) / 2, (top + bottom) / 2, f"{NA}: no point has a value (see below)",
                         "apc-muted", "middle"))
        return out
    hi = max(present) * 1.1 or 1.0
    ticks = nice_ticks(0.0, hi)
    hi = max(ticks[-1], hi) if ticks else hi

    def sy(v: float) -> float:
        return bottom - v / hi * (bottom - top)

    for t in ticks:
        out += [f'<line class="apc-grid" x1="{left}" y1="{sy(t):.1f}" x2="{right}" y2="{sy(t):.1f}"/>',
                _text(left - 6, sy(t) + 4, fmt_num(t), "apc-muted", "end")]
    for n, line in enumerate(lines):
        c = n % N_SERIES
        run: list[str] = []
        for i, v in enumerate([*line.values, None]):
            if v is not None:
                run.append(f"{sx(i):.1f},{sy(v):.1f}")
                out.append(f'<circle class="apc-b{c}" cx="{sx(i):.1f}" cy="{sy(v):.1f}" r="3.5"/>')
            elif run:  # a gap: the line stops, it never drops to zero
                if len(run) > 1:
                    out.append(f'<polyline class="apc-l{c}" points="{" ".join(run)}"/>')
                run = []
    return out


def sweep_svg(record: SweepRecord, *, theme: str = "auto") -> str:
    """The four charts in a 2 x 2 grid, the legend (one colour per line) and the missing points' reasons."""
    data = chart_data(record)
    width = 2 * PANEL_W
    body: list[str] = []
    for k, (metric, lines) in enumerate(data.panels):
        body += _panel(metric, lines, data.x_values, data.x_label, (k % 2) * PANEL_W, (k // 2) * PANEL_H)
    y = 2 * PANEL_H + 8
    lines = data.panels[0][1] if data.panels else []
    for n, line in enumerate(lines):
        body += [f'<rect class="apc-b{n % N_SERIES}" x="12" y="{y - 9}" width="14" height="4"/>',
                 _text(32, y, short(line.label, 80))]
        y += 18
    for text in missing_notes(data):
        for row in textwrap.wrap(text, 115, max_lines=4, placeholder=" \u2026"):  # the reason is kept, wrapped
            body.append(_text(12, y, row, "apc-muted"))
            y += 16
    return _svg(width, y + 8, f"Sweep of {record.model.display_name}", body, theme)
