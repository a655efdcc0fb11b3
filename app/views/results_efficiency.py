"""The results panel's throughput-mode and perf-per-watt parts (app.report.efficiency has the facts).

Kept apart from results_panel.py: the tile and the rows below are all that a
throughput run or a measured power adds to a finished run's view.
"""

from __future__ import annotations

from app.common import fmt
from app.record.schema import RunRecord
from app.report import efficiency
from app.views.kpi import KpiTile
from app.views.plain import tip

ENERGY_CAPTION = "energy / inference"


def fill_energy_tile(tile: KpiTile, r: RunRecord) -> None:
    """Energy per inference, captioned with perf per watt (inferences/J, average power); the tooltip says what
    the power covers. N/A with the reason in the tooltip (the statistics table shows it in full)."""
    e, ppw = r.energy, efficiency.perf_per_watt(r)
    if e and e.available and fmt.number(e.joules_per_inference) is not None and ppw.available:
        tile.set(fmt.fmt_mj(e.joules_per_inference), tip(f"Covers: {ppw.covers}\nPerf per watt: {ppw.text()}"))
        tile.set_caption(f"{fmt.fmt_per_joule(ppw.inferences_per_joule, unit=' inf/J')} · "
                         f"{fmt.fmt_watts(ppw.mean_power_w)} avg")
    else:
        why = ppw.reason if r.measured else (e.reason if e else "") or "no power source for this device"
        tile.set(fmt.NA, tip(f"Not available: {why}"))
        tile.set_caption(ENERGY_CAPTION)


def stat_rows(r: RunRecord) -> tuple[list[tuple[str, str]], list[str]]:
    """Rows for the statistics table after the latencies: how a throughput run ran, and perf per watt."""
    rows, tips = [], []
    tp = r.throughput
    if tp is not None:
        rows += [("requests in flight", f"{tp.requests}"), ("requests run as", tp.concurrency.label)]
        tips += [f"Where the number came from: {tp.requests_source or '?'}", _settings_tip(tp.engine_settings)]
        if tp.streams is not None:
            rows.append(("streams", f"{tp.streams}"))
            tips.append(_settings_tip(tp.engine_settings))
        rows.append(("threads", f"{tp.threads}" if tp.threads is not None else "runtime default"))
        tips.append(_settings_tip(tp.engine_settings))
        if tp.batch and tp.batch > 1:
            rows.append(("samples/s", f"{fmt.fmt_rate(tp.samples_per_s)} (batch {tp.batch})"))
            tips.append("Inferences per second × the batch (axis 0 of every input).")
    ppw = efficiency.perf_per_watt(r)
    if r.measured and ppw.available:
        rows += [("perf per watt", f"{fmt.fmt_per_joule(ppw.inferences_per_joule)}, "
                                   f"{fmt.fmt_watts(ppw.mean_power_w)} avg"),
                 ("power covers", f"{ppw.covers}, {fmt.fmt_s(ppw.window_s)} measured")]
        tips += [ppw.text()] * 2
    elif r.measured:
        rows += [("perf per watt", fmt.NA), ("why N/A", ppw.reason)]
        tips += [ppw.reason] * 2
    return rows, tips


def _settings_tip(settings: dict[str, str]) -> str:
    lines = [f"{k} = {v}" for k, v in settings.items()]
    return "What the engine reports it ran with:\n" + "\n".join(lines) if lines else ""
