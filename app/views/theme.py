"""Light/dark theme that follows the OS (QStyleHints.colorScheme), plus chart colours.

Fusion is used everywhere so the app looks the same on Windows 10/11 and in
offscreen screenshots; its palette is set explicitly for dark mode because
not every platform theme hands Fusion a dark palette.
`AIPCPROF_THEME=dark|light` overrides the OS (screenshots, bug reports).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.report import palette as pal


@dataclass(frozen=True)
class ChartColors:
    background: str
    foreground: str
    grid: str  # opaque grid/axis-line colour: alpha-blended grids cost ~7 ms a frame in software paint
    latency: str
    p50: str
    p99: str
    throughput: str
    series: tuple[str, ...]  # one per device/metric curve, in order
    phases: dict[str, str]  # phase -> translucent fill (#RRGGBBAA)
    ok: str
    warn: str
    error: str
    muted: str
    diff: str = pal.LIGHT.diff  # a value that differs from the baseline's
    base: str = pal.LIGHT.base  # the baseline's row


# The colours themselves live in app.report.palette (shared with the SVG charts and the HTML report).
LIGHT = ChartColors(
    background=pal.LIGHT.background, foreground=pal.LIGHT.foreground, grid=pal.LIGHT.grid,
    latency=pal.LIGHT.latency, p50=pal.LIGHT.p50, p99=pal.LIGHT.p99, throughput=pal.LIGHT.throughput,
    series=pal.LIGHT.series,
    phases=dict(pal.LIGHT.phases),
    ok=pal.LIGHT.ok, warn=pal.LIGHT.warn, error=pal.LIGHT.error, muted=pal.LIGHT.muted,
)

DARK = ChartColors(
    background=pal.DARK.background, foreground=pal.DARK.foreground, grid=pal.DARK.grid,
    latency=pal.DARK.latency, p50=pal.DARK.p50, p99=pal.DARK.p99, throughput=pal.DARK.throughput,
    series=pal.DARK.series,
    phases=dict(pal.DARK.phases),
    ok=pal.DARK.ok, warn=pal.DARK.warn, error=pal.DARK.error, muted=pal.DARK.muted, diff=pal.DARK.diff,
    base=pal.DARK.base,
)


def is_dark() -> bool:
    forced = os.environ.get("AIPCPROF_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def colors() -> ChartColors:
    return DARK if is_dark() else LIGHT


def resolve_dark(theme: str = "auto") -> bool:
    """"light" / "dark" pin a palette; "auto" follows the app (the OS, or AIPCPROF_THEME)."""
    if theme not in ("auto", "light", "dark"):
        raise ValueError(f"theme must be auto, light or dark, not {theme!r}")
    return is_dark() if theme == "auto" else theme == "dark"


def palette(dark: bool) -> QPalette:
    """The Fusion palette of one scheme, for a widget that must not follow the app (an export in dark mode)."""
    if dark:
        return _dark_palette()
    from PySide6.QtWidgets import QStyleFactory

    style = QStyleFactory.create("Fusion")
    return style.standardPalette() if style is not None else QPalette()


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#dfe1e5")
    role = QPalette.ColorRole
    for r, c in ((role.Window, window), (role.WindowText, text), (role.Base, base),
                 (role.AlternateBase, QColor("#26282b")), (role.ToolTipBase, QColor("#3c3f41")),
                 (role.ToolTipText, text), (role.Text, text), (role.Button, window),
                 (role.ButtonText, text), (role.BrightText, QColor("#ff6b6b")),
                 (role.Highlight, QColor("#3d6fd6")), (role.HighlightedText, QColor("#ffffff")),
                 (role.Link, QColor("#6ea8ff")), (role.PlaceholderText, QColor("#8c8f94")),
                 (role.Mid, QColor("#3c3f41")), (role.Dark, QColor("#141517")),
                 (role.Light, QColor("#45484c"))):
        p.setColor(r, c)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor("#6f7277"))
    return p


def apply(app: QApplication) -> None:
    """Style + palette for the current scheme; call again when the OS scheme changes."""
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if is_dark() else app.style().standardPalette())


def banner_style(level: str, dark: bool | None = None) -> str:
    """Stylesheet for an inline banner: error (red), warning (amber), info (blue)."""
    dark = is_dark() if dark is None else dark
    bg, border, fg = {
        "error": ("#4a1f1f", "#ff6b6b", "#ffd7d7") if dark else ("#fdecea", "#d93025", "#5f1a14"),
        "warning": ("#4a3a14", "#ffb74d", "#ffe9c2") if dark else ("#fff4e0", "#e8a100", "#4d3300"),
        "info": ("#1c2f4a", "#6ea8ff", "#d6e6ff") if dark else ("#e8f0fe", "#2f6fde", "#0d2f6b"),
    }[level]
    return (f"QFrame#Banner {{ background: {bg}; border: 1px solid {border}; border-left: 5px solid {border};"
            f" border-radius: 4px; }} QFrame#Banner QLabel {{ color: {fg}; background: transparent; }}")
