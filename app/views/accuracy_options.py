"""The Accuracy panel's task options: the output scored and what each task takes (the CLI's eval options).

Output (`--output`, any task); Threshold (`--threshold`, binary and multi-label);
Reference (`--reference`, agreement: a ready target); Box layout, Min score and
NMS IoU (`--detection-layout`, `--score-threshold`, `--nms-iou`; 0 keeps the
model's boxes). Only the rows of the chosen task are shown; the values live in
app.state.accuracy.AccuracySetupState with the CLI's defaults.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLineEdit, QWidget

from app.record.accuracy_schema import Task
from app.run.detection_metrics import DetectionLayout
from app.state.accuracy import AccuracySetupState

LAYOUT_TEXT = {DetectionLayout.CXCYWH_OBJ: "cx cy w h, objectness, classes (YOLOv5)",
               DetectionLayout.CXCYWH: "cx cy w h, classes (YOLOv8)",
               DetectionLayout.BOXES_SCORES_CLASSES: "boxes, scores, classes (3 outputs)"}


def _spin(decimals: int, step: float, tip_text: str) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(0.0, 1.0)
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setToolTip(tip_text)
    return s


class TaskOptions:
    """The widgets, added to the panel's form; `sync()` writes the state into them, edits go to the state."""

    def __init__(self, state: AccuracySetupState, form: QFormLayout, write) -> None:
        """write(setter, value): the panel's guarded write (nothing is written back while it syncs)."""
        self.state, self.form = state, form
        self.output = QLineEdit()
        self.output.setPlaceholderText("the first output")
        self.output.setToolTip("The output scored (--output); every output for the agreement task.")
        self.threshold = _spin(3, 0.05, "Binary / multi-label: a score at or above it counts as positive "
                                        "(--threshold).")
        self.reference = QComboBox()
        self.reference.setToolTip("Agreement: the same model on this target is the reference (--reference).")
        self.layout = QComboBox()
        for layout in DetectionLayout:
            self.layout.addItem(LAYOUT_TEXT[layout], layout.value)
        self.layout.setToolTip("How the detector's outputs hold boxes (--detection-layout).")
        self.score = _spin(4, 0.001, "Detection: boxes below this score are dropped before NMS (--score-threshold).")
        self.nms = _spin(2, 0.05, "Detection: per-class NMS IoU (--nms-iou); none keeps the model's boxes.")
        self.nms.setSpecialValueText("none (the model's boxes)")
        for combo in (self.reference, self.layout):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(18)
        self.rows: dict[QWidget, tuple[Task, ...]] = {
            self.output: tuple(Task), self.threshold: (Task.BINARY, Task.MULTILABEL),
            self.reference: (Task.AGREEMENT,), self.layout: (Task.DETECTION,), self.score: (Task.DETECTION,),
            self.nms: (Task.DETECTION,)}
        for label, widget in (("Output:", self.output), ("Threshold:", self.threshold),
                              ("Reference:", self.reference), ("Box layout:", self.layout),
                              ("Min score:", self.score), ("NMS IoU:", self.nms)):
            form.addRow(label, widget)
        s = state
        self.output.textChanged.connect(lambda text: write(lambda v: s.set_options(output=v.strip()), text))
        self.threshold.valueChanged.connect(lambda v: write(lambda x: s.set_options(threshold=x), v))
        self.reference.currentIndexChanged.connect(
            lambda _i: self.reference.currentText() and write(lambda x: s.set_options(reference=x),
                                                              self.reference.currentText()))
        self.layout.currentIndexChanged.connect(
            lambda _i: write(lambda x: s.set_options(detection_layout=x), self.layout.currentData()))
        self.score.valueChanged.connect(lambda v: write(lambda x: s.set_options(score_threshold=x), v))
        self.nms.valueChanged.connect(lambda v: write(lambda x: s.set_options(nms_iou=x), v))

    def widgets(self) -> list[QWidget]:
        return list(self.rows)

    def set_targets(self, ids: list[str]) -> None:
        """The ready targets the agreement task may take as its reference (the state's choice stays listed)."""
        ids = list(dict.fromkeys([*ids, self.state.reference]))
        self.reference.blockSignals(True)
        self.reference.clear()
        self.reference.addItems(ids)
        self.reference.setCurrentIndex(ids.index(self.state.reference))
        self.reference.blockSignals(False)

    def sync(self) -> None:
        """The state into the widgets (the caller blocks the writes), and only the chosen task's rows shown."""
        s = self.state
        if self.output.text().strip() != s.output:
            self.output.setText(s.output)
        self.threshold.setValue(s.threshold)
        if self.reference.findText(s.reference) < 0:
            self.reference.addItem(s.reference)
        self.reference.setCurrentIndex(self.reference.findText(s.reference))
        self.layout.setCurrentIndex(self.layout.findData(s.detection_layout))
        self.score.setValue(s.score_threshold)
        self.nms.setValue(s.nms_iou)
        for widget, tasks in self.rows.items():
            self.form.setRowVisible(widget, s.task in tasks)
