"""Human-readable text for a run record (CLI output; the GUI has its own panels)."""

from __future__ import annotations

import math

from app.record.schema import Phase, RunRecord


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


def format_run(r: RunRecord) -> str:
    lines = []
    t = r.target
    lines.append(f"{r.model.display_name} on {t.id} ({t.device_name or t.device_type})  status: {r.status.value}")
    if r.error:
        lines.append(f"  error: {r.error.message} {r.error.hint}".rstrip())
    parts = [f"{name} {fmt_ms(p.seconds)}" for name, p in r.phases.items() if name != Phase.MEASURE.value]
    if parts:
        lines.append("  phases: " + ", ".join(parts))
    lat = r.latency
    if lat.count:
        lines.append(f"  latency ({lat.count} inferences): p50 {fmt_ms(lat.p50)}  p90 {fmt_ms(lat.p90)}  "
                     f"p99 {fmt_ms(lat.p99)}  mean {fmt_ms(lat.mean)} ± {fmt_ms(lat.std)}  "
                     f"min {fmt_ms(lat.min)}  max {fmt_ms(lat.max)}")
        if lat.throughput_per_s is not None:
            lines.append(f"  throughput: {lat.throughput_per_s:.1f} inferences/s")
    steady = r.steady_state
    if steady:
        lines.append(f"  steady state (p50 ±{steady.rel_ci:.1%}): "
                     + (f"reached after {steady.after_inferences} inferences ({steady.after_s:.1f} s)"
                        if steady.reached else "not reached"))
    sus = r.sustained
    if sus and sus.drift is not None:
        onset = sus.onset
        lines.append(f"  drift: last window's p50 {sus.drift:+.1%} vs the first"
                     + (f"; slowdown from {onset.t_s:.1f} s ({onset.evidence})" if onset else ""))
    p = r.placement
    if p:
        by = ", ".join(f"{k}: {v}" for k, v in p.nodes_by_provider.items())
        lines.append(f"  placement: {fmt_share(p.accelerator_share)} of {p.total_nodes} nodes on "
                     f"{p.accelerator} ({by})")
    if r.precision:
        lines.append(f"  precision: {r.precision}")
    oc = r.output_check
    if oc and oc.skipped:
        lines.append(f"  output check: {oc.skipped}")
    for out in oc.outputs if oc else []:
        if out.cosine_similarity is not None:
            lines.append(f"  output '{out.name}' vs {oc.reference}: max abs err {out.max_abs_error:.3g}, "
                         f"cosine {out.cosine_similarity:.6f}{'' if out.ok else '  MISMATCH'}")
        else:
            lines.append(f"  output '{out.name}' vs {oc.reference}: {'ok' if out.ok else 'MISMATCH'}")
    energy = r.energy
    if energy and energy.available and energy.joules_per_inference is not None:
        lines.append(f"  energy: {energy.joules_per_inference * 1e3:.3f} mJ/inference ({energy.covers})")
    elif energy:
        lines.append(f"  energy: N/A ({energy.reason or 'no source'})")
    for w in r.warnings:
        lines.append(f"  WARNING: {w.text}")
    return "\n".join(lines)
