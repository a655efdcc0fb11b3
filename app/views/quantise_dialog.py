"""QuantiseDialog: a quantised copy of the model on the card, made as `aipcprof quantize` makes it (docs/quantize.md).

Scheme, calibration folder (one .npy / .npz sample per file; none for
dynamic), per-channel weights and the output path (NAME.qdq.onnx beside the
model by default; the input itself is refused). Quantise runs the checks of
the command (output writable, model not already quantised, every calibration
sample's header) and app.engines.quantize.quantize in a job thread; that
runs ONNX Runtime's tools in a child process, whose progress ("calibration
samples: 12/32") comes back here through a queued signal. Cancel kills the
child (the output is only written at its very end). A problem is one line
under the form. On success: Open Quantised Model (its card shows the scheme)
and Compare Both (the float and the quantised model on the run setup's
target, then their comparison).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.fmt import fmt_ms
from app.engines.quantize import Scheme
from app.views.banner import InlineError
from app.views.jobs import JobRunner
from app.views.plain import plain, tip

SCHEME_TEXT = {Scheme.U8S8: "u8s8: uint8 activations, int8 weights (ONNX Runtime CPU, OpenVINO CPU)",
               Scheme.S8S8: "s8s8: int8 activations and weights",
               Scheme.U8U8: "u8u8: uint8 activations and weights",
               Scheme.QNN_U8U8: "qnn-u8u8: QNN HTP, 8-bit (fastest)",
               Scheme.QNN_U16U8: "qnn-u16u8: QNN HTP, 16-bit activations (more accurate)",
               Scheme.DYNAMIC: "dynamic: int8 weights, activations per inference (CPU; no calibration)"}


def default_out(model: str) -> str:
    """NAME.qdq.onnx beside the model."""
    p = Path(model)
    return str(p.with_name(f"{p.stem}.qdq.onnx"))


def _quantise(model: str, out: str, scheme: Scheme, calib: str, per_channel: bool, on_progress, stop):
    """Job thread: the command's checks, then the child process. UserError for bad input (one line)."""
    from app.common.errors import UserError
    from app.engines.quantize import check_quantizable, quantize
    from app.model.calibration import open_calibration
    from app.model.model_file import check_model_file
    from app.record.io import check_writable

    check_model_file(model)
    out_path = check_writable(out, "--out")
    specs = check_quantizable(model, out_path)
    if scheme.static and not calib:
        raise UserError(f"--scheme {scheme.value} needs calibration data: pick a folder of samples (one .npy/.npz "
                        "per file, from your real data).", hint="Or the dynamic scheme (no calibration).")
    folder = open_calibration(calib, specs) if scheme.static else None
    return quantize(model, out_path, scheme, folder, 0, per_channel, on_progress, stop=stop)


class _Relay(QObject):
    """Progress from the job thread: emitted there, delivered on the GUI thread (queued)."""

    progressed = Signal(int, int, str)


