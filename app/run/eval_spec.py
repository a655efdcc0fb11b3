"""EvalSpec: what `aipcprof eval` adds to a run (plain data: it crosses the process boundary in the RunSpec)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.record.accuracy_schema import Task
from app.run.detection_metrics import DetectionLayout

BAD_SAMPLE_POLICIES = ("skip", "fail")


@dataclass
class EvalSpec:
    task: str = Task.CLASSIFICATION.value
    data: str = ""
    labels: str | None = None
    preprocess: str | None = None
    on_bad_sample: str = "fail"
    output: str | None = None  # the output scored (default: the first)
    threshold: float = 0.5  # binary / multilabel decision threshold on the scores
    reference: str = "ort/cpu"  # agreement: the target the outputs are compared with
    detection_layout: str = DetectionLayout.CXCYWH_OBJ.value
    score_threshold: float = 0.001  # detection: boxes below this score are dropped before NMS (COCO practice)
    nms_iou: float | None = 0.65  # detection: None leaves the model's boxes as they are

    @property
    def task_enum(self) -> Task:
        return Task(self.task)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EvalSpec:
        return cls(**data)
