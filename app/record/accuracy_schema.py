"""The record's `accuracy` section: how good the model's outputs are on a labelled data set.

Written by `aipcprof eval` (docs/accuracy.md). The same run's `latency`
section holds the latency of every inference of the data set, so one eval
gives speed and quality. Metrics are fractions in 0-1 (shown as % by fmt);
a metric that cannot be computed is None with the reason in `notes`, never 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.record.typed import Section


class Task(str, enum.Enum):
    """What the model's output is scored as."""

    CLASSIFICATION = "classification"  # one label per sample: top-1 / top-5
    DETECTION = "detection"  # boxes: COCO mAP
    BINARY = "binary"  # one score per sample against a 0/1 label
    MULTILABEL = "multilabel"  # one score per class, several labels per sample
    AGREEMENT = "agreement"  # no labels: the outputs against the same model on a reference target

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


@dataclass
class SkippedSample(Section):
    file: str  # relative to the data folder (or the labels file for a label problem)
    reason: str


@dataclass
class DatasetInfo(Section):
    """The data an eval read: what was used, and every sample left out with its reason."""

    folder: str = ""
    kind: str = ""  # "arrays" (.npy/.npz) | "images"
    labels: str | None = None  # the labels file, or the folder for an ImageNet-style tree; None: no labels
    label_format: str = ""  # "csv" | "folders" | "coco" | "none"
    preprocess: str | None = None  # the image recipe as given (--preprocess)
    found: int = 0  # sample files found
    samples: int = 0  # samples scored
    skipped: list[SkippedSample] = field(default_factory=list)
    on_bad_sample: str = "fail"  # "skip" | "fail"
    class_names: list[str] = field(default_factory=list)  # label index -> name, when the labels name classes

    ALWAYS = ("labels", "preprocess")


@dataclass
class Interval(Section):
    """A confidence interval of a proportion."""

    low: float | None = None
    high: float | None = None
    level: float = 0.95
    method: str = "wilson"


@dataclass
class ClassScore(Section):
    """One class of a classification: how many samples had it, how many were right."""

    label: str
    samples: int = 0
    correct: int = 0
    accuracy: float | None = None  # None when no sample had this label
    predicted: int = 0  # samples predicted as this class


@dataclass
class ConfusionPair(Section):
    true: str
    predicted: str
    count: int


@dataclass
class Confusion(Section):
    """The most frequent mistakes (true -> predicted), and the full matrix for up to MATRIX_MAX classes."""

    pairs: list[ConfusionPair] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # row/column order of `matrix`
    matrix: list[list[int]] = field(default_factory=list)  # [true][predicted]; empty above MATRIX_MAX classes

    MATRIX_MAX = 50


@dataclass
class ClassificationMetrics(Section):
    samples: int = 0
    classes: int = 0  # the output's class count
    top1: float | None = None
    top1_ci: Interval = field(default_factory=Interval)
    top5: float | None = None  # None when the output has fewer than 5 classes (see notes)
    top5_ci: Interval = field(default_factory=Interval)
    per_class: list[ClassScore] = field(default_factory=list)
    confusion: Confusion = field(default_factory=Confusion)

    ALWAYS = ("top1", "top5")


@dataclass
class DetectionMetrics(Section):
    images: int = 0
    ground_truths: int = 0
    detections: int = 0  # after score threshold and NMS
    map50: float | None = None  # COCO mAP at IoU 0.5
    map50_95: float | None = None  # COCO mAP averaged over IoU 0.50:0.05:0.95
    per_class_ap50: dict[str, float | None] = field(default_factory=dict)  # None: the class has no ground truth
    layout: str = ""  # --detection-layout
    score_threshold: float = 0.0
    nms_iou: float | None = None  # None: no NMS (the model's output is already suppressed)

    ALWAYS = ("map50", "map50_95")


