"""The desktop views take their colours and number text from app.report.palette and app.common.fmt."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from app.report import palette  # noqa: E402


def test_chart_colours_are_the_palette():
    from app.views import theme

    for colors, pal in ((theme.LIGHT, palette.LIGHT), (theme.DARK, palette.DARK)):
        assert colors.series == pal.series and colors.phases == pal.phases
        for role in ("background", "foreground", "grid", "latency", "p50", "p99", "throughput", "ok", "warn",
                     "error", "muted", "diff", "base"):
            assert getattr(colors, role) == getattr(pal, role), role


def test_tiles_and_comparison_cells_use_the_shared_formatters():
    from app.views.compare_tables import cell_text
    from app.views.kpi import tile_ms, tile_rate

    assert tile_ms(0.123) == "123 \u00b5s" and tile_ms(12.3) == "12.30 ms" and tile_ms(None) == "\u2014"
    assert tile_rate(1234.5) == "1,234/s" and tile_rate(float("nan")) == "\u2014"
    assert cell_text("speedup_vs_baseline", 4.0) == "4.00\u00d7"
    assert cell_text("p50_ms", 1.5) == "1.500 ms" and cell_text("throughput_per_s", None) == "N/A"
