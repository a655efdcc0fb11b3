"""The colours of every chart and report, light and dark: plain hex strings per role, no Qt.

The SVG charts and the HTML report (app.report) and the desktop app's charts
and tables (app.views.theme builds its ChartColors from these) read the same
values, so a run has the same colour in the app, in a PNG export and in a
report. Series colours are used in order: run i (or device/metric curve i)
gets `series[i % len(series)]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

THEMES = ("auto", "light", "dark")  # "auto" follows the viewer's (or the OS's) light/dark setting


@dataclass(frozen=True)
class Palette:
    background: str
    foreground: str
    muted: str  # secondary text, axes, "N/A"
    grid: str  # the live charts' grid and axis lines (opaque: alpha-blended grids are slow to paint)
    border: str  # table borders, the SVG charts' grid lines
    head: str  # table header background
    ok: str
    warn: str
    error: str
    diff: str  # a value that differs from the baseline's
    base: str  # the baseline's row
    latency: str
    p50: str
    p99: str
    throughput: str
    series: tuple[str, ...]  # one per run / device curve, in order
    phases: dict[str, str] = field(default_factory=dict)  # phase -> translucent fill (#RRGGBBAA)
    devices: dict[str, str] = field(default_factory=dict)  # device kind (DEVICE_KINDS) -> operator bar colour

    def series_color(self, i: int) -> str:
        return self.series[i % len(self.series)]

    def device_color(self, device: str) -> str:
        """The colour of an operator that ran on `device` ('CPU', 'NPU', 'Hexagon HTP emulator', ...)."""
        return self.devices[device_kind(device)]


# Operator charts colour each bar by the kind of device its op ran on: the same in the app, a PNG, SVG, HTML.
DEVICE_KINDS = ("CPU", "GPU", "NPU", "other")
_NPU_WORDS = ("NPU", "HTP", "HEXAGON", "VPU", "DSP")


def device_kind(device: str) -> str:
    """'CPU', 'GPU', 'NPU' (an NPU, or its emulator: 'Hexagon HTP emulator') or 'other'."""
    up = device.upper()
    if any(w in up for w in _NPU_WORDS):
        return "NPU"
    return next((k for k in ("GPU", "CPU") if k in up), "other")


LIGHT = Palette(
    background="#ffffff", foreground="#30343b", muted="#6b7280", grid="#e4e6ea", border="#d9dce1",
    head="#f3f4f6", ok="#0f9d58", warn="#b26a00", error="#c5221f", diff="#fff3c4", base="#e8f0fe",
    latency="#2f6fde", p50="#0f9d58", p99="#d93025", throughput="#7b3fd0",
    series=("#2f6fde", "#e8710a", "#0f9d58", "#d93025", "#7b3fd0", "#00838f", "#c2185b", "#6d4c41"),
    phases={"load": "#9e9e9e22", "compile": "#ff980033", "first_inference": "#9c27b022",
            "warmup": "#ffc10733", "measure": "#4caf5018", "output_check": "#03a9f422",
            "prefill": "#e8710a40", "decode": "#2f6fde1c"},  # a generative model's generations
    devices={"CPU": "#2f6fde", "GPU": "#e8710a", "NPU": "#0f9d58", "other": "#7b3fd0"},
)

DARK = Palette(
    background="#1e1f22", foreground="#d4d7dd", muted="#9aa0a6", grid="#34373c", border="#3a3d42",
    head="#2a2c30", ok="#4cd08a", warn="#ffb74d", error="#ff6b6b", diff="#4a3f12", base="#1f2f4a",
    latency="#6ea8ff", p50="#4cd08a", p99="#ff6b6b", throughput="#c29bff",
    series=("#6ea8ff", "#ffab40", "#4cd08a", "#ff6b6b", "#c29bff", "#4dd0e1", "#f06292", "#bcaaa4"),
    phases={"load": "#9e9e9e22", "compile": "#ff980033", "first_inference": "#ce93d822",
            "warmup": "#ffd54f2a", "measure": "#81c78418", "output_check": "#4fc3f722",
            "prefill": "#ffab4040", "decode": "#6ea8ff1c"},
    devices={"CPU": "#6ea8ff", "GPU": "#ffab40", "NPU": "#4cd08a", "other": "#c29bff"},
)

PALETTES = {"light": LIGHT, "dark": DARK}


def palette(theme: str) -> Palette:
    """The palette of "light" or "dark" ("auto" is resolved by the caller: CSS media query, or the OS)."""
    try:
        return PALETTES[theme]
    except KeyError:
        raise ValueError(f"theme must be light or dark, not {theme!r}") from None
