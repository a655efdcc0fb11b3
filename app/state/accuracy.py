"""AccuracySetupState: the Accuracy panel's form, the same choices as `aipcprof eval` (docs/accuracy.md).

The data folder, the labels file, the task, the image recipe and the
bad-sample policy, held as typed; `eval_spec()` turns them into the
app.run.eval_spec.EvalSpec the CLI builds, so both run the same eval path
(app.run.eval_setup.eval_run_spec in a job thread, then the worker). Bad
input is one line, the one the CLI prints (`problem`); the eval in flight
reports its progress here (`progress`) for the panel to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from app.common.errors import UserError
from app.record.accuracy_schema import Task
from app.run.detection_metrics import DetectionLayout
from app.run.eval_spec import BAD_SAMPLE_POLICIES, EvalSpec
from app.state.events import Event

TASK_TEXT = {Task.CLASSIFICATION: "Classification (top-1 / top-5)", Task.DETECTION: "Detection (COCO mAP)",
             Task.BINARY: "Binary (precision, recall, F1, ROC-AUC)",
             Task.MULTILABEL: "Multi-label (F1 per label, micro / macro)",
             Task.AGREEMENT: "Agreement with the reference target (no labels)"}
IMAGENET_RECIPE = ("resize=256,crop=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=NCHW,color=RGB,"
                   "scale=1/255")
LABEL_SUFFIXES = (".csv", ".json")
OPTIONS = {"output": str, "threshold": float, "reference": str, "detection_layout": lambda v: DetectionLayout(v).value,
           "score_threshold": float, "nms_iou": float}  # the task's options, and how a setting's text is read


class AccuracySetupState:
    def __init__(self) -> None:
        e = EvalSpec()
        self.data = ""  # the data folder
        self.labels = ""  # a .csv of file,label or a COCO .json; "" = none (folder per class, or agreement)
        self.task = Task(e.task)
        self.preprocess = ""  # the image recipe as typed ("" for .npy/.npz data)
        self.on_bad_sample = e.on_bad_sample
        # the task's own options (the CLI's --output, --threshold, --reference, --detection-layout,
        # --score-threshold, --nms-iou), with the CLI's defaults
        self.output = ""  # the output scored; "" = the first
        self.threshold = e.threshold  # binary / multilabel
        self.reference = e.reference  # agreement
        self.detection_layout = e.detection_layout
        self.score_threshold = e.score_threshold
        self.nms_iou = e.nms_iou or 0.0  # 0 = keep the model's boxes (no NMS), as --nms-iou 0
        self.problem = ""  # the last bad input, one line as the CLI prints it; "" = none
        self.progress = ""  # the eval in flight: "ort/cpu (1 of 2): Measuring… 120 / 360"; "" = idle
        self.results: list = []  # the records (RunRecord) of the last Evaluate, one per target, oldest first
        self.changed: Event[[]] = Event("accuracy.changed")  # a field of the form changed
        self.problem_changed: Event[[str]] = Event("accuracy.problem_changed")
        self.progress_changed: Event[[str]] = Event("accuracy.progress_changed")
        self.results_changed: Event[[list]] = Event("accuracy.results_changed")

    # -- the form --------------------------------------------------------
    def set_data(self, folder: str) -> None:
        self._set(data=str(folder).strip())

    def set_labels(self, path: str) -> None:
        self._set(labels=str(path).strip())

    def set_task(self, task: Task | str) -> None:
        self._set(task=Task(task))

    def set_preprocess(self, recipe: str) -> None:
        self._set(preprocess=recipe.strip())

    def set_on_bad_sample(self, policy: str) -> None:
        if policy not in BAD_SAMPLE_POLICIES:
            raise ValueError(policy)
        self._set(on_bad_sample=policy)

    def set_options(self, **options) -> None:
        """The task's options by name: output, threshold, reference, detection_layout, score_threshold, nms_iou."""
        unknown = set(options) - set(OPTIONS)
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        self._set(**{k: OPTIONS[k](v) for k, v in options.items()})

    def _set(self, **values) -> None:
        if all(getattr(self, k) == v for k, v in values.items()):
            return
        for k, v in values.items():
            setattr(self, k, v)
        self.report("")  # the form changed: the last complaint may no longer hold
        self.changed.emit()

    def drop(self, paths: list[str]) -> bool:
        """Paths dropped on the panel: a folder is the data, a .csv / .json the labels (a COCO .json makes a
        classification a detection: only detection reads COCO). False, with the problem said, for anything else."""
        used = False
        for p in paths:
            path = Path(p)
            if path.is_dir():
                self.set_data(str(path))
                used = True
            elif path.suffix.lower() in LABEL_SUFFIXES and path.is_file():
                if path.suffix.lower() == ".json" and self.task is Task.CLASSIFICATION:
                    self.set_task(Task.DETECTION)
                self.set_labels(str(path))
                used = True
        if not used:
            names = ", ".join(Path(p).name for p in paths[:3]) or "nothing"
            self.report(f"{names}: drop a data folder, a .csv of file,label or a COCO .json here.")
        return used

    def eval_spec(self) -> EvalSpec:
        """The EvalSpec of the form (as `aipcprof eval` builds it); UserError when no data folder is chosen."""
        if not self.data:
            raise UserError("--data: no data folder chosen.",
                            hint="Pick a folder of samples (.npy, .npz or images), or drop one on the Accuracy panel.")
        return EvalSpec(task=self.task.value, data=self.data, labels=self.labels or None,
                        preprocess=self.preprocess or None, on_bad_sample=self.on_bad_sample,
                        output=self.output or None, threshold=self.threshold, reference=self.reference,
                        detection_layout=self.detection_layout, score_threshold=self.score_threshold,
                        nms_iou=self.nms_iou or None)

    # -- messages --------------------------------------------------------
    def report(self, problem: str) -> None:
        """Bad input as one line ("" clears it)."""
        if problem != self.problem:
            self.problem = problem
            self.problem_changed.emit(problem)

    def set_progress(self, text: str) -> None:
        if text != self.progress:
            self.progress = text
            self.progress_changed.emit(text)

    def clear_results(self) -> None:
        """A new Evaluate began: the last one's results go."""
        if self.results:
            self.results = []
            self.results_changed.emit(self.results)

    def add_result(self, record) -> None:
        """One target's eval ended (any status: a stopped or failed one is listed as such, not scored)."""
        self.results = [*self.results, record]
        self.results_changed.emit(self.results)

    # -- settings (QSettings-style: values may come back as strings) ------
    def to_settings(self) -> dict[str, object]:
        return {"data": self.data, "labels": self.labels, "task": self.task.value, "preprocess": self.preprocess,
                "on_bad_sample": self.on_bad_sample, **{k: getattr(self, k) for k in OPTIONS}}

    def restore_settings(self, values: Mapping[str, object]) -> None:
        """What to_settings saved; an unknown task or policy keeps the default."""
        task = str(values.get("task") or self.task.value)
        policy = str(values.get("on_bad_sample") or self.on_bad_sample)
        self._set(data=str(values.get("data") or ""), labels=str(values.get("labels") or ""),
                  preprocess=str(values.get("preprocess") or ""),
                  task=Task(task) if task in {t.value for t in Task} else self.task,
                  on_bad_sample=policy if policy in BAD_SAMPLE_POLICIES else self.on_bad_sample)
        options = {}
        for key, kind in OPTIONS.items():
            try:
                if values.get(key) not in (None, ""):
                    options[key] = kind(values[key])
            except (TypeError, ValueError):
                pass  # a corrupt value keeps the default; the others still apply
        self.set_options(**options)
