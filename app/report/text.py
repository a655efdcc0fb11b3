"""Human-readable text for a run record (CLI output; the GUI has its own panels)."""

from __future__ import annotations

import math


def fmt_ms(seconds) -> str:
    if seconds is None or (isinstance(seconds, float) and not math.isfinite(seconds)):
        return "N/A"
    ms = seconds * 1e3
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.1f} ms"


def fmt_si(n: float | None, sep: str = "") -> str:
    """184270000 -> "184.27M" (sep=" " gives "184.27 M"); None -> "N/A"."""
    if n is None:
        return "N/A"
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{sep}{unit}"
    return f"{n:g}{sep}" if sep else f"{n:g}"


def fmt_bytes(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def fmt_share(share) -> str:
    return "N/A" if share is None else f"{share:.0%}"


def format_run(r: dict) -> str:
    lines = []
    target = r.get("target") or {}
    model = r.get("model") or {}
    lines.append(f"{model.get('name', model.get('path', '?'))} on {target.get('id', '?')}"
                 f" ({target.get('device_name') or target.get('device_type', '')})  status: {r.get('status')}")
    if r.get("error"):
        e = r["error"]
        lines.append(f"  error: {e['message']} {e.get('hint', '')}".rstrip())
    phases = r.get("phases") or {}
    if phases:
        parts = [f"{name} {fmt_ms(p['seconds'])}" for name, p in phases.items() if name != "measure"]
        lines.append("  phases: " + ", ".join(parts))
    lat = r.get("latency") or {}
    if lat.get("count"):
        lines.append(f"  latency ({lat['count']} inferences): p50 {fmt_ms(lat['p50'])}  p90 {fmt_ms(lat['p90'])}  "
                     f"p99 {fmt_ms(lat['p99'])}  mean {fmt_ms(lat['mean'])} ± {fmt_ms(lat['std'])}  "
                     f"min {fmt_ms(lat['min'])}  max {fmt_ms(lat['max'])}")
        lines.append(f"  throughput: {lat['throughput_per_s']:.1f} inferences/s")
    steady = r.get("steady_state")
    if steady:
        lines.append(f"  steady state (p50 ±{steady['rel_ci']:.1%}): "
                     + (f"reached after {steady['after_inferences']} inferences ({steady['after_s']:.1f} s)"
                        if steady.get("reached") else "not reached"))
    sus = r.get("sustained") or {}
    if isinstance(sus.get("drift"), float):
        onset = sus.get("onset")
        lines.append(f"  drift: last window's p50 {sus['drift']:+.1%} vs the first"
                     + (f"; slowdown from {onset['t_s']:.1f} s ({onset['evidence']})" if onset else ""))
    p = r.get("placement")
    if p:
        by = ", ".join(f"{k}: {v}" for k, v in p["nodes_by_provider"].items())
        lines.append(f"  placement: {fmt_share(p.get('accelerator_share'))} of {p['total_nodes']} nodes on "
                     f"{p['accelerator']} ({by})")
    if r.get("precision"):
        lines.append(f"  precision: {r['precision']}")
    oc = r.get("output_check") or {}
    if oc.get("skipped"):
        lines.append(f"  output check: {oc['skipped']}")
    for out in oc.get("outputs", []):
        if "cosine_similarity" in out:
            lines.append(f"  output '{out['name']}' vs {oc['reference']}: max abs err {out['max_abs_error']:.3g}, "
                         f"cosine {out['cosine_similarity']:.6f}{'' if out['ok'] else '  MISMATCH'}")
        else:
            lines.append(f"  output '{out['name']}' vs {oc['reference']}: {'ok' if out.get('ok') else 'MISMATCH'}")
    energy = r.get("energy") or {}
    if energy.get("available"):
        lines.append(f"  energy: {energy['joules_per_inference'] * 1e3:.3f} mJ/inference "
                     f"({energy.get('covers', '')})")
    elif energy:
        lines.append(f"  energy: N/A ({energy.get('reason', 'no source')})")
    for w in r.get("warnings") or []:
        lines.append(f"  WARNING: {w}")
    return "\n".join(lines)
