"""A self-contained HTML comparison report: one file, no network, no script.

The page embeds its CSS and SVG charts, references nothing by URL and
carries a Content-Security-Policy that forbids loading anything, so it opens
offline and a hostile model name cannot run code: every string that comes
from a record (and so from a model file) is escaped with `esc()`.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from app import __version__
from app.report.comparison import (
    comparability_warnings,
    compare_rows,
    differences,
    energy_per_inference,
    output_check_state,
    recommendation_line,
)
from app.report.svg import esc, latency_cdf_svg, metric_bars_svg
from app.report.text import fmt_ms, fmt_share
from app.run.sustained import analyse_record

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_VARS = {
    "light": "--bg:#ffffff;--fg:#30343b;--muted:#6b7280;--border:#d9dce1;--head:#f3f4f6;"
             "--diff:#fff3c4;--warn:#b26a00;--ok:#0f9d58;--bad:#c5221f;--base:#e8f0fe",
    "dark": "--bg:#1e1f22;--fg:#d4d7dd;--muted:#9aa0a6;--border:#3a3d42;--head:#2a2c30;"
            "--diff:#4a3f12;--warn:#ffb74d;--ok:#4cd08a;--bad:#ff6b6b;--base:#1f2f4a",
}
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


def _css(theme: str) -> str:
    if theme == "auto":
        return (f":root{{{_VARS['light']}}}@media (prefers-color-scheme: dark){{:root{{{_VARS['dark']}}}}}"
                + _CSS)
    return f":root{{{_VARS[theme]}}}" + _CSS


def cell(value: object) -> str:
    """A record value as escaped text; missing is N/A, never 0."""
    if isinstance(value, Safe):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "N/A"
    if isinstance(value, float):
        return esc(f"{value:.6g}")
    if isinstance(value, (dict, list, tuple)):
        return esc(json.dumps(value, sort_keys=True, default=str))
    return esc(value)


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


def report_title(records: list[dict]) -> str:
    models = sorted({str((r.get("model") or {}).get("name") or "?") for r in records})
    hosts = sorted({str((r.get("host") or {}).get("hostname") or "?") for r in records})
    return f"{', '.join(models)} on {', '.join(hosts)}"


def _num(v: object, fmt: str) -> str | None:
    return fmt.format(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def _comparison_table(rows: list[dict], records: list[dict], baseline: int) -> str:
    headers = ["#", "run", "target", "device", "status", "p50", "p99", "throughput", "speed-up vs baseline",
               "on accelerator", "output check", "precision", "energy / inference"]
    body, classes = [], []
    for i, (row, r) in enumerate(zip(rows, records, strict=True)):
        speed = _num(row["speedup_vs_baseline"], "{:.2f}x")
        body.append([
            str(i), row["run"] + ("  (baseline)" if i == baseline else ""), row["target"],
            (r.get("target") or {}).get("device_name"), row["status"],
            fmt_ms(row["p50_ms"] / 1e3) if row["p50_ms"] is not None else None,
            fmt_ms(row["p99_ms"] / 1e3) if row["p99_ms"] is not None else None,
            _num(row["throughput_per_s"], "{:,.1f}/s"), speed,
            _num(row["accelerator_share"], "{:.0%}"), _check_cell(row["output_check"]), row["precision"],
            _num(row["energy_mj_per_inference"], "{:.3f} mJ"),
        ])
        classes.append("base" if i == baseline else "")
    return table(headers, body, classes)


def _check_cell(state: str | None) -> Safe:
    cls = {"passed": "ok", "reference": "ok", "failed": "bad"}.get(str(state), "muted")
    return Safe(f'<span class="{cls}">{esc(state or "N/A")}</span>')


def _differences_table(records: list[dict], names: list[str], baseline: int) -> str:
    diffs = differences(records)
    if not diffs:
        return "<p>Settings, versions and host are the same in every run.</p>"
    rows, classes = [], []
    for d in diffs:
        base_value = d["values"][baseline]
        rows.append([d["section"], d["key"], *d["values"]])
        classes.append(["", ""] + ["diff" if v != base_value else "" for v in d["values"]])
    note = "<p class=\"sub\">Highlighted: differs from the baseline.</p>"
    return note + table(["section", "key", *names], rows, cell_classes=classes)


def _warnings(records: list[dict], names: list[str], baseline: int) -> list[str]:
    out = comparability_warnings(records, names, baseline)
    for name, r in zip(names, records, strict=True):
        out += [f"{name}: {w}" for w in r.get("warnings") or [] if str(w).startswith("NOTHING RAN")]
        if r.get("error"):
            out.append(f"{name}: failed: {(r['error'] or {}).get('message', '')}")
    return out


def _kv(pairs: list[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{cell(v)}</td></tr>" for k, v in pairs)
    return f"<table><tbody>{rows}</tbody></table>"


def _overview(r: dict) -> str:
    model, target, host = r.get("model") or {}, r.get("target") or {}, r.get("host") or {}
    err = r.get("error") or {}
    power = host.get("power") or {}
    sha = model.get("sha256")
    error = [("error", f"{err.get('message', '')} {err.get('hint', '')}".strip())] if err else []
    return _kv([
        ("model", model.get("name")), ("sha256", sha[:16] + "\u2026" if isinstance(sha, str) else None),
        ("graph / producer", f"{model.get('graph_name') or '?'} / {model.get('producer') or '?'}"),
        ("target", target.get("id")), ("device", target.get("device_name") or target.get("device_type")),
        ("engine / provider", f"{target.get('engine') or '?'} / {target.get('provider') or '?'}"),
        ("status", r.get("status")), ("started (UTC)", r.get("created_utc")),
        ("host", f"{host.get('hostname') or '?'}: {host.get('os') or '?'}, {host.get('cpu') or '?'}"),
        ("power source", power.get("source")), *error,
    ])


def _phases(r: dict) -> str:
    phases = r.get("phases") or {}
    rows = [[name, fmt_ms(p.get("seconds")) if isinstance(p, dict) else None,
             p.get("count") if isinstance(p, dict) else None] for name, p in phases.items()]
    return table(["phase", "time", "count"], rows) if rows else "<p class=\"muted\">No phase timings.</p>"


def _latency(r: dict) -> str:
    lat = r.get("latency") or {}
    if not lat.get("count"):
        return "<p class=\"muted\">No measured inferences.</p>"
    keys = ("min", "mean", "std", "p50", "p90", "p95", "p99", "max")
    return table(["count", *keys, "throughput"],
                 [[lat.get("count"), *[fmt_ms(lat.get(k)) for k in keys],
                   _num(lat.get("throughput_per_s"), "{:,.1f}/s")]])


def _placement(r: dict) -> str:
    p = r.get("placement") or {}
    if not p:
        return "<p class=\"muted\">Placement: N/A.</p>"
    rows = [[prov, n] for prov, n in (p.get("nodes_by_provider") or {}).items()]
    head = (f"<p>{esc(fmt_share(p.get('accelerator_share')))} of {cell(p.get('total_nodes'))} nodes on "
            f"{cell(p.get('accelerator'))} (source: {cell(p.get('source'))}); precision: "
            f"{cell(r.get('precision'))}.</p>")
    return head + table(["provider", "nodes"], rows)


def _output_check(r: dict) -> str:
    oc = r.get("output_check") or {}
    state = output_check_state(r)
    head = f"<p>Output check vs {cell(oc.get('reference'))}: {_check_cell(state)}"
    head += f" ({cell(oc['skipped'])})</p>" if oc.get("skipped") else "</p>"
    rows = [[o.get("name"), o.get("shape"), o.get("max_abs_error"), o.get("mean_abs_error"),
             o.get("cosine_similarity"), _check_cell("passed" if o.get("ok") else "failed")]
            for o in oc.get("outputs") or []]
    cols = ["output", "shape", "max abs error", "mean abs error", "cosine", "ok"]
    return head + (table(cols, rows) if rows else "")


def _unit_value(v: object, unit: str) -> str | None:
    scale = {"Hz": (1e-6, "MHz"), "bytes": (1 / 2**20, "MiB"), "degC": (1, "\u00b0C")}.get(unit, (1, unit))
    return _num(v * scale[0], "{:.4g} " + scale[1]) if isinstance(v, (int, float)) else None


def _telemetry(r: dict) -> str:
    tel = r.get("telemetry") or {}
    if not tel.get("series"):
        return f"<p class=\"muted\">Telemetry: N/A ({cell(tel.get('reason') or 'not recorded')}).</p>"
    rows = []
    for key, s in sorted(tel["series"].items()):
        summ, unit = s.get("summary") or {}, s.get("unit") or ""
        ok = s.get("status") == "ok" and summ.get("count")
        if ok:
            status = "ok"
        elif s.get("status") == "ok":  # readable, but the measured loop was shorter than a sample period
            status = "no reading inside the measured window"
        else:
            status = f"{s.get('status')}: {s.get('reason') or 'no reading'}"
        mean = summ.get("time_weighted_mean") if summ.get("time_weighted_mean") is not None else summ.get("mean")
        rows.append([key, s.get("source"), _unit_value(mean, unit) if ok else None,
                     _unit_value(summ.get("max"), unit) if ok else None, status])
    return table(["series", "source", "mean", "max", "status"], rows)


def _energy(r: dict) -> str:
    e = r.get("energy") or {}
    jpi = energy_per_inference(r)
    if jpi is None:
        return f"<p>Energy: N/A ({cell(e.get('reason') or 'no power or energy source')}).</p>"
    return (f"<p>Energy: {esc(f'{jpi * 1e3:.3f}')} mJ per inference, covering {cell(e.get('covers'))} "
            f"({cell(e.get('method') or e.get('source'))}). {cell(e.get('note') or '')}</p>")


def _sustained(r: dict) -> str:
    a = analyse_record(r)
    if len(a["windows"]) < 2 or a["drift"] is None:
        return ""
    lo, hi = a["p50_ci"]
    ci = f"{fmt_ms(lo)} to {fmt_ms(hi)}" if lo is not None and math.isfinite(lo) else "N/A"
    verdict = ("steady by the end (last windows within 2%, p50 known to 1%)" if a["steady"]
               else "not steady by the end (p50 still moving, or too few / too noisy samples)")
    text = (f"Drift over the run: p50 {a['drift']:+.1%} from the first to the last of {len(a['windows'])} "
            f"windows; 95% interval of the p50 {ci}; {verdict}.")
    if a["onset"] is not None:
        text += f" Slowdown from {a['onset'].t_s:.1f} s ({a['onset'].evidence})."
    return f"<p>{esc(text)}</p>"


def run_details(r: dict, name: str, is_baseline: bool) -> str:
    """One run's section: overview, phases, latency, placement, outputs, telemetry, energy, warnings."""
    inputs = [[i.get("name"), i.get("dtype"), i.get("shape"), i.get("source")] for i in r.get("inputs") or []]
    warns = "".join(f'<li class="warn">{esc(w)}</li>' for w in r.get("warnings") or [])
    settings = r.get("settings") or {}
    parts = [
        f"<details open><summary>{esc(name)}{' (baseline)' if is_baseline else ''}</summary>",
        _overview(r), "<h3>Phases</h3>", _phases(r), "<h3>Latency</h3>", _latency(r), _sustained(r),
        "<h3>Placement and precision</h3>", _placement(r), "<h3>Output check</h3>", _output_check(r),
        "<h3>Inputs</h3>", table(["input", "dtype", "shape", "source"], inputs),
        "<h3>Telemetry and energy</h3>", _telemetry(r), _energy(r),
        "<h3>Settings</h3>", table(["setting", "value"], [[k, v] for k, v in settings.items()]),
        f"<h3>Warnings</h3><ul>{warns}</ul>" if warns else "", "</details>",
    ]
    return "\n".join(p for p in parts if p)


def render_report(records: list[dict], names: list[str], baseline: int = 0, *, theme: str = "auto",
                  title: str | None = None, generated_utc: str | None = None) -> str:
    """The whole report page as one HTML string."""
    if theme not in _VARS and theme != "auto":
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
              metric_bars_svg(rows, theme=theme), "<h2>Runs</h2>"]
    parts += [run_details(r, name, i == baseline) for i, (name, r) in enumerate(zip(names, records, strict=True))]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_css(theme)}</style></head><body>"
            + "\n".join(parts) + "\n</body></html>\n")
