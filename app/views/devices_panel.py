"""DevicesPanel: this PC's compute devices, the targets that can use them, and live telemetry.

Three sections: devices from the probe inventory (names, drivers, versions),
targets from engine discovery (ready or why not, and the fix), and every
telemetry metric with its status: live, or why not (unsupported / denied...).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QFrame, QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.probes.device import DeviceInfo
from app.probes.model import CATEGORIES
from app.views import theme
from app.views.plain import WrapLabel

DETAIL_HINT = "Select a row to read it in full here."
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 7  # the row's whole text: what the narrow Details column elides

# Facts of a device shown under it, in this order, when set.
_FACTS = ("driver", "driver_version", "vendor_id", "device_id", "bus", "luid", "aliases", "power_state", "notes")


def _facts(d: DeviceInfo) -> list[tuple[str, object]]:
    return [(f.replace("_", " "), getattr(d, f)) for f in _FACTS if getattr(d, f) not in ("", [], None)]


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return "" if value is None else str(value)


class DevicesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Item", "Status", "Details"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        h = self.tree.header()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setStretchLastSection(True)
        self.devices_root = QTreeWidgetItem(["Compute devices", "", "from the telemetry inventory"])
        self.targets_root = QTreeWidgetItem(["Targets", "", "engine / execution provider / device"])
        self.metrics_root = QTreeWidgetItem(["Telemetry", "", "what this machine can measure, and why not"])
        for root in (self.devices_root, self.targets_root, self.metrics_root):
            f = root.font(0)
            f.setBold(True)
            root.setFont(0, f)
            self.tree.addTopLevelItem(root)
            root.setExpanded(True)
        QTreeWidgetItem(self.devices_root, ["Looking for devices…"])
        QTreeWidgetItem(self.targets_root, ["Looking for targets…"])
        QTreeWidgetItem(self.metrics_root, ["Starting the sampler…"])
        # The Details column is narrow in a laptop-sized window: the selected row, in full, wrapped.
        self.detail = WrapLabel(DETAIL_HINT)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setFrameShape(QFrame.Shape.StyledPanel)
        self.detail.setMargin(6)
        self.detail.setMinimumHeight(3 * self.detail.fontMetrics().height() + 12)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.detail)
        self._metric_snapshot: dict = {}

    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is None:
            self.detail.setText(DETAIL_HINT)
            return
        full = item.data(0, DETAIL_ROLE)
        if not full:
            parts = [item.text(0), item.text(1), item.text(2)]
            full = " — ".join(p for p in parts if p)
        self.detail.setText(str(full))

    def _status_item(self, parent: QTreeWidgetItem, name: str, ok: bool | None, status: str, detail: str,
                     tip: str = "") -> QTreeWidgetItem:
        c = theme.colors()
        item = QTreeWidgetItem(parent, [name, status, detail])
        color = c.ok if ok else (c.muted if ok is None else c.warn)
        item.setForeground(1, QBrush(QColor(color)))
        full = tip or f"{name}: {status}. {detail}".strip()
        for col in range(3):
            item.setToolTip(col, full)
        item.setData(0, DETAIL_ROLE, full)
        return item

    # -- sections --------------------------------------------------------
    def set_inventory(self, devices: list[DeviceInfo] | None, error: str = "") -> None:
        self.devices_root.takeChildren()
        if devices is None:
            QTreeWidgetItem(self.devices_root, ["Inventory unavailable", "", error or "no inventory module"])
            return
        for d in devices:
            name = d.name or d.key or "device"
            item = QTreeWidgetItem(self.devices_root, [f"{d.kind} · {name}" if d.kind else name, "", _text(d.vendor)])
            item.setToolTip(0, str(name))
            for key, value in _facts(d):
                child = QTreeWidgetItem(item, [key, "", _text(value)])
                child.setToolTip(2, _text(value))
            for metric in CATEGORIES:
                cap = d.capability(metric)
                self._status_item(item, metric, cap.readable, "live" if cap.readable else cap.status, cap.reason)
            item.setExpanded(True)
        if not devices:
            QTreeWidgetItem(self.devices_root, ["No devices reported"])

    def set_targets(self, targets: list) -> None:
        self.targets_root.takeChildren()
        for t in targets:
            versions = " / ".join(v for v in (t.runtime_version, t.ep_version) if v)
            detail = f"{t.provider} on {t.device_type} {t.device_name or t.vendor}".strip()
            if versions:
                detail += f" · {versions}"
            if t.ready:
                self._status_item(self.targets_root, t.id, True, "ready", detail + (f" · {t.reason}" if t.reason
                                                                                    else ""))
            else:
                tip = f"{t.id}: {t.reason}" + (f"\nFix: {t.fix}" if t.fix else "")
                self._status_item(self.targets_root, t.id, False, "unavailable", t.reason, tip)
        self.targets_root.setText(1, f"{sum(t.ready for t in targets)} ready of {len(targets)}")

    def set_metric_status(self, statuses: dict[str, tuple[str, str]], note: str = "") -> None:
        """statuses: "device/metric" -> (status, reason), from Sampler.metric_status()."""
        if statuses == self._metric_snapshot and not note:
            return
        self._metric_snapshot = dict(statuses)
        self.metrics_root.takeChildren()
        if note:
            QTreeWidgetItem(self.metrics_root, [note])
        by_device: dict[str, list] = {}
        for key, (status, reason) in sorted(statuses.items()):
            device, _, metric = key.rpartition("/")
            by_device.setdefault(device, []).append((metric, status, reason))
        live = 0
        for device, metrics in by_device.items():
            node = QTreeWidgetItem(self.metrics_root, [device])
            n_ok = sum(1 for _, s, _ in metrics if s == "ok")
            live += n_ok
            node.setText(1, f"{n_ok} of {len(metrics)} live")
            for metric, status, reason in metrics:
                ok = status == "ok"
                self._status_item(node, metric, ok if status != "not_ready" else None,
                                  "live" if ok else status, reason)
            node.setExpanded(True)
        self.metrics_root.setText(1, f"{live} live of {len(statuses)}")
        self.tree.resizeColumnToContents(0)
