"""A self-contained HTML comparison report: one file, no network, no script.

The page embeds its CSS and SVG charts, references nothing by URL and
carries a Content-Security-Policy that forbids loading anything, so it opens
offline and a hostile model name cannot run code: every string that comes
from a record (and so from a model file) is escaped with `esc()`.
"""

from __future__ import annotations

import datetime as dt

from app import __version__
from app.common.fmt import (
    NA,
    fmt_change,
    fmt_cosine,
    fmt_error,
    fmt_metric,
    fmt_mj,
    fmt_ms,
    fmt_s,
    fmt_share,
    fmt_value,
    number,
)
from app.record.schema import RunRecord, WarningKind
from app.report import efficiency, facts
from app.report.comparison import (
    CheckState,
    ComparisonRow,
    comparability_warnings,
    compare_rows,
    differences,
    energy_per_inference,
    output_check_state,
    recommendation_line,
)
from app.report.palette import PALETTES, THEMES, Palette
from app.report.scatter_svg import scatter_svg
from app.report.svg import esc, latency_cdf_svg, metric_bars_svg
from app.run.sustained import analyse_record

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_CSS = (
    "body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:24px;max-width:1200px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}"
    ".sub{color:var(--muted)}.reco{font-weight:600;border-left:4px solid var(--ok);padding:6px 10px}"
    "table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid var(--border);padding:3px 8px;"
    "text-align:left;vertical-align:top}th{background:var(--head)}td.num{text-align:right}"
    "td.diff{background:var(--diff)}tr.base td{background:var(--base)}.warn{color:var(--warn)}"
    ".ok{color:var(--ok)}.bad{color:var(--bad)}.muted{color:var(--muted)}code{font-size:12px}"
    "svg{max-width:100%;height:auto;display:block;margin:8px 0}details{margin:8px 0}"
    "summary{cursor:pointer;font-weight:600}"
)


class Safe(str):
    """HTML that is already escaped (built here from escaped parts); table cells pass it through."""


def _vars(p: Palette) -> str:
    return (f"--bg:{p.background};--fg:{p.foreground};--muted:{p.muted};--border:{p.border};--head:{p.head};"
            f"--diff:{p.diff};--warn:{p.warn};--ok:{p.ok};--bad:{p.error};--base:{p.base}")


def _css(theme: str) -> str:
    if theme == "auto":
        return (f":root{{{_vars(PALETTES['light'])}}}"
                f"@media (prefers-color-scheme: dark){{:root{{{_vars(PALETTES['dark'])}}}}}" + _CSS)
    return f":root{{{_vars(PALETTES[theme])}}}" + _CSS


def cell(value: object) -> str:
    """A record value as escaped text; missing is N/A, never 0."""
    if isinstance(value, Safe):
        return value
    return esc(fmt_value(value))