class QuantiseDialog(QDialog):
    quantised = Signal(object)  # app.engines.quantize.QuantResult
    failed = Signal(str)  # the one-line problem
    compare_requested = Signal(str, str)  # float model, quantised model
    open_requested = Signal(str)  # the quantised model

    def __init__(self, model: str, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.jobs = model, jobs
        self.result = None  # the QuantResult once done
        self._stop: threading.Event | None = None
        self.setWindowTitle("Quantise model")
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        lay.addLayout(self._build_form())
        for w in (self.note, self.problem, self.progress_label, self.progress, self.done_label):
            lay.addWidget(w)
        lay.addLayout(self._build_buttons())
        self.relay = _Relay(self)
        self._connect()
        self._set_running(False)
        self._on_form_changed()

    def _build_form(self) -> QVBoxLayout:
        head = plain(QLabel(f"A quantised copy of {Path(self.model).name}, made with ONNX Runtime's quantisation tools "
                            "(aipcprof quantize). NPUs run 8- and 16-bit QDQ models best."))
        head.setWordWrap(True)
        self.scheme = QComboBox()
        for s in Scheme:
            self.scheme.addItem(SCHEME_TEXT[s], s.value)
        self.calib = QLineEdit()
        self.calib.setPlaceholderText("folder of .npy / .npz samples from your real data")
        self.calib_button = QPushButton("Browse…")
        self.per_channel = QCheckBox("Per-channel weight scales")
        self.out = QLineEdit(default_out(self.model))
        self.out_button = QPushButton("Browse…")
        form = QFormLayout()
        form.addRow("Scheme:", self.scheme)
        form.addRow("Calibration:", self._row(self.calib, self.calib_button))
        form.addRow("", self.per_channel)
        form.addRow("Output:", self._row(self.out, self.out_button))
        lay = QVBoxLayout()
        lay.addWidget(head)
        lay.addLayout(form)
        self.note = plain(QLabel())  # "replaces the existing file"
        self.note.setEnabled(False)
        self.problem = InlineError()
        self.progress_label = plain(QLabel())
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.done_label = plain(QLabel())
        self.done_label.setWordWrap(True)
        self.done_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return lay

    def _build_buttons(self) -> QHBoxLayout:
        self.quantise_button = QPushButton("Quantise")
        self.quantise_button.setDefault(True)
        self.open_button = QPushButton("Open Quantised Model")
        self.open_button.setToolTip("Open it in the window: its card shows the scheme")
        self.compare_button = QPushButton("Compare Both")
        self.compare_button.setToolTip("Run the float model and the quantised one on the run setup's target (an eval "
                                       "of the Accuracy panel's data when a data folder is set) and compare them")
        self.close_button = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.open_button, self.compare_button, self.quantise_button, self.close_button):
            buttons.addWidget(b)
        return buttons

    def _connect(self) -> None:
        self.relay.progressed.connect(self._on_relay_progressed)
        self.scheme.currentIndexChanged.connect(self._on_form_changed)
        self.out.textChanged.connect(self._on_form_changed)
        self.calib_button.clicked.connect(self._on_calib_button_clicked)
        self.out_button.clicked.connect(self._on_out_button_clicked)
        self.quantise_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._on_close_button_clicked)
        self.open_button.clicked.connect(lambda: self.result and self.open_requested.emit(self.result.out))
        self.compare_button.clicked.connect(self._on_compare_button_clicked)

    @staticmethod
    def _row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def selected_scheme(self) -> Scheme:
        return Scheme(self.scheme.currentData())

    # -- the form --------------------------------------------------------
    def _on_form_changed(self) -> None:
        static = self.selected_scheme().static
        self.calib.setEnabled(static)
        self.calib_button.setEnabled(static)
        out = self.out.text().strip()
        same = bool(out) and Path(out).expanduser().resolve() == Path(self.model).resolve()
        made = self.result is not None and out == self.result.out  # it exists because we just wrote it
        self.note.setText("This is the model itself: pick another file (the input is never overwritten)." if same
                          else "The file exists and will be replaced." if out and not made
                          and Path(out).expanduser().is_file() else "")
        self.note.setVisible(bool(self.note.text()))
        self.quantise_button.setEnabled(bool(out) and not same and self._stop is None)

    def _on_calib_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Calibration samples", self.calib.text() or
                                                  str(Path(self.model).parent))
        if folder:
            self.calib.setText(folder)

    def _on_out_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Quantised model", self.out.text(), "ONNX models (*.onnx)")
        if path:
            self.out.setText(path)

    # -- the job ---------------------------------------------------------
    def start(self) -> None:
        """Quantise in a job thread (the child process does the work); progress and the end come back queued."""
        if self._stop is not None:
            return
        self.result = None
        self.problem.setVisible(False)
        self.done_label.setText("")
        self._stop = threading.Event()
        args = (self.model, self.out.text().strip(), self.selected_scheme(), self.calib.text().strip(),
                self.per_channel.isChecked(), self.relay.progressed.emit, self._stop)
        self._set_running(True)
        self.progress_label.setText("Starting…")
        self.jobs.submit(lambda: _quantise(*args), self._on_done, self._on_failed)

    def _set_running(self, running: bool) -> None:
        for w in (self.scheme, self.calib, self.calib_button, self.per_channel, self.out, self.out_button):
            w.setEnabled(not running)
        self.progress.setVisible(running)
        self.progress_label.setVisible(running)
        self.progress.setRange(0, 0)
        self.close_button.setText("Cancel" if running or self.result is None else "Close")
        self.open_button.setVisible(self.result is not None and not running)
        self.compare_button.setVisible(self.result is not None and not running)
        if not running:
            self._on_form_changed()
        else:
            self.quantise_button.setEnabled(False)

    def _on_relay_progressed(self, done: int, total: int, label: str) -> None:
        if self._stop is None:
            return
        self.progress_label.setText(f"{label}: {done}/{total}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_done(self, result) -> None:
        self._stop = None
        self.result = result
        nodes = (f"{result.qoperator_nodes} quantised operators" if result.format == "QOperator" else
                 f"{result.quantize_nodes} QuantizeLinear / {result.dequantize_nodes} DequantizeLinear")
        text = (f"Quantised in {fmt_ms(result.seconds, compact=True)}: {result.out} ({result.scheme}, "
                f"{result.format}: {nodes}); calibration: {result.calibration}.")
        self.done_label.setText(text)
        self.done_label.setToolTip(tip(text))
        self._set_running(False)
        self.quantised.emit(result)

    def _on_failed(self, e: BaseException) -> None:
        from app.engines.child import ChildFailed, ChildStopped
        from app.views.accuracy_controller import one_line

        self._stop = None
        self._set_running(False)
        if isinstance(e, ChildStopped):
            self.done_label.setText("Stopped: nothing was written.")
            return
        message = str(e) if isinstance(e, ChildFailed) else one_line(e)  # a crash, a hang: already one line
        self.problem.show_problem(message)
        self.failed.emit(message)

    def _on_close_button_clicked(self) -> None:
        if self._stop is not None:
            self._stop.set()  # the child is killed; _on_failed follows
            self.progress_label.setText("Stopping…")
            return
        self.close()

    def _on_compare_button_clicked(self) -> None:
        if self.result is not None:
            self.compare_requested.emit(self.model, self.result.out)
            self.close()

    def cancel(self) -> None:
        """Stop a quantisation in flight: its child is killed within 0.2 s; the output is not written."""
        if self._stop is not None:
            self._stop.set()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.cancel()  # closing mid-quantisation stops it: no child outlives the dialog
        super().closeEvent(event)
