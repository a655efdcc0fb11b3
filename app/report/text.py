"""Human-readable text for a run record (CLI output; the GUI has its own panels)."""

from __future__ import annotations

from app.common.fmt import (
    fmt_change,
    fmt_cosine,
    fmt_error,
    fmt_mj,
    fmt_ms,
    fmt_s,
    fmt_share,
)
from app.common.text import terminal_safe
from app.record.schema import InputInfo, Phase, RunRecord
from app.report import efficiency, facts, ops_text
from app.report.accuracy_text import accuracy_lines
from app.report.conditions import summary_lines


def _shape(i: InputInfo) -> str:
    if i.shape is None:
        return "?"
    return "[" + ", ".join(f"{d}*" if a in i.guessed else str(d) for a, d in enumerate(i.shape)) + "]"


def _inputs_line(r: RunRecord) -> str:
    """'inputs: x [1, 3, 224*, 224*] float32  (* guessed: set them for your real input size)'."""
    text = "; ".join(f"{terminal_safe(i.name)} {_shape(i)} {terminal_safe(i.dtype)}" for i in r.inputs)
    guessed = any(i.guessed for i in r.inputs)
    return f"  inputs: {text}" + ("  (* guessed: set them for your real input size)" if guessed else "")


def selection_lines(r: RunRecord) -> list[str]:
    """How the EP was reached: a device policy's pick, a compiled model's load (app.record.selection)."""
    session = r.session
    out = [f"device policy: {session.policy.sentence}"] if session and session.policy else []
    return out + ([session.compiled.sentence] if session and session.compiled else [])


def format_run(r: RunRecord) -> str:
    """The record as lines for a terminal; record text is untrusted, so each line is terminal_safe
    (a control character in a model name shows as `\\x1b`, never reaches the terminal)."""
    if r.genai is not None:  # a generative model: prompt lengths, TTFT and tokens/s (app.report.genai_text)
        from app.report.genai_text import format_genai_run

        return format_genai_run(r)
    lines = []
    t = r.target
    lines.append(f"{r.model.display_name} on {t.id} ({t.device_name or t.device_type})  status: {r.status.value}")
    if r.error:
        lines.append(f"  error: {r.error.message} {r.error.hint}".rstrip())
    if r.inputs:
        lines.append(_inputs_line(r))
    parts = [f"{name} {fmt_ms(p.seconds)}" for name, p in r.phases.items() if name != Phase.MEASURE.value]
    if parts:
        lines.append("  phases: " + ", ".join(parts))
    lat = r.latency
    if efficiency.requests_text(r):
        lines.append(f"  throughput mode: {efficiency.requests_text(r)}")
    if lat.count:
        small = facts.is_small_sample(lat.count)
        tail = f"p99 omitted: {facts.p99_omitted_reason(lat.count)}" if small else f"p99 {fmt_ms(lat.p99)}"
        lines.append(f"  {efficiency.latency_label(r)} ({lat.count} inferences): p50 {fmt_ms(lat.p50)}  "
                     f"p90 {fmt_ms(lat.p90)}  {tail}  mean {fmt_ms(lat.mean)} ± {fmt_ms(lat.std)}  "
                     f"min {fmt_ms(lat.min)}  max {fmt_ms(lat.max)}")
        if lat.throughput_per_s is not None:
            lines.append(f"  throughput: {efficiency.throughput_text(r)}")
    steady = r.steady_state
    if steady:
        lines.append(f"  steady state (p50 ±{steady.rel_ci:.1%}): "
                     + (f"reached after {steady.after_inferences} inferences ({fmt_s(steady.after_s)})"
                        if steady.reached else "not reached"))
    sus = r.sustained
    if sus and sus.drift is not None:
        onset = sus.onset
        lines.append(f"  drift: last window's p50 {fmt_change(sus.drift)} vs the first"
                     + (f"; slowdown from {fmt_s(onset.t_s)} ({onset.evidence})" if onset else ""))
    p = r.placement
    share = facts.accelerator_share(r)
    if share.note == facts.NOT_MEASURED:
        lines.append(f"  placement, precision: {facts.NOT_MEASURED} (no measured inference)")
    elif p:
        by = ", ".join(f"{k}: {v}" for k, v in p.nodes_by_provider.items())
        where = (f"all {p.total_nodes} nodes {facts.ON_CPU}" if share.note == facts.ON_CPU else
                 f"{fmt_share(p.accelerator_share)} of {p.total_nodes} nodes on {p.accelerator}")
        lines.append(f"  placement: {where} ({by})")
    if r.precision and r.measured:
        lines.append(f"  precision: {r.precision}")
    lines += [f"  {s}" for s in selection_lines(r)]
    oc = r.output_check
    if oc and oc.skipped:
        lines.append(f"  output check: {oc.skipped}")
    for out in oc.outputs if oc else []:
        if out.cosine_similarity is not None:
            lines.append(f"  output '{out.name}' vs {oc.reference}: max abs err {fmt_error(out.max_abs_error)}, "
                         f"cosine {fmt_cosine(out.cosine_similarity)}{'' if out.ok else '  MISMATCH'}")
        else:
            lines.append(f"  output '{out.name}' vs {oc.reference}: {'ok' if out.ok else 'MISMATCH'}")
    energy, ppw = r.energy, efficiency.perf_per_watt(r)
    if energy and energy.available and energy.joules_per_inference is not None:
        lines.append(f"  energy: {fmt_mj(energy.joules_per_inference)}/inference ({energy.covers})")
        lines.append(f"  perf per watt: {ppw.text()}")
    elif energy or r.measured:
        why = ppw.reason if r.measured else (energy.reason or "no source")
        lines.append(f"  energy, perf per watt: N/A ({why})")
    lines += [f"  {line}" for line in summary_lines(r)]
    lines += ops_text.summary_lines(r)
    lines += accuracy_lines(r)
    for w in r.warnings:
        lines.append(f"  WARNING: {w.text}")
    return "\n".join(terminal_safe(line) for line in lines)
