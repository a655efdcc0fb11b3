"""The results panel's measurement conditions: a banner when a threshold was crossed, and one line of figures.

Texts come from app.report.conditions (the same as the CLI summary); the
banner is picked by the warnings' kinds, never by their prose.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from app.record.schema import RunRecord
from app.report.conditions import CONDITION_KINDS, KIND_LABELS, summary_lines
from app.views.banner import Banner
from app.views.plain import plain, tip


class ConditionsBox(QGroupBox):
    """'Measurement conditions': the figures behind the conditions warnings (N/A with the reason)."""

    def __init__(self) -> None:
        super().__init__("Measurement conditions")
        self.label = plain(QLabel())
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setToolTip(tip("Read at both ends of the measured loop: CPU time of other processes "
                                  "(system busy minus this run's worker and the profiler), steal time on a VM, "
                                  "clocks and throttle counters, temperatures from the telemetry. "
                                  "Thresholds: docs/telemetry.md, 'Measurement conditions'."))
        QVBoxLayout(self).addWidget(self.label)

    def show_record(self, r: RunRecord) -> None:
        lines = summary_lines(r)
        self.setVisible(bool(lines))
        lines = [line.strip().removeprefix("conditions: ") for line in lines]  # the box's title says it
        self.label.setText("\n".join(line[:1].upper() + line[1:] for line in lines))


def fill_banner(banner: Banner, r: RunRecord) -> None:
    """A warning banner naming every crossed condition, each warning's text below it."""
    found = r.warnings_of(*CONDITION_KINDS)
    if not found:
        banner.setVisible(False)
        return
    names = ", ".join(dict.fromkeys(KIND_LABELS[w.kind] for w in found))
    banner.show_message("warning", f"Measured under unquiet conditions ({names}): these numbers include "
                                   f"that interference.", "\n".join(w.text for w in found))