def table(headers: list[str], rows: list[list], row_classes: list[str] | None = None,
          cell_classes: list[list[str]] | None = None) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        rc = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        cells = []
        for j, v in enumerate(row):
            cc = cell_classes[i][j] if cell_classes else ""
            cells.append(f'<td class="{esc(cc)}">{cell(v)}</td>' if cc else f"<td>{cell(v)}</td>")
        body.append(f"<tr{rc}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_title(records: list[RunRecord]) -> str:
    models = sorted({r.model.display_name for r in records})
    hosts = sorted({r.host.hostname or "?" for r in records})
    return f"{', '.join(models)} on {', '.join(hosts)}"


def _comparison_table(rows: list[ComparisonRow], records: list[RunRecord], baseline: int) -> str:
    headers = ["#", "run", "target", "device", "status", "mode", "p50", "p99", "throughput", "speed-up vs baseline",
               "on accelerator", "output check", "precision", "energy / inference", "perf per watt"]
    evals = any(row.accuracy_metric for row in rows)  # accuracy columns only where an eval is compared
    headers += ["accuracy", "\u0394 accuracy vs baseline"] if evals else []
    body, classes = [], []
    for i, (row, r) in enumerate(zip(rows, records, strict=True)):
        body.append([
            str(i), row.run + ("  (baseline)" if i == baseline else ""), row.target, r.target.device_name or None,
            row.status.value, *(row.cell(k) for k in ("mode", "p50_ms", "p99_ms", "throughput_per_s",
                                                       "speedup_vs_baseline", "accelerator_share")),
            _check_cell(row.output_check), row.cell("precision"), row.cell("energy_mj_per_inference"),
            efficiency.perf_per_watt(r).text(),
            *((row.cell("accuracy"), row.cell("accuracy_delta_vs_baseline")) if evals else ()),
        ])
        classes.append("base" if i == baseline else "")
    return table(headers, body, classes)


def _check_cell(state: CheckState | None) -> Safe:
    cls = "ok" if state and state.trusted else "bad" if state is CheckState.FAILED else "muted"
    return Safe(f'<span class="{cls}">{esc(state.value if state else NA)}</span>')


def _differences_table(records: list[RunRecord], names: list[str], baseline: int) -> str:
    diffs = differences(records)
    if not diffs:
        return "<p>Settings, versions and host are the same in every run.</p>"
    rows, classes = [], []
    for d in diffs:
        base_value = d.values[baseline]
        rows.append([d.section, d.key, *d.values])
        classes.append(["", ""] + ["diff" if v != base_value else "" for v in d.values])
    note = "<p class=\"sub\">Highlighted: differs from the baseline.</p>"
    return note + table(["section", "key", *names], rows, cell_classes=classes)


def _warnings(records: list[RunRecord], names: list[str], baseline: int) -> list[str]:
    """The comparability warnings, then every run that measured the CPU fallback or failed."""
    out = comparability_warnings(records, names, baseline)
    for name, r in zip(names, records, strict=True):
        out += [f"{name}: {w.text}" for w in r.warnings_of(WarningKind.NOTHING_ON_ACCELERATOR)]
        if r.error:
            out.append(f"{name}: failed: {r.error.message}")
    return out


def _kv(pairs: list[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{cell(v)}</td></tr>" for k, v in pairs)
    return f"<table><tbody>{rows}</tbody></table>"


def _overview(r: RunRecord) -> str:
    model, target, host, err = r.model, r.target, r.host, r.error
    error = []
    if err:
        kind = f"{err.kind.value}: {err.detail}" if err.detail else err.kind.value
        error = [("error", f"{err.message} {err.hint}".strip()), ("error kind", kind)]
    return _kv([
        ("model", model.display_name), ("sha256", model.sha256[:16] + "\u2026" if model.sha256 else None),
        ("graph / producer", f"{model.graph_name or '?'} / {model.producer or '?'}"),
        ("target", target.id), ("device", target.device_name or target.device_type or None),
        ("engine / provider", f"{target.engine or '?'} / {target.provider or '?'}"),
        ("status", r.status.value), ("started (UTC)", r.created_utc or None),
        ("host", f"{host.hostname or '?'}: {host.os or '?'}, {host.cpu or '?'}"),
        ("power source", host.power.source), *error,
    ])


def _phases(r: RunRecord) -> str:
    rows = [[name, fmt_ms(p.seconds), p.count] for name, p in r.phases.items()]
    return table(["phase", "time", "count"], rows) if rows else "<p class=\"muted\">No phase timings.</p>"


def _latency(r: RunRecord) -> str:
    lat = r.latency
    if not lat.count:
        return "<p class=\"muted\">No measured inferences.</p>"
    keys = ("min", "mean", "std", "p50", "p90", "p95", "p99", "max")
    cells = [facts.p99_text(r, fmt_ms) if k == "p99" else facts.with_count(fmt_ms(getattr(lat, k)), lat.count)
             for k in keys]
    note = (f'<p class="muted">p99 omitted: {esc(facts.p99_omitted_reason(lat.count))}.</p>'
            if facts.is_small_sample(lat.count) else "")
    mode = (f"<p>Throughput mode: {esc(efficiency.requests_text(r))}; latencies are per request, under that "
            f"load.</p>" if efficiency.requests_text(r) else "")
    return mode + table(["count", *keys, "throughput"], [[lat.count, *cells, efficiency.throughput_text(r)]]) + note


def _placement(r: RunRecord) -> str:
    p = r.placement
    share = facts.accelerator_share(r)
    if share.note == facts.NOT_MEASURED:
        return f"<p class=\"muted\">Placement and precision: {facts.NOT_MEASURED} (no measured inference).</p>"
    if p is None:
        return f"<p class=\"muted\">Placement: {NA}.</p>"
    rows = [[prov, n] for prov, n in p.nodes_by_provider.items()]
    where = (f"All {cell(p.total_nodes)} nodes {facts.ON_CPU}" if share.note == facts.ON_CPU else
             f"{esc(fmt_share(p.accelerator_share))} of {cell(p.total_nodes)} nodes on {cell(p.accelerator or None)}")
    head = f"<p>{where} (source: {cell(p.source or None)}); precision: {cell(r.precision)}.</p>"
    return head + table(["provider", "nodes"], rows)


def _output_check(r: RunRecord) -> str:
    oc = r.output_check
    head = f"<p>Output check vs {cell(oc.reference if oc else None)}: {_check_cell(output_check_state(r))}"
    head += f" ({cell(oc.skipped)})</p>" if oc and oc.skipped else "</p>"
    rows = [[o.name, o.shape, fmt_error(o.max_abs_error), fmt_error(o.mean_abs_error),
             fmt_cosine(o.cosine_similarity), _check_cell(CheckState.PASSED if o.ok else CheckState.FAILED)]
            for o in (oc.outputs if oc else [])]
    cols = ["output", "shape", "max abs error", "mean abs error", "cosine", "ok"]
    return head + (table(cols, rows) if rows else "")


def _telemetry(r: RunRecord) -> str:
    tel = r.telemetry
    if not tel.series:
        return f"<p class=\"muted\">Telemetry: {NA} ({cell(tel.reason or 'not recorded')}).</p>"
    rows = []
    for key, s in sorted(tel.series.items()):
        summ = s.summary
        ok = s.status == "ok" and bool(summ.count)
        if ok:
            status = "ok"
        elif s.status == "ok":  # readable, but the measured loop was shorter than a sample period
            status = "no reading inside the measured window"
        else:
            status = f"{s.status}: {s.reason or 'no reading'}"
        mean = summ.time_weighted_mean if summ.time_weighted_mean is not None else summ.mean
        rows.append([key, s.source or None, fmt_metric(mean, s.unit) if ok else None,
                     fmt_metric(summ.max, s.unit) if ok else None, status])
    return table(["series", "source", "mean", "max", "status"], rows)


def _energy(r: RunRecord) -> str:
    e = r.energy
    jpi = energy_per_inference(r)
    if e is None or jpi is None:
        return f"<p>Energy: {NA} ({cell((e.reason if e else '') or 'no power or energy source')}).</p>"
    return (f"<p>Energy: {esc(fmt_mj(jpi))} per inference, covering {cell(e.covers or None)} "
            f"({cell(e.method or e.source or None)}). {cell(e.note)}</p>"
            f"<p>Perf per watt: {esc(efficiency.perf_per_watt(r).text())}.</p>")


def _sustained(r: RunRecord) -> str:
    a = analyse_record(r)
    if len(a.windows) < 2 or a.drift is None:
        return ""
    lo, hi = a.p50_ci
    ci = f"{fmt_ms(lo)} to {fmt_ms(hi)}" if number(lo) is not None else NA
    verdict = ("steady by the end (last windows within 2%, p50 known to 1%)" if a.steady
               else "not steady by the end (p50 still moving, or too few / too noisy samples)")
    text = (f"Drift over the run: p50 {fmt_change(a.drift)} from the first to the last of {len(a.windows)} "
            f"windows; 95% interval of the p50 {ci}; {verdict}.")
    if a.onset is not None:
        text += f" Slowdown from {fmt_s(a.onset.t_s)} ({a.onset.evidence})."
    return f"<p>{esc(text)}</p>"


def run_details(r: RunRecord, name: str, is_baseline: bool, theme: str = "auto") -> str:
    """One run's section: overview, phases, latency, placement, outputs, operators, telemetry, energy, warnings."""
    from app.report.genai_table import genai_run_html  # they build on this module's table()
    from app.report.ops_html import op_profile_html

    inputs = [[i.name, i.dtype, i.shape, i.source] for i in r.inputs]
    warns = "".join(f'<li class="warn">{esc(w.text)}</li>' for w in r.warnings)
    parts = [
        f"<details open><summary>{esc(name)}{' (baseline)' if is_baseline else ''}</summary>",
        _overview(r), genai_run_html(r), "<h3>Phases</h3>", _phases(r), "<h3>Latency</h3>", _latency(r), _sustained(r),
        "<h3>Placement and precision</h3>", _placement(r), "<h3>Output check</h3>", _output_check(r), op_profile_html(r, theme),
        "<h3>Inputs</h3>", table(["input", "dtype", "shape", "source"], inputs),
        "<h3>Telemetry and energy</h3>", _telemetry(r), _energy(r),
        "<h3>Settings</h3>", table(["setting", "value"], [[k, v] for k, v in r.settings.to_json().items()]),
        f"<h3>Warnings</h3><ul>{warns}</ul>" if warns else "", "</details>",
    ]
    return "\n".join(p for p in parts if p)


def render_report(records: list[RunRecord], names: list[str], baseline: int = 0, *, theme: str = "auto",
                  title: str | None = None, generated_utc: str | None = None) -> str:
    """The whole report page as one HTML string."""
    from app.report.genai_compare import genai_html
    from app.report.ops_html import type_diff_html

    if theme not in THEMES:
        raise ValueError("theme must be auto, light or dark")
    rows = compare_rows(records, names, baseline)
    title = title or report_title(records)
    when = generated_utc or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    warnings = _warnings(records, names, baseline)
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{len(records)} run(s); baseline: {esc(names[baseline])}. '
        f"Generated {esc(when)} by AI PC Profiler {esc(__version__)}.</p>",
        f'<p class="reco">{esc(recommendation_line(records, names, baseline))}</p>',
    ]
    if warnings:
        items = "".join(f'<li class="warn">{esc(w)}</li>' for w in warnings)
        parts.append(f"<h2>Warnings</h2><ul>{items}</ul>")
    parts += ["<h2>Comparison</h2>", _comparison_table(rows, records, baseline),
              "<h2>What differs between the runs</h2>", _differences_table(records, names, baseline),
              "<h2>Charts</h2>", latency_cdf_svg(records, names, theme=theme),
              metric_bars_svg(rows, theme=theme), scatter_svg(records, names, baseline, theme=theme),
              type_diff_html(records, names, baseline, theme), genai_html(records, names, theme), "<h2>Runs</h2>"]
    parts += [run_details(r, name, i == baseline, theme) for i, (name, r) in enumerate(zip(names, records, strict=True))]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_css(theme)}</style></head><body>"
            + "\n".join(parts) + "\n</body></html>\n")
