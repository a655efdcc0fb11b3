"""RunSetupPanel: target picker, warm-up / iterations / duration, strict mode, EP options.

Targets that cannot run here stay in the list, greyed out, with the reason and
the fix as their tooltip: the user learns what the machine could do.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

QNN_MODES = ("burst", "sustained_high_performance", "high_performance", "balanced", "default",
             "power_saver", "low_power_saver", "high_power_saver", "extreme_power_saver")
OV_HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
OV_PRECISIONS = ("device default", "f32", "f16", "bf16")
TARGET_ROLE = Qt.ItemDataRole.UserRole + 1


class RunSetupPanel(QWidget):
    target_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.targets: list = []
        self.target_combo = QComboBox()
        self.target_combo.setMinimumWidth(220)
        self.target_combo.setToolTip("Where to run: engine / execution provider / device. "
                                     "Greyed-out targets cannot run on this PC (hover for why).")
        self._model = QStandardItemModel(self)
        self.target_combo.setModel(self._model)
        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.target_info = QLabel("Looking for accelerators…")
        self.target_info.setWordWrap(True)
        self.target_info.setEnabled(False)

        self.warmup = QSpinBox()
        self.warmup.setRange(0, 100_000)
        self.warmup.setValue(10)
        self.warmup.setToolTip("Inferences run before measuring (caches, clocks, lazy init); not counted.")
        self.by_count = QRadioButton("Iterations")
        self.by_time = QRadioButton("Duration")
        self.by_count.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_time)
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 100_000_000)
        self.iterations.setValue(200)
        self.iterations.setToolTip("Measure exactly this many inferences.")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.1, 24 * 3600)
        self.duration.setDecimals(1)
        self.duration.setValue(10.0)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Measure for this long (good for thermals and power).")
        self.by_count.toggled.connect(self._on_mode_toggled)
        self.strict = QCheckBox("Strict: fail instead of falling back to the CPU")
        self.strict.setToolTip("session.disable_cpu_ep_fallback=1: a node the accelerator cannot run is an "
                               "error, so a number is never silently a CPU number.")

        form = QFormLayout()
        form.addRow("Target:", self.target_combo)
        form.addRow("", self.target_info)
        form.addRow("Warm-up:", self.warmup)
        count_row = QHBoxLayout()
        count_row.addWidget(self.by_count)
        count_row.addWidget(self.iterations, 1)
        time_row = QHBoxLayout()
        time_row.addWidget(self.by_time)
        time_row.addWidget(self.duration, 1)
        form.addRow("Measure:", count_row)
        form.addRow("", time_row)
        form.addRow("", self.strict)

        self.qnn_mode = QComboBox()
        self.qnn_mode.addItems(QNN_MODES)
        self.qnn_mode.setToolTip("QNN htp_performance_mode: NPU clock/voltage vote. 'burst' is fastest.")
        self.ov_hint = QComboBox()
        self.ov_hint.addItems(OV_HINTS)
        self.ov_hint.setToolTip("OpenVINO PERFORMANCE_HINT: LATENCY (one request) or THROUGHPUT (streams).")
        self.ov_precision = QComboBox()
        self.ov_precision.addItems(OV_PRECISIONS)
        self.ov_precision.setToolTip("OpenVINO INFERENCE_PRECISION_HINT: the precision the device computes in.")
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("KEY=VALUE, KEY=VALUE")
        self.extra.setToolTip("More execution-provider options, as with `aipcprof run --ep-option`.")
        self.ep_form = QFormLayout()
        self.ep_form.addRow("htp_performance_mode:", self.qnn_mode)
        self.ep_form.addRow("PERFORMANCE_HINT:", self.ov_hint)
        self.ep_form.addRow("INFERENCE_PRECISION_HINT:", self.ov_precision)
        self.ep_form.addRow("Other options:", self.extra)
        self.ep_box = QGroupBox("Execution-provider options")
        self.ep_box.setLayout(self.ep_form)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.ep_box)
        lay.addStretch(1)
        self._on_mode_toggled(True)
        self._show_ep_rows(None)

    # -- targets ---------------------------------------------------------
    def set_targets(self, targets: list, preferred: str | None = None) -> None:
        self.targets = list(targets)
        self._model.clear()
        for t in self.targets:
            device = t.device_name or t.vendor or t.device_type
            text = f"{t.id}  —  {device}" if t.ready else f"{t.id}  —  unavailable"
            item = QStandardItem(text)
            item.setData(t.id, TARGET_ROLE)
            tip = f"{t.id}: {t.provider} on {t.device_type} {device}"
            if t.reason:
                tip += f"\n{'Note' if t.ready else 'Why not'}: {t.reason}"
            if not t.ready and t.fix:
                tip += f"\nFix: {t.fix}"
            item.setToolTip(tip)
            if not t.ready:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            self._model.appendRow(item)
        ready = [t.id for t in self.targets if t.ready]
        pick = preferred if preferred in ready else (ready[0] if ready else None)
        if pick:
            self.select_target(pick)
        self._on_target_combo_changed(self.target_combo.currentIndex())

    def select_target(self, target_id: str) -> bool:
        for row, t in enumerate(self.targets):
            if t.id == target_id and t.ready:
                self.target_combo.setCurrentIndex(row)
                return True
        return False

    def current_target(self):
        row = self.target_combo.currentIndex()
        if 0 <= row < len(self.targets) and self.targets[row].ready:
            return self.targets[row]
        return None

    def ready_targets(self) -> list:
        return [t for t in self.targets if t.ready]

    def _on_target_combo_changed(self, _row: int) -> None:
        t = self.current_target()
        self._show_ep_rows(t)
        if t is None:
            n = len(self.targets)
            self.target_info.setText("No target can run here." if n else "Looking for accelerators…")
            return
        versions = " / ".join(v for v in (t.runtime_version, t.ep_version) if v)
        self.target_info.setText(f"{t.provider} · {t.device_type}" + (f" · {versions}" if versions else "")
                                 + (f"\n{t.reason}" if t.reason else ""))
        self.target_combo.setToolTip(self._model.item(self.target_combo.currentIndex()).toolTip())
        self.target_changed.emit(t.id)

    def _show_ep_rows(self, t) -> None:
        provider = getattr(t, "provider", "")
        engine = getattr(t, "engine", "")
        qnn = provider == "QNNExecutionProvider"
        ov = engine == "openvino" or provider == "OpenVINOExecutionProvider"
        self.ep_form.setRowVisible(self.qnn_mode, qnn)
        self.ep_form.setRowVisible(self.ov_hint, ov)
        self.ep_form.setRowVisible(self.ov_precision, ov)
        if t is not None:
            default = t.default_options
            if qnn and default.get("htp_performance_mode") in QNN_MODES:
                self.qnn_mode.setCurrentText(default["htp_performance_mode"])
            if ov and default.get("PERFORMANCE_HINT") in OV_HINTS:
                self.ov_hint.setCurrentText(default["PERFORMANCE_HINT"])

    def _on_mode_toggled(self, by_count: bool) -> None:
        self.iterations.setEnabled(self.by_count.isChecked())
        self.duration.setEnabled(self.by_time.isChecked())

    # -- what a run needs ------------------------------------------------
    def ep_options(self, t) -> dict[str, str]:
        """The options that matter for this target, in the form its engine takes them."""
        from app.cli.options import parse_key_values  # pure helper shared with the CLI

        opts: dict[str, str] = {}
        if t.provider == "QNNExecutionProvider":
            opts["htp_performance_mode"] = self.qnn_mode.currentText()
        ov = {"PERFORMANCE_HINT": self.ov_hint.currentText()}
        if self.ov_precision.currentText() != OV_PRECISIONS[0]:
            ov["INFERENCE_PRECISION_HINT"] = self.ov_precision.currentText()
        if t.engine == "openvino":
            opts.update(ov)
        elif t.provider == "OpenVINOExecutionProvider":  # the ORT EP takes OpenVINO properties per device
            opts["load_config"] = json.dumps({t.device_type: ov})
        items = [s.strip() for s in self.extra.text().replace(";", ",").split(",") if s.strip()]
        opts.update(parse_key_values(items, "Other options"))
        return opts

    def measure_settings(self) -> dict:
        if self.by_time.isChecked():
            return {"iterations": None, "duration_s": float(self.duration.value())}
        return {"iterations": int(self.iterations.value()), "duration_s": None}

    def build_spec(self, model_path: str, target, dims: dict[str, int], inputs: dict[str, str]):
        from app.run.runspec import RunSpec

        return RunSpec(model_path=model_path, target_id=target.id, warmup=int(self.warmup.value()),
                       dims=dict(dims), inputs=dict(inputs), ep_options=self.ep_options(target),
                       strict=self.strict.isChecked(), **self.measure_settings()).validate()

    # -- settings --------------------------------------------------------
    def save_state(self) -> dict:
        return {"warmup": self.warmup.value(), "iterations": self.iterations.value(),
                "duration": self.duration.value(), "by_time": self.by_time.isChecked(),
                "strict": self.strict.isChecked(), "extra": self.extra.text()}

    def restore_state(self, state: dict) -> None:
        try:
            self.warmup.setValue(int(state.get("warmup", 10)))
            self.iterations.setValue(int(state.get("iterations", 200)))
            self.duration.setValue(float(state.get("duration", 10.0)))
            (self.by_time if str(state.get("by_time")).lower() == "true" else self.by_count).setChecked(True)
            self.strict.setChecked(str(state.get("strict")).lower() == "true")
            self.extra.setText(str(state.get("extra", "")))
        except (TypeError, ValueError):
            pass  # a corrupt settings file costs the defaults, nothing more