@dataclass
class LabelScores(Section):
    """Precision / recall / F1 at the threshold and ROC-AUC of one label (or the binary task's only one)."""

    label: str = ""
    positives: int = 0
    negatives: int = 0
    precision: float | None = None  # None: nothing predicted positive
    recall: float | None = None  # None: no positive sample
    f1: float | None = None
    roc_auc: float | None = None  # None: only one class present among the samples

    ALWAYS = ("precision", "recall", "f1", "roc_auc")


@dataclass
class BinaryMetrics(Section):
    """The binary and multilabel tasks: `overall` is the binary label, or the micro average over labels."""

    threshold: float = 0.5
    samples: int = 0
    overall: LabelScores = field(default_factory=LabelScores)
    macro_f1: float | None = None  # multilabel: the mean F1 over labels that have one
    per_label: list[LabelScores] = field(default_factory=list)  # multilabel only


@dataclass
class OutputAgreement(Section):
    """One output of the target against the same output on the reference target, over the data set."""

    name: str
    samples: int = 0
    top1_agreement: float | None = None  # None: not a class-score output (fewer than 2 values per sample)
    mean_abs_error: float | None = None
    max_abs_error: float | None = None
    cosine_similarity: float | None = None  # over all samples' values flattened
    sqnr_db: float | None = None  # 10 log10(signal power / error power); None when identical (infinite)
    identical: bool = False

    ALWAYS = ("top1_agreement", "sqnr_db")


@dataclass
class AgreementMetrics(Section):
    reference: str = "ort/cpu"
    outputs: list[OutputAgreement] = field(default_factory=list)


@dataclass
class TensorDivergence(Section):
    """One intermediate tensor of the target against the reference on the same sample (`eval --layerwise`)."""

    tensor: str
    node: str = ""  # the node that produces it
    op: str = ""
    sqnr_db: float | None = None  # None: identical (infinite), or the reference is all zeros (see identical)
    identical: bool = False
    cosine: float | None = None  # None: a side is all zeros

    ALWAYS = ("sqnr_db", "cosine")


@dataclass
class Layerwise(Section):
    """`eval --layerwise`: every intermediate tensor on one sample against the reference (app/run/layerwise.py)."""

    sample: str  # the data-set file fed, relative to the data folder
    reference: str = "ort/cpu"  # the reference target
    reference_model: str = ""  # the reference's model ("" : the evaluated model itself)
    threshold_db: float = 20.0
    tensors: int = 0  # tensors compared, in graph order
    unmatched: int = 0  # target tensors without a counterpart of that name in the reference (Q/DQ outputs)
    first_below: TensorDivergence | None = None  # the first diverging tensor; None: every one at or above threshold
    lowest: TensorDivergence | None = None  # the tensor with the lowest SQNR

    ALWAYS = ("first_below",)


@dataclass
class Accuracy(Section):
    """`aipcprof eval`: the task, the data, and the metrics of that task (the others are None)."""

    task: Task
    dataset: DatasetInfo = field(default_factory=DatasetInfo)
    output: str = ""  # the output scored ("" for agreement: every output)
    classification: ClassificationMetrics | None = None
    detection: DetectionMetrics | None = None
    binary: BinaryMetrics | None = None  # binary and multilabel
    agreement: AgreementMetrics | None = None
    notes: list[str] = field(default_factory=list)  # why a metric is missing, what was assumed
    layerwise: Layerwise | None = None  # --layerwise: the first diverging tensor on one sample

    @property
    def headline(self) -> tuple[str, float | None]:
        """The task's main metric, for tables: ('top-1', 0.93), ('mAP@0.5:0.95', ...), ('F1', ...).

        Detection's is COCO's primary metric, mAP averaged over IoU 0.50:0.95 (mAP@0.5 is in the section)."""
        if self.classification is not None:
            return "top-1", self.classification.top1
        if self.detection is not None:
            return "mAP@0.5:0.95", self.detection.map50_95
        if self.binary is not None:
            return "F1", self.binary.overall.f1
        if self.agreement is not None and self.agreement.outputs:
            first = self.agreement.outputs[0]
            if first.top1_agreement is not None:
                return "top-1 agreement", first.top1_agreement
            return "cosine", first.cosine_similarity
        return str(self.task), None
