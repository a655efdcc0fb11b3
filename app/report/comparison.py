"""Compare run records: one row per run, speed-up against a baseline, mismatches flagged.

Also: which settings / versions / host facts differ between the runs (for
highlighting), and a one-line recommendation of the fastest trustworthy target.
"""

from __future__ import annotations

import csv
import io
import math

from app.common.errors import UserError
from app.report.text import fmt_ms, fmt_share

COLUMNS = ("run", "model", "target", "host", "status", "p50_ms", "p99_ms", "throughput_per_s",
           "speedup_vs_baseline", "accelerator_share", "max_abs_error", "min_cosine", "output_check",
           "precision", "energy_mj_per_inference")

# Output-check states; a run counts as correct when its state is in TRUSTED.
PASSED, FAILED, REFERENCE, SKIPPED, NOT_RUN = "passed", "failed", "reference", "skipped", "not run"
TRUSTED = (PASSED, REFERENCE)

# Sections compared key by key for the "what differs" view.
DIFF_SECTIONS = ("settings", "versions", "host")
# Keys that always differ in a cross-target comparison or change from run to run
# without meaning anything (the target column already shows the target).
DIFF_IGNORED = {"settings": {"target_id"}, "host": {"power.reason", "power.battery_percent"}}


def _worst_output(r: dict) -> tuple[float | None, float | None]:
    outs = [o for o in (r.get("output_check") or {}).get("outputs", []) if "max_abs_error" in o]
    if not outs:
        return None, None
    return max(o["max_abs_error"] for o in outs), min(o["cosine_similarity"] for o in outs)


def output_check_state(r: dict) -> str:
    """passed / failed / reference (this run is the reference) / skipped / not run."""
    oc = r.get("output_check") or {}
    outs = oc.get("outputs") or []
    if outs:
        return PASSED if all(o.get("ok") for o in outs) else FAILED
    if oc.get("skipped"):
        target = (r.get("target") or {}).get("id")
        return REFERENCE if oc.get("reference") and target == oc.get("reference") else SKIPPED
    return NOT_RUN


def energy_per_inference(r: dict) -> float | None:
    """Joules per inference, or None. Reads both spellings of the key (docs vs. probes)."""
    energy = r.get("energy") or {}
    if not energy.get("available"):
        return None
    value = energy.get("joules_per_inference", energy.get("j_per_inference"))
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def compare_rows(records: list[dict], names: list[str], baseline: int = 0) -> list[dict]:
    if not records:
        raise UserError("compare needs at least one run file.")
    if not 0 <= baseline < len(records):
        raise UserError(f"--baseline {baseline}: must be between 0 and {len(records) - 1}.",
                        hint="Runs are numbered from 0 in the order given.")
    base_p50 = (records[baseline].get("latency") or {}).get("p50")
    rows = []
    for name, r in zip(names, records, strict=True):
        lat = r.get("latency") or {}
        p50 = lat.get("p50")
        max_err, min_cos = _worst_output(r)
        jpi = energy_per_inference(r)
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
            "output_check": output_check_state(r),
            "precision": r.get("precision"),
            "energy_mj_per_inference": jpi * 1e3 if jpi is not None else None,
        })
    return rows


def comparability_warnings(records: list[dict], names: list[str], baseline: int = 0) -> list[str]:
    """Runs of different models or inputs are flagged, never silently compared."""
    warnings = []
    base, base_name = records[baseline], names[baseline]
    sha0 = (base.get("model") or {}).get("sha256")
    shapes0 = [(i["name"], i["shape"]) for i in base.get("inputs") or []]
    others = [(n, r) for i, (n, r) in enumerate(zip(names, records, strict=True)) if i != baseline]
    for name, r in others:
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


def flatten(d: dict | None, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}, "c": {}} -> {"a.b": 1}; an empty dict counts as absent, lists stay whole."""
    out: dict[str, object] = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def differences(records: list[dict]) -> list[dict]:
    """Every settings / versions / host key whose value is not the same in all runs.

    Each item: {"section", "key", "values"} with one value per run (None when the
    run lacks the key), in section order then key order.
    """
    found = []
    for section in DIFF_SECTIONS:
        flat = [flatten(r.get(section) if isinstance(r.get(section), dict) else None) for r in records]
        keys = sorted(set().union(*flat) - DIFF_IGNORED.get(section, set()))
        for key in keys:
            values = [f.get(key) for f in flat]
            if any(v != values[0] for v in values[1:]):
                found.append({"section": section, "key": key, "values": values})
    return found


def differing_keys(records: list[dict]) -> dict[str, set[str]]:
    """section -> the flattened keys that differ, e.g. {"settings": {"threads"}}; for highlighting."""
    out: dict[str, set[str]] = {s: set() for s in DIFF_SECTIONS}
    for d in differences(records):
        out[d["section"]].add(d["key"])
    return out


def recommendation(records: list[dict], names: list[str], baseline: int = 0) -> dict | None:
    """The fastest run that can be trusted, or None.

    Trusted: completed, same model and inputs as the baseline, output check
    passed (or it is the reference), and a non-zero share of nodes on its target.
    """
    rows = compare_rows(records, names, baseline)
    base = records[baseline]
    candidates = []
    for i, (row, r) in enumerate(zip(rows, records, strict=True)):
        share = row["accelerator_share"]
        if (row["status"] == "completed" and row["p50_ms"] and row["output_check"] in TRUSTED
                and share is not None and share > 0 and _same_workload(r, base)):
            candidates.append((row["p50_ms"], i))
    if not candidates:
        return None
    _, best = min(candidates)
    row = rows[best]
    return {"index": best, "run": row["run"], "target": row["target"],
            "speedup_vs_baseline": row["speedup_vs_baseline"], "p50_ms": row["p50_ms"],
            "baseline": baseline, "baseline_target": rows[baseline]["target"]}


def _same_workload(r: dict, base: dict) -> bool:
    def shapes(x: dict) -> list:
        return [(i.get("name"), i.get("shape")) for i in x.get("inputs") or []]
    return (r.get("model") or {}).get("sha256") == (base.get("model") or {}).get("sha256") and \
        shapes(r) == shapes(base)


def recommendation_line(records: list[dict], names: list[str], baseline: int = 0) -> str:
    rec = recommendation(records, names, baseline)
    if rec is None:
        return ("No recommendation: no completed run of the baseline's model passed its output check "
                "with nodes on its target.")
    line = f"Recommended: {rec['target']} ({rec['run']}), p50 {fmt_ms(rec['p50_ms'] / 1e3)}"
    if rec["index"] == baseline:
        return line + " - the baseline itself is the fastest trustworthy run."
    speedup = rec["speedup_vs_baseline"]
    if not speedup:
        vs = "compared with"
    elif speedup >= 1:
        vs = f"{speedup:.2f}x faster than"
    else:  # the baseline is faster but not trustworthy (output mismatch, nothing on its target, ...)
        vs = f"{1 / speedup:.2f}x slower than"
    return line + f", {vs} the baseline {rec['baseline_target']} ({names[baseline]})."


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
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if row[k] is None else row[k]) for k in COLUMNS})
    return buf.getvalue()
