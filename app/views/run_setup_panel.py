"""RunSetupPanel: the editor of the next run's setup (app.state.run_setup.RunSetupState).

Target picker, warm-up, iterations or duration, strict mode, per-target EP
presets and other EP options; an "Advanced" section (collapsed by default) has
the rest of what `aipcprof run` takes: until-steady, seed, threads, IO binding,
output check, cache folder, stall timeout. Every edit goes to the state, which
checks it; a bad value shows as an inline message naming the option, never as
a traceback. Defaults and checks are app.run.spec_builder.RunOptions', the
CLI's too.

Targets that cannot run here stay in the list, greyed out, with the reason and
the fix as their tooltip: the user learns what the machine could do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.record.schema import RunMode
from app.run.spec_builder import (
    MAX_QUIET_CHECK_S,
    MAX_REQUESTS,
    QUIET_CHECK_DEFAULT_S,
    UNTIL_STEADY_DEFAULT,
    RunOptions,
    max_thread_count,
)
from app.state.run_setup import (
    OV_HINTS,
    OV_PRECISIONS,
    QNN_MODES,
    EpPresets,
    RunSetupState,
    is_openvino,
    is_qnn,
)
from app.views.banner import InlineError
from app.views.genai_setup import GenAISetupBox, grey_out, not_for_genai

DEVICE_DEFAULT = "device default"  # the precision combo's "no hint" entry
TARGET_ROLE = Qt.ItemDataRole.UserRole + 1


MODE_TEXT = {RunMode.LATENCY: "Latency (one request at a time)", RunMode.THROUGHPUT: "Throughput (requests in flight)"}


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class RunSetupPanel(QWidget):
    def __init__(self, setup: RunSetupState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setup = setup if setup is not None else RunSetupState()
        labels = self.setup.labels
        self._syncing = False  # writing the state into the widgets: their signals must not write back
        self.target_combo = QComboBox()
        self.target_combo.setMinimumWidth(220)
        self.target_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.target_combo.setToolTip("Where to run: engine / execution provider / device. "
                                     "Greyed-out targets cannot run on this PC (hover for why).")
        self._model = QStandardItemModel(self)
        self.target_combo.setModel(self._model)
        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.target_info = _plain(QLabel("Looking for accelerators…"))
        self.target_info.setWordWrap(True)
        self.target_info.setEnabled(False)

        self.warmup = QSpinBox()
        self.warmup.setRange(0, 100_000)
        self.warmup.setToolTip("Inferences run before measuring (caches, clocks, lazy init); not counted.")
        self.by_count = QRadioButton("Iterations")
        self.by_time = QRadioButton("Duration")
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_time)
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 100_000_000)
        self.iterations.setToolTip("Measure exactly this many inferences.")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.1, 24 * 3600)
        self.duration.setDecimals(1)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Measure for this long (good for thermals and power).")
        self.mode = QComboBox()
        for m in RunMode:
            self.mode.addItem(MODE_TEXT[m], m)
        self.mode.setToolTip("Latency: one request at a time. Throughput: several requests in flight "
                             "(OpenVINO THROUGHPUT hint and AsyncInferQueue; ONNX Runtime threads), the rate is "
                             "the main figure.")
        self.requests = QSpinBox()
        self.requests.setRange(0, MAX_REQUESTS)
        self.requests.setSpecialValueText("auto")
        self.requests.setToolTip("Requests in flight in throughput mode; auto: OpenVINO's optimal number, "
                                 "or for ONNX Runtime one per physical core (CPU) / 2 (other EPs).")
        self.strict = QCheckBox("Strict: fail instead of falling back to the CPU")
        self.strict.setToolTip("session.disable_cpu_ep_fallback=1: a node the accelerator cannot run is an "
                               "error, so a number is never silently a CPU number.")
        self.op_profile = QCheckBox(f"{labels['op_profile']}: time each operator after measuring")
        self.op_profile.setToolTip("After the measured loop, a separate session with the runtime's profiler on "
                                   "times every operator (aipcprof run --op-profile): the Operators tab of the "
                                   "results. The measured figures never include profiling overhead.")

        self._generative = False  # a generative model is open: the Generation group sets its run
        self._own_tips: dict[QWidget, str] = {}  # tooltips of the fields greyed out for a generative model
        form = self._form = QFormLayout()
        form.addRow("Target:", self.target_combo)
        form.addRow("", self.target_info)
        form.addRow(f"{labels['mode']}:", self.mode)
        form.addRow(f"{labels['requests']}:", self.requests)
        form.addRow(f"{labels['warmup']}:", self.warmup)
        count_row = self._count_row = QHBoxLayout()
        count_row.addWidget(self.by_count)
        count_row.addWidget(self.iterations, 1)
        time_row = self._time_row = QHBoxLayout()
        time_row.addWidget(self.by_time)
        time_row.addWidget(self.duration, 1)
        form.addRow(f"{labels['by_duration']}:", count_row)
        form.addRow("", time_row)
        form.addRow("", self.strict)
        form.addRow("", self.op_profile)

        self.qnn_mode = QComboBox()
        self.qnn_mode.addItems(QNN_MODES)
        self.qnn_mode.setToolTip("QNN htp_performance_mode: NPU clock/voltage vote. 'burst' is fastest.")
        self.ov_hint = QComboBox()
        self.ov_hint.addItems(OV_HINTS)
        self.ov_hint.setToolTip("OpenVINO PERFORMANCE_HINT: LATENCY (one request) or THROUGHPUT (streams).")
        self.ov_precision = QComboBox()
        self.ov_precision.addItems((DEVICE_DEFAULT, *OV_PRECISIONS))
        self.ov_precision.setToolTip("OpenVINO INFERENCE_PRECISION_HINT: the precision the device computes in.")
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("KEY=VALUE, KEY=VALUE")
        self.extra.setToolTip("More execution-provider options, as with `aipcprof run --ep-option`.")
        self.ep_form = QFormLayout()
        self.ep_form.addRow("htp_performance_mode:", self.qnn_mode)
        self.ep_form.addRow("PERFORMANCE_HINT:", self.ov_hint)
        self.ep_form.addRow("INFERENCE_PRECISION_HINT:", self.ov_precision)
        self.ep_form.addRow(f"{labels['ep_options']}:", self.extra)
        self.ep_box = QGroupBox("Execution-provider options")
        self.ep_box.setLayout(self.ep_form)

        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setObjectName("AdvancedToggle")
        self.advanced_button.setStyleSheet("QToolButton#AdvancedToggle { border: none; padding: 2px 0px; }")
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setToolTip("Until-steady, seed, threads, IO binding, output check, cache, timeout: "
                                        "everything `aipcprof run` takes.")
        self.advanced_button.toggled.connect(self.set_advanced_open)
        self.advanced = QWidget()
        self.advanced.setObjectName("AdvancedRunOptions")
        self._build_advanced(labels)

        self.problem = InlineError()  # the first bad value, named as in this form
        self.genai_box = GenAISetupBox(self.setup.genai)  # shown while a generative model is open
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.genai_box)
        lay.addWidget(self.ep_box)
        lay.addWidget(self.advanced_button)
        lay.addWidget(self.advanced)
        lay.addWidget(self.problem)
        lay.addStretch(1)

        self.mode.currentIndexChanged.connect(self._push)
        for spin in (self.warmup, self.iterations, self.duration, self.until_steady, self.seed, self.threads,
                     self.stall_timeout, self.quiet_check, self.requests):
            spin.valueChanged.connect(self._push)
        for box in (self.by_count, self.by_time, self.strict, self.op_profile, self.until_steady_on,
                    self.io_binding, self.check_outputs, self.quiet_check_on):
            box.toggled.connect(self._push)
        self.cache_dir.textChanged.connect(self._push)
        self.extra.textChanged.connect(self._on_extra_edited)
        for combo in (self.qnn_mode, self.ov_hint, self.ov_precision):
            combo.currentIndexChanged.connect(self._push_presets)

        s = self.setup
        s.targets_changed.connect(self._on_state_targets_changed)
        s.target_changed.connect(self._on_state_target_changed)
        s.options_changed.connect(self._on_state_options_changed)
        s.presets_changed.connect(self._on_state_presets_changed)
        s.problems_changed.connect(self._on_state_problems_changed)
        self._on_state_targets_changed(s.targets)
        self._on_state_options_changed(s.options)
        self._on_state_presets_changed(s.presets)
        self._on_state_problems_changed(s.problems)
        s.genai.card_changed.connect(lambda card: self.set_generative(card is not None))
        self.set_generative(s.genai.active)
        self.set_advanced_open(False)

    def _build_advanced(self, labels: dict[str, str]) -> None:
        self.until_steady_on = QCheckBox()
        self.until_steady_on.setToolTip("Stop measuring once the p50's 95% confidence half-width is below this "
                                        "share of the p50; iterations or duration stay the upper bound.")
        self.until_steady = QDoubleSpinBox()
        self.until_steady.setRange(0.1, 50.0)
        self.until_steady.setDecimals(1)
        self.until_steady.setSingleStep(0.5)
        self.until_steady.setPrefix("± ")
        self.until_steady.setSuffix(" % of p50")
        self.until_steady.setToolTip(self.until_steady_on.toolTip())
        steady_row = QHBoxLayout()
        steady_row.addWidget(self.until_steady_on)
        steady_row.addWidget(self.until_steady, 1)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the synthetic inputs (same seed, same data).")
        self.threads = QSpinBox()
        self.threads.setRange(0, max_thread_count())  # RunOptions refuses more
        self.threads.setSpecialValueText("auto")
        self.threads.setToolTip("Intra-op threads; auto lets the runtime choose.")
        self.io_binding = QCheckBox("Bind inputs once")
        self.io_binding.setToolTip("ONNX Runtime IO binding: inputs bound once and outputs preallocated, so "
                                   "copies stay out of the measured loop.")
        self.check_outputs = QCheckBox("Compare with ORT CPU")
        self.check_outputs.setToolTip("After measuring, run once on ONNX Runtime CPU and report the largest "
                                      "difference of the outputs.")
        self.cache_dir = QLineEdit()
        self.cache_dir.setPlaceholderText("none: compile every run")
        self.cache_dir.setToolTip("Folder for the EP context / compiled-model cache (created if missing); "
                                  "the record says whether the cache was hit.")
        self.cache_browse = QPushButton("Browse…")
        self.cache_browse.setToolTip("Pick the cache folder.")
        self.cache_browse.clicked.connect(self._on_cache_browse_clicked)
        cache_row = QHBoxLayout()
        cache_row.addWidget(self.cache_dir, 1)
        cache_row.addWidget(self.cache_browse)
        self.stall_timeout = QDoubleSpinBox()
        self.stall_timeout.setRange(1.0, 7 * 24 * 3600)
        self.stall_timeout.setDecimals(0)
        self.stall_timeout.setSuffix(" s")
        self.stall_timeout.setToolTip("Stop the worker after this long without progress (a hung compile or "
                                      "inference).")
        self.quiet_check_on = QCheckBox()
        self.quiet_check_on.setToolTip("Before warm-up, wait until other processes leave the CPU quiet (below "
                                       "5% for 2 s), at most this long; the record says how long it waited "
                                       "and whether the machine settled.")
        self.quiet_check = QDoubleSpinBox()
        self.quiet_check.setRange(1.0, MAX_QUIET_CHECK_S)
        self.quiet_check.setDecimals(0)
        self.quiet_check.setPrefix("up to ")
        self.quiet_check.setSuffix(" s")
        self.quiet_check.setToolTip(self.quiet_check_on.toolTip())
        quiet_row = QHBoxLayout()
        quiet_row.addWidget(self.quiet_check_on)
        quiet_row.addWidget(self.quiet_check, 1)
        form = QFormLayout(self.advanced)
        form.setContentsMargins(12, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(f"{labels['until_steady']}:", steady_row)
        form.addRow(f"{labels['seed']}:", self.seed)
        form.addRow(f"{labels['threads']}:", self.threads)
        form.addRow(f"{labels['io_binding']}:", self.io_binding)
        form.addRow(f"{labels['check_outputs']}:", self.check_outputs)
        form.addRow(f"{labels['cache_dir']}:", cache_row)
        form.addRow(f"{labels['stall_timeout_s']}:", self.stall_timeout)
        form.addRow(f"{labels['quiet_check_s']}:", quiet_row)
        self._widgets = {"warmup": self.warmup, "iterations": self.iterations, "duration_s": self.duration,
                         "by_duration": self.by_time, "until_steady": self.until_steady, "seed": self.seed,
                         "ep_options": self.extra, "strict": self.strict, "threads": self.threads,
                         "io_binding": self.io_binding, "check_outputs": self.check_outputs,
                         "cache_dir": self.cache_dir, "stall_timeout_s": self.stall_timeout,
                         "quiet_check_s": self.quiet_check, "op_profile": self.op_profile, "mode": self.mode,
                         "requests": self.requests}

    # -- the Advanced section --------------------------------------------
    def set_advanced_open(self, open_: bool) -> None:
        open_ = bool(open_)
        if self.advanced_button.isChecked() != open_:
            self.advanced_button.setChecked(open_)  # toggled calls back here
            return
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.advanced.setVisible(open_)

    def advanced_open(self) -> bool:
        return self.advanced_button.isChecked()

    def _on_cache_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Cache folder", self.cache_dir.text().strip())
        if folder:
            self.cache_dir.setText(folder)

    # -- a generative model ----------------------------------------------
    def set_generative(self, active: bool) -> None:
        """A generative model is open: the Generation group replaces warm-up, iterations and duration (it
        counts generations), and the options such a run does not take are greyed out, saying why."""
        self._generative = active
        self.genai_box.setVisible(active)
        for row in (self.warmup, self.requests, self._count_row, self._time_row):
            self._form.setRowVisible(row, not active)
        companions = {"until_steady": (self.until_steady_on,), "quiet_check_s": (self.quiet_check_on,),
                      "cache_dir": (self.cache_browse,)}
        hidden = {"warmup", "iterations", "duration_s", "by_duration", "requests"}
        for option, reason in not_for_genai().items():
            if option in self._widgets and option not in hidden:
                for w in (self._widgets[option], *companions.get(option, ())):
                    grey_out(w, reason if active else None, self._own_tips)
        self._update_enabled()

    def generative(self) -> bool:
        return self._generative

    # -- targets ---------------------------------------------------------
    @property
    def targets(self) -> list:
        return self.setup.targets

    def set_targets(self, targets: list, preferred: str | None = None) -> None:
        self.setup.set_targets(targets, preferred)

    def select_target(self, target_id: str) -> bool:
        return self.setup.select_target(target_id)

    def current_target(self):
        return self.setup.current_target()

    def ready_targets(self) -> list:
        return self.setup.ready_targets()

    def _on_state_targets_changed(self, targets: list) -> None:
        self._syncing = True
        try:
            self._model.clear()
            for t in targets:
                device = t.device_name or t.vendor or t.device_type
                item = QStandardItem(f"{t.id}  —  {device}" if t.ready else f"{t.id}  —  unavailable")
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
        finally:
            self._syncing = False
        self._on_state_target_changed(self.setup.target_id)

    def _on_state_target_changed(self, target_id: str | None) -> None:
        row = next((i for i, t in enumerate(self.setup.targets) if t.id == target_id), -1)
        self._syncing = True
        try:
            self.target_combo.setCurrentIndex(row)
        finally:
            self._syncing = False
        t = self.setup.current_target()
        self._show_ep_rows(t)
        if t is None:
            self.target_info.setText("No target can run here." if self.setup.targets else "Looking for accelerators…")
            return
        versions = " / ".join(v for v in (t.runtime_version, t.ep_version) if v)
        self.target_info.setText(f"{t.provider} · {t.device_type}" + (f" · {versions}" if versions else "")
                                 + (f"\n{t.reason}" if t.reason else ""))
        self.target_combo.setToolTip(self._model.item(row).toolTip())

    def _on_target_combo_changed(self, row: int) -> None:
        if self._syncing or not 0 <= row < len(self.setup.targets):
            return
        if not self.setup.select_target(self.setup.targets[row].id):
            self._on_state_target_changed(self.setup.target_id)  # not a ready one: back to the picked target

    def _show_ep_rows(self, t) -> None:
        qnn, ov = is_qnn(t), is_openvino(t)
        self.ep_form.setRowVisible(self.qnn_mode, qnn)
        self.ep_form.setRowVisible(self.ov_hint, ov)
        self.ep_form.setRowVisible(self.ov_precision, ov)

    # -- widgets <-> state -----------------------------------------------
    def _push(self, *_args) -> None:
        """A widget changed: the options as the widgets show them go to the state."""
        if self._syncing:
            return
        self._update_enabled()
        self.setup.set_options(self.options())

    def options(self) -> RunOptions:
        """The options the widgets show (EP options and the model's dims/inputs come from the state)."""
        return self.setup.options.copy(
            warmup=self.warmup.value(), iterations=self.iterations.value(), duration_s=float(self.duration.value()),
            by_duration=self.by_time.isChecked(),
            until_steady=self.until_steady.value() / 100 if self.until_steady_on.isChecked() else None,
            seed=self.seed.value(), threads=self.threads.value() or None, strict=self.strict.isChecked(),
            io_binding=self.io_binding.isChecked(), check_outputs=self.check_outputs.isChecked(),
            cache_dir=self.cache_dir.text().strip() or None, stall_timeout_s=float(self.stall_timeout.value()),
            quiet_check_s=float(self.quiet_check.value()) if self.quiet_check_on.isChecked() else None,
            op_profile=self.op_profile.isChecked(),
            mode=self._mode(), requests=(self.requests.value() or None) if self._mode() is RunMode.THROUGHPUT else None)

    def _mode(self) -> RunMode:
        return RunMode(self.mode.currentData())  # Qt hands the str-based enum back as a plain str

    def _on_extra_edited(self, text: str) -> None:
        if not self._syncing:
            self.setup.set_ep_text(text)

    def _push_presets(self, *_args) -> None:
        if self._syncing:
            return
        precision = self.ov_precision.currentText()
        self.setup.set_presets(EpPresets(htp_performance_mode=self.qnn_mode.currentText(),
                                         performance_hint=self.ov_hint.currentText(),
                                         inference_precision=None if precision == DEVICE_DEFAULT else precision))

    def _on_state_options_changed(self, o: RunOptions) -> None:
        self._syncing = True
        try:
            self.warmup.setValue(o.warmup)
            self.iterations.setValue(o.iterations)
            self.duration.setValue(o.duration_s)
            (self.by_time if o.by_duration else self.by_count).setChecked(True)
            self.until_steady_on.setChecked(o.until_steady is not None)
            self.until_steady.setValue(100 * (o.until_steady if o.until_steady is not None else UNTIL_STEADY_DEFAULT))
            self.seed.setValue(o.seed)
            self.threads.setValue(o.threads or 0)
            self.strict.setChecked(o.strict)
            self.op_profile.setChecked(o.op_profile)
            self.io_binding.setChecked(o.io_binding)
            self.check_outputs.setChecked(o.check_outputs)
            self.stall_timeout.setValue(o.stall_timeout_s)
            self.quiet_check_on.setChecked(o.quiet_check_s is not None)
            self.quiet_check.setValue(o.quiet_check_s if o.quiet_check_s is not None else QUIET_CHECK_DEFAULT_S)
            self.mode.setCurrentIndex(list(RunMode).index(o.mode))
            self.requests.setValue(o.requests or 0)
            if (self.cache_dir.text().strip() or None) != o.cache_dir:
                self.cache_dir.setText(o.cache_dir or "")
            if self.extra.text() != self.setup.ep_text:
                self.extra.setText(self.setup.ep_text)
        finally:
            self._syncing = False
        self._update_enabled()

    def _on_state_presets_changed(self, p: EpPresets) -> None:
        self._syncing = True
        try:
            self.qnn_mode.setCurrentText(p.htp_performance_mode)
            self.ov_hint.setCurrentText(p.performance_hint)
            self.ov_precision.setCurrentText(p.inference_precision or DEVICE_DEFAULT)
        finally:
            self._syncing = False

    def _on_state_problems_changed(self, problems: list) -> None:
        if not problems:
            self.problem.setVisible(False)
            return
        first = problems[0]
        self.problem.show_problem(first.message, first.hint)
        if self._widgets.get(first.option) in self._advanced_widgets():
            self.set_advanced_open(True)  # never hide the field that needs fixing

    def _advanced_widgets(self) -> set:
        return {self.until_steady, self.seed, self.threads, self.io_binding, self.check_outputs, self.cache_dir,
                self.stall_timeout, self.quiet_check}

    def _update_enabled(self) -> None:
        self.iterations.setEnabled(self.by_count.isChecked())
        self.duration.setEnabled(self.by_time.isChecked())
        self.until_steady.setEnabled(self.until_steady_on.isChecked() and not self._generative)
        self.quiet_check.setEnabled(self.quiet_check_on.isChecked() and not self._generative)
        throughput = self._mode() is RunMode.THROUGHPUT
        self.requests.setEnabled(throughput)
        self.ov_hint.setEnabled(not throughput)
        self.ov_hint.setToolTip("In throughput mode the mode sets PERFORMANCE_HINT=THROUGHPUT." if throughput else
                                "OpenVINO PERFORMANCE_HINT: LATENCY (one request) or THROUGHPUT (streams).")

    def restyle(self) -> None:
        self.problem.restyle()
        self.genai_box.problem.restyle()
