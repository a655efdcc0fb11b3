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
    diff: str = "#fff3c4"  # a value that differs from the baseline's
    base: str = "#e8f0fe"  # the baseline's row


LIGHT = ChartColors(
    background="#ffffff", foreground="#30343b", grid="#e4e6ea",
    latency="#2f6fde", p50="#0f9d58", p99="#d93025", throughput="#7b3fd0",
    series=("#2f6fde", "#e8710a", "#0f9d58", "#d93025", "#7b3fd0", "#00838f", "#c2185b", "#6d4c41"),
    phases={"load": "#9e9e9e22", "compile": "#ff980033", "first_inference": "#9c27b022",
            "warmup": "#ffc10733", "measure": "#4caf5018", "output_check": "#03a9f422"},
    ok="#0f9d58", warn="#b26a00", error="#c5221f", muted="#6b7280",
)

DARK = ChartColors(
    background="#1e1f22", foreground="#d4d7dd", grid="#34373c",
    latency="#6ea8ff", p50="#4cd08a", p99="#ff6b6b", throughput="#c29bff",
    series=("#6ea8ff", "#ffab40", "#4cd08a", "#ff6b6b", "#c29bff", "#4dd0e1", "#f06292", "#bcaaa4"),
    phases={"load": "#9e9e9e22", "compile": "#ff980033", "first_inference": "#ce93d822",
            "warmup": "#ffd54f2a", "measure": "#81c78418", "output_check": "#4fc3f722"},
    ok="#4cd08a", warn="#ffb74d", error="#ff6b6b", muted="#9aa0a6", diff="#4a3f12", base="#1f2f4a",
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
