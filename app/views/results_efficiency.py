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

PPW_CAPTION = "perf per watt"
PPW_TIP = "Inferences per joule over the measured window, and the average power, with what the power covers."


def fill_ppw_tile(tile: KpiTile, r: RunRecord) -> None:
    """'5.00 inf/J' captioned with the average power and what it covers, or N/A captioned with why."""
    ppw = efficiency.perf_per_watt(r)
    if ppw.available:
        tile.set(fmt.fmt_per_joule(ppw.inferences_per_joule, unit=" inf/J"), tip(f"{PPW_TIP}\n{ppw.text()}"))
        tile.set_caption(f"{PPW_CAPTION} · {fmt.fmt_watts(ppw.mean_power_w)} avg, {ppw.covers}")
    else:
        tile.set(fmt.NA, tip(f"Not available: {ppw.reason}"))
        tile.set_caption(f"{PPW_CAPTION}: {_short(ppw.reason)}")


def _short(reason: str, limit: int = 48) -> str:
    """The first clause of a reason for a caption (the tooltip has all of it)."""
    first = reason.split(" (")[0].split(";")[0]
    return first if len(first) <= limit else first[: limit - 1] + "\u2026"


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
    if r.measured:
        rows.append(("perf per watt", ppw.text()))
        tips.append(ppw.text())
    return rows, tips


def _settings_tip(settings: dict[str, str]) -> str:
    lines = [f"{k} = {v}" for k, v in settings.items()]
    return "What the engine reports it ran with:\n" + "\n".join(lines) if lines else ""
