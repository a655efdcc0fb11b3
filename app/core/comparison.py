"""Compare run records: one row per run, speed-up against a baseline, mismatches flagged."""

from __future__ import annotations

import csv
import io
import math

from app.core.errors import UserError
from app.core.summary import fmt_ms, fmt_share

COLUMNS = ("run", "model", "target", "host", "status", "p50_ms", "p99_ms", "throughput_per_s",
           "speedup_vs_baseline", "accelerator_share", "max_abs_error", "min_cosine", "precision",
           "energy_mj_per_inference")


def _worst_output(r: dict) -> tuple[float | None, float | None]:
    outs = [o for o in (r.get("output_check") or {}).get("outputs", []) if "max_abs_error" in o]
    if not outs:
        return None, None
    return max(o["max_abs_error"] for o in outs), min(o["cosine_similarity"] for o in outs)


def compare_rows(records: list[dict], names: list[str], baseline: int = 0) -> list[dict]:
    if not records:
        raise UserError("compare needs at least one run file.")
    if not 0 <= baseline < len(records):
        raise UserError(f"--baseline {baseline}: must be between 0 and {len(records) - 1}.",
                        hint="Runs are numbered from 0 in the order given.")
    base_p50 = (records[baseline].get("latency") or {}).get("p50")
    rows = []
    for name, r in zip(names, records):
        lat = r.get("latency") or {}
        p50 = lat.get("p50")
        max_err, min_cos = _worst_output(r)
        energy = r.get("energy") or {}
        jpi = energy.get("joules_per_inference") if energy.get("available") else None
        rows.append({
            "run": name,
            "model": (r.get("model") or {}).get("name") or (r.get("model") or {}).get("path"),
            "target": (r.get("target") or {}).get("id"),
            "host": (r.get("host") or {}).get("hostname"),
            "status": r.get("status"),
            "p50_ms": p50 * 1e3 if p50 is not None else None,
            "p99_ms": lat["p99"] * 1e3 if lat.get("p99") is not None else None,
            "throughput_per_s": lat.get("throughput_per_s"),
            "speedup_vs_baseline": (base_p50 / p50) if (base_p50 and p50) else None,
            "accelerator_share": (r.get("placement") or {}).get("accelerator_share"),
            "max_abs_error": max_err,
            "min_cosine": min_cos,
            "precision": r.get("precision"),
            "energy_mj_per_inference": jpi * 1e3 if jpi is not None else None,
        })
    return rows


def comparability_warnings(records: list[dict], names: list[str]) -> list[str]:
    """Runs of different models or inputs are flagged, never silently compared."""
    warnings = []
    base, base_name = records[0], names[0]
    sha0 = (base.get("model") or {}).get("sha256")
    shapes0 = [(i["name"], i["shape"]) for i in base.get("inputs") or []]
    for name, r in zip(names[1:], records[1:]):
        if (r.get("model") or {}).get("sha256") != sha0:
            warnings.append(f"{name}: a different model from {base_name} (sha256 differs).")
        shapes = [(i["name"], i["shape"]) for i in r.get("inputs") or []]
        if shapes != shapes0:
            warnings.append(f"{name}: different input shapes from {base_name}: {shapes} vs {shapes0}.")
        if r.get("status") != "completed":
            warnings.append(f"{name}: run {r.get('status')}; its numbers are partial.")
    if base.get("status") != "completed":
        warnings.append(f"{base_name}: run {base.get('status')}; its numbers are partial.")
    return warnings


def _cell(key: str, v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "N/A"
    if key in ("p50_ms", "p99_ms"):
        return fmt_ms(v / 1e3)
    if key == "throughput_per_s":
        return f"{v:.1f}/s"
    if key == "speedup_vs_baseline":
        return f"{v:.2f}x"
    if key == "accelerator_share":
        return fmt_share(v)
    if key == "max_abs_error":
        return f"{v:.3g}"
    if key == "min_cosine":
        return f"{v:.5f}"
    if key == "energy_mj_per_inference":
        return f"{v:.3f} mJ"
    return str(v)


def format_table(rows: list[dict]) -> str:
    shown = ("target", "p50_ms", "p99_ms", "throughput_per_s", "speedup_vs_baseline", "accelerator_share",
             "max_abs_error", "precision", "run")
    headers = ("target", "p50", "p99", "throughput", "speed-up", "on accel", "max err", "precision", "run")
    table = [headers] + [tuple(_cell(k, row[k]) for k in shown) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table)


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if row[k] is None else row[k]) for k in COLUMNS})
    return buf.getvalue()
