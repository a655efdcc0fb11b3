"""AccuracyPanel: score the model on labelled data, the same eval as `aipcprof eval` (docs/accuracy.md).

The form edits app.state.accuracy.AccuracySetupState: the data folder and the
labels file (Browse buttons, or drop a folder / .csv / .json on the panel),
the task, the image recipe and what to do with a bad sample. Evaluate runs on
the run setup's target, Evaluate on All Targets on every ready one, one after
another (app.views.accuracy_controller does both: the data set is checked in
a job thread, then read, decoded and scored in the worker process, never on
this thread). Bad input is the CLI's one line, inline under the form. The
table lists the last Evaluate's runs: the metric with its 95% interval next
to p50 and throughput; the results panel shows each run in full.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common import fmt
from app.record.accuracy_schema import Task
from app.state.accuracy import IMAGENET_RECIPE, TASK_TEXT, AccuracySetupState
from app.views.accuracy_options import TaskOptions
from app.views.banner import InlineError
from app.views.drops import accept_local_files, local_files
from app.views.plain import plain, tip
from app.views.results_accuracy import headline
from app.views.results_panel import _fill, _table

POLICY_TEXT = {"fail": "Stop at the first, naming it", "skip": "Leave it out (listed in the record)"}
RESULT_HEADERS = ["Target", "Accuracy", "p50", "Throughput"]  # the 95% interval: the tooltip, the results panel


def _row(edit: QLineEdit, *buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    for b in buttons:
        row.addWidget(b)
    return row


class AccuracyPanel(QWidget):
    evaluate_requested = Signal(bool)  # True: on every ready target, one after another
    stop_requested = Signal()

    def __init__(self, state: AccuracySetupState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else AccuracySetupState()
        self._syncing = False
        self.setAcceptDrops(True)
        box = QGroupBox("Accuracy data")
        box_lay = QVBoxLayout(box)
        box_lay.addLayout(self._build_form())
        box_lay.addWidget(self._build_actions_box())
        self.results = _table(RESULT_HEADERS)
        self.results_box = QGroupBox("Last evaluation")
        QVBoxLayout(self.results_box).addWidget(self.results)
        lay = QVBoxLayout(self)
        lay.addWidget(box)
        lay.addWidget(self.results_box)
        lay.addStretch(1)
        self._connect()
        self._on_state_changed()
        self._on_progress_changed("")
        self._on_results_changed(self.state.results)
        self.set_can_run(False, False)

    def _build_form(self) -> QVBoxLayout:
        """The intro and the form: data, labels, task (and its options), recipe, bad-sample policy."""
        intro = plain(QLabel("Score the model on your labelled data, with the latency of every inference: the "
                             "same eval as `aipcprof eval`. Drop a data folder, a labels .csv or a COCO .json here."))
        intro.setWordWrap(True)
        intro.setEnabled(False)
        self.data = QLineEdit()
        self.data.setPlaceholderText("folder of .npy / .npz samples or images")
        self.data_button = QPushButton("Browse…")
        self.labels = QLineEdit()
        self.labels.setPlaceholderText("none: one sub-folder per class (or the agreement task)")
        self.labels_button = QPushButton("Browse…")
        self.task = QComboBox()
        for t in Task:
            self.task.addItem(TASK_TEXT[t], t.value)
        self.preprocess = QLineEdit()
        self.preprocess.setPlaceholderText("images only, e.g. resize=256,crop=224,…")
        self.preprocess.setToolTip("The image recipe (--preprocess): decode, color, resize, crop, scale, mean, std, "
                                   "layout. Leave empty for .npy / .npz samples.")
        self.imagenet_button = QPushButton("ImageNet")
        self.imagenet_button.setToolTip(tip(f"ImageNet's usual recipe: {IMAGENET_RECIPE}"))
        self.policy = QComboBox()
        for key, text in POLICY_TEXT.items():
            self.policy.addItem(text, key)
        self.policy.setToolTip("A sample that cannot be used (unreadable, wrong shape, no label): never used silently.")
        for edit in (self.data, self.labels, self.preprocess):
            edit.setAcceptDrops(False)  # a dropped folder or file goes to the panel, never into the text
        for combo in (self.task, self.policy):  # long entries elide: the panel never needs sideways scrolling
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(18)
        form = QFormLayout()
        form.addRow("Data folder:", _row(self.data, self.data_button))
        form.addRow("Labels:", _row(self.labels, self.labels_button))
        form.addRow("Task:", self.task)
        self.options = TaskOptions(self.state, form, self._write)  # the chosen task's own rows
        form.addRow("Image recipe:", _row(self.preprocess, self.imagenet_button))
        form.addRow("Bad sample:", self.policy)
        lay = QVBoxLayout()
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(intro)
        lay.addLayout(form)
        return lay

    def _build_actions_box(self) -> QWidget:
        """The inline problem, Evaluate / Evaluate on All Targets / Stop, and the progress."""
        self.problem = InlineError()
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip("Run the data set on the run setup's target (one inference at a time)")
        self.evaluate_all_button = QPushButton("Evaluate on All Targets")
        self.evaluate_all_button.setToolTip("The same data set on every ready target, one after another")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the eval (its latencies are kept; a stopped eval is not scored)")
        buttons = QHBoxLayout()
        for b in (self.evaluate_button, self.evaluate_all_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.progress_label = plain(QLabel())
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(8)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        for part in (self.problem, buttons, self.progress_label, self.progress_bar):
            lay.addLayout(part) if isinstance(part, QHBoxLayout) else lay.addWidget(part)
        return w

    def _connect(self) -> None:
        s = self.state
        self.data.textChanged.connect(lambda text: self._write(s.set_data, text))
        self.labels.textChanged.connect(lambda text: self._write(s.set_labels, text))
        self.preprocess.textChanged.connect(lambda text: self._write(s.set_preprocess, text))
        self.task.currentIndexChanged.connect(lambda _i: self._write(s.set_task, self.task.currentData()))
        self.policy.currentIndexChanged.connect(lambda _i: self._write(s.set_on_bad_sample, self.policy.currentData()))
        self.imagenet_button.clicked.connect(lambda: self.preprocess.setText(IMAGENET_RECIPE))
        self.data_button.clicked.connect(self._on_data_button_clicked)
        self.labels_button.clicked.connect(self._on_labels_button_clicked)
        self.evaluate_button.clicked.connect(lambda: self.evaluate_requested.emit(False))
        self.evaluate_all_button.clicked.connect(lambda: self.evaluate_requested.emit(True))
        self.stop_button.clicked.connect(self.stop_requested)
        s.changed.connect(self._on_state_changed)
        s.problem_changed.connect(self._on_problem_changed)
        s.progress_changed.connect(self._on_progress_changed)
        s.results_changed.connect(self._on_results_changed)

    def _write(self, setter, value) -> None:
        if not self._syncing:
            setter(value)

    # -- the state, shown ------------------------------------------------
    def _on_state_changed(self) -> None:
        s = self.state
        self._syncing = True
        try:
            for edit, value in ((self.data, s.data), (self.labels, s.labels), (self.preprocess, s.preprocess)):
                if edit.text() != value:
                    edit.setText(value)
                edit.setToolTip(tip(value) if value and edit is not self.preprocess else edit.toolTip())
            self.task.setCurrentIndex(self.task.findData(s.task.value))
            self.policy.setCurrentIndex(self.policy.findData(s.on_bad_sample))
            self.options.sync()
        finally:
            self._syncing = False

    def _on_problem_changed(self, problem: str) -> None:
        if problem:
            self.problem.show_problem(problem)
        else:
            self.problem.setVisible(False)

    def _on_progress_changed(self, text: str) -> None:
        self.progress_label.setText(text)
        self.progress_label.setVisible(bool(text))
        self.progress_bar.setVisible(bool(text))

    def set_percent(self, pct: int) -> None:
        """The measured loop's share done (-1: busy, no count: reading the model, compiling, warming up)."""
        if pct < 0:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(pct)

    def _on_results_changed(self, records: list) -> None:
        rows, tips = [], []
        for r in records:
            metric, value, ci = headline(r)
            lat = r.latency
            rows.append((r.target_id or "?", f"{metric} {value}".strip(), fmt.fmt_ms(lat.p50, compact=True),
                         fmt.fmt_rate(lat.throughput_per_s)))
            tips.append(f"{r.target_id}: {metric} {value}" + (f", 95% CI {ci}" if ci else "")
                        + f"; {lat.count:,} inferences" if r.accuracy else "")
        _fill(self.results, rows, tips)
        self.results_box.setVisible(bool(rows))

    def set_can_run(self, can_run: bool, busy: bool, can_run_all: bool | None = None) -> None:
        """Evaluate needs a model and a target and nothing running; Stop works while an eval is in flight."""
        self.evaluate_button.setEnabled(can_run and not busy)
        self.evaluate_all_button.setEnabled((can_run if can_run_all is None else can_run_all) and not busy)
        self.stop_button.setEnabled(busy)
        for w in (self.data, self.data_button, self.labels, self.labels_button, self.task, self.preprocess,
                  self.imagenet_button, self.policy, *self.options.widgets()):
            w.setEnabled(not busy)

    # -- files -----------------------------------------------------------
    def _on_data_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.state.data)
        if folder:
            self.state.set_data(folder)

    def _on_labels_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labels", self.state.labels or self.state.data,
                                              "Labels (*.csv *.json);;All files (*)")
        if path:
            self.state.drop([path])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        accept_local_files(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """A folder is the data, a .csv / .json the labels; the window's own drop (open a model) is not asked."""
        files = local_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.state.drop(files)

    def show_problem_text(self) -> str:
        return "" if self.problem.isHidden() else self.problem.text()
