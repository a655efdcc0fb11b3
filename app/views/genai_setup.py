"""GenAISetupBox: Run setup's "Generation" group, shown while a generative model is open (docs/genai.md).

Prompt lengths, generated tokens, an optional prompt file (Browse, or drop a text file on the group),
warm-up and measured generations per prompt length: `aipcprof run MODEL_DIR`'s --prompt-tokens,
--gen-tokens, --prompt-file, --warmup and --iterations, with their defaults and checks
(app.state.genai_setup over app.run.genai_spec). A bad value is the CLI's own line under the group.
`not_for_genai()` says why each of the other run options is greyed out for such a model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.run.genai_spec import NOT_FOR_GENAI
from app.state.genai_setup import GenAIForm, GenAISetupState
from app.views.banner import InlineError
from app.views.drops import accept_local_files, local_files

PER_LENGTH = " per prompt length"
NO_FILE = "none: a fixed English passage"


def not_for_genai() -> dict[str, str]:
    """RunOptions field -> why it is greyed out while a generative model is open (the CLI's words)."""
    after = "\nA generative run is set by the Generation group."
    reasons = {name: f"{flag}: does not apply to a generative model folder.{after}" for name, flag in NOT_FOR_GENAI}
    reasons["mode"] = ("--mode throughput: does not apply to a generative model folder (one generation at a "
                       f"time).{after}")
    reasons["check_outputs"] = ("Output check: does not apply to a generative model folder (it generates text; "
                                f"there is no reference output to compare).{after}")
    return reasons


def grey_out(w: QWidget, reason: str | None, own_tips: dict[QWidget, str]) -> None:
    """Grey `w` out with `reason` as its tooltip, or (None) enable it with its own tooltip back."""
    if reason is not None:
        own_tips.setdefault(w, w.toolTip())
        w.setToolTip(reason)
    elif w in own_tips:
        w.setToolTip(own_tips.pop(w))
    w.setEnabled(reason is None)


class GenAISetupBox(QGroupBox):
    def __init__(self, state: GenAISetupState, parent: QWidget | None = None) -> None:
        super().__init__("Generation", parent)
        self.state = state
        self._syncing = False
        self.prompt_tokens = QLineEdit()
        self.prompt_tokens.setPlaceholderText("128,512")
        self.prompt_tokens.setToolTip("Prompt lengths in tokens, separated by commas (--prompt-tokens): one "
                                      "set of generations per length. Prompts are built with the model's own "
                                      "tokenizer, so the lengths are exact.")
        self.gen_tokens = QSpinBox()
        self.gen_tokens.setRange(2, 1_000_000)
        self.gen_tokens.setToolTip("Tokens each generation makes (--gen-tokens): the first token, then decode "
                                   "steps. Prompt + generated tokens must fit the model's context.")
        self.prompt_file = QLineEdit()
        self.prompt_file.setPlaceholderText(NO_FILE)
        self.prompt_file.setToolTip("A UTF-8 text file whose text is cut or repeated to each prompt length "
                                    "(--prompt-file). Empty: a fixed English passage. Drop a file here too.")
        self.browse = QPushButton("Browse…")
        self.browse.setToolTip("Pick the prompt's text file.")
        self.browse.clicked.connect(self._on_browse_clicked)
        self.warmup = QSpinBox()
        self.warmup.setRange(0, 10_000)
        self.warmup.setSuffix(PER_LENGTH)
        self.warmup.setToolTip("Generations run before the measured ones at each prompt length (--warmup); "
                               "not counted.")
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 100_000)
        self.iterations.setSuffix(PER_LENGTH)
        self.iterations.setToolTip("Measured generations at each prompt length (--iterations): TTFT and prefill "
                                   "are their medians, decode percentiles cover all their steps.")
        self.context = QLabel()
        self.context.setTextFormat(Qt.TextFormat.PlainText)
        self.context.setEnabled(False)  # muted: a fact, not a field
        self.context.setWordWrap(True)
        self.problem = InlineError()  # the first bad value: the CLI's line

        file_row = QHBoxLayout()
        file_row.addWidget(self.prompt_file, 1)
        file_row.addWidget(self.browse)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Prompt lengths:", self.prompt_tokens)
        form.addRow("Generated tokens:", self.gen_tokens)
        form.addRow("Prompt file:", file_row)
        form.addRow("Warm-up:", self.warmup)
        form.addRow("Generations:", self.iterations)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.context)
        lay.addWidget(self.problem)
        self.setAcceptDrops(True)

        self.prompt_tokens.textChanged.connect(self._push)
        self.prompt_file.textChanged.connect(self._push)
        for spin in (self.gen_tokens, self.warmup, self.iterations):
            spin.valueChanged.connect(self._push)
        state.form_changed.connect(self._on_form_changed)
        state.problem_changed.connect(self._on_problem_changed)
        state.card_changed.connect(self._on_card_changed)
        self._on_form_changed(state.form)
        self._on_problem_changed(state.problem)
        self._on_card_changed(state.card)

    def form(self) -> GenAIForm:
        """The group as the widgets show it."""
        return GenAIForm(prompt_tokens=self.prompt_tokens.text(), gen_tokens=self.gen_tokens.value(),
                         prompt_file=self.prompt_file.text().strip(), warmup=self.warmup.value(),
                         iterations=self.iterations.value())

    def _push(self, *_args) -> None:
        if not self._syncing:
            self.state.set_form(self.form())

    def _on_form_changed(self, f: GenAIForm) -> None:
        self._syncing = True
        try:
            if self.prompt_tokens.text() != f.prompt_tokens:
                self.prompt_tokens.setText(f.prompt_tokens)
            if self.prompt_file.text().strip() != f.prompt_file:
                self.prompt_file.setText(f.prompt_file)
            self.gen_tokens.setValue(f.gen_tokens)
            self.warmup.setValue(f.warmup)
            self.iterations.setValue(f.iterations)
        finally:
            self._syncing = False

    def _on_problem_changed(self, problem) -> None:
        if problem is None:
            self.problem.setVisible(False)
        else:
            self.problem.show_problem(problem.message, problem.hint)

    def _on_card_changed(self, card) -> None:
        n = card.context_length if card is not None else None
        self.context.setText(f"The model's context: {n} tokens (prompt + generated tokens must fit)." if n else
                             "The model's context length is not in its genai_config.json: not checked here.")

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Prompt file", self.prompt_file.text().strip(),
                                              "Text (*.txt *.md);;All files (*)")
        if path:
            self.prompt_file.setText(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        accept_local_files(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_files(event)
        if paths:
            self.prompt_file.setText(paths[0])  # a folder or a missing file: the CLI's line below
            event.acceptProposedAction()
