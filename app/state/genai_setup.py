"""GenAISetupState: the Generation settings of the next run of a generative model (docs/genai.md).

What `aipcprof run MODEL_DIR` takes as --prompt-tokens, --gen-tokens, --prompt-file, --warmup and
--iterations, kept as the user typed them (`GenAIForm`), with the defaults and every check of
app.run.genai_spec, so a bad value is the CLI's own line. `active` says a generative model is open (its
card has a typed `genai`: app.model.genai_folder.GenAICard); its context length bounds the prompt.
Nothing here imports Qt (tests/state/).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from app.common.errors import UserError
from app.model.genai_folder import GenAICard
from app.run.genai_spec import (
    CONTEXT_SOURCE,
    DEFAULT_GEN_TOKENS,
    DEFAULT_ITERATIONS,
    DEFAULT_PROMPT_TOKENS,
    DEFAULT_WARMUP,
    GenAISpec,
    check_counts,
    check_prompt_file,
    parse_prompt_tokens,
)
from app.state.events import Event


@dataclass(frozen=True)
class GenAIForm:
    """The Generation group as typed; `prompt_tokens` is the text ("128,512"), parsed as the CLI parses it."""

    prompt_tokens: str = ",".join(map(str, DEFAULT_PROMPT_TOKENS))
    gen_tokens: int = DEFAULT_GEN_TOKENS
    prompt_file: str = ""  # "": the synthetic prompt
    warmup: int = DEFAULT_WARMUP  # generations per prompt length before the measured ones
    iterations: int = DEFAULT_ITERATIONS  # measured generations per prompt length


@dataclass(frozen=True)
class GenAIChoice:
    """What a generative run is asked to do: the spec, and the generations per prompt length."""

    spec: GenAISpec
    iterations: int
    warmup: int


class GenAISetupState:
    def __init__(self) -> None:
        self.form = GenAIForm()
        self.card: GenAICard | None = None  # the open model's card (None: no generative model is open)
        self.context_source = CONTEXT_SOURCE  # where the card's context length was read: named in the error
        self.problem: UserError | None = None  # the form's first bad value, the CLI's line
        self.form_changed: Event[[GenAIForm]] = Event("genai_setup.form_changed")
        self.card_changed: Event[[object]] = Event("genai_setup.card_changed")  # GenAICard | None
        self.problem_changed: Event[[object]] = Event("genai_setup.problem_changed")  # UserError | None

    @property
    def active(self) -> bool:
        return self.card is not None

    def set_card(self, card: Mapping) -> None:
        """The model card opened (app.state.model): generative when it has a `genai` GenAICard."""
        self.card = card["genai"] if "genai" in card else None
        self.context_source = card.get("genai_context_source", CONTEXT_SOURCE)
        self.card_changed.emit(self.card)
        self._check()

    def set_form(self, form: GenAIForm) -> None:
        if form != self.form:
            self.form = form
            self.form_changed.emit(form)
        self._check()

    def update(self, **changes) -> None:
        self.set_form(replace(self.form, **changes))

    def choice(self) -> GenAIChoice:
        """The run's settings, checked as the CLI checks them (against the open model's context)."""
        f = self.form
        spec = GenAISpec(prompt_tokens=parse_prompt_tokens(f.prompt_tokens), gen_tokens=f.gen_tokens,
                         prompt_file=f.prompt_file.strip() or None)
        spec.check(self.card.context_length if self.card is not None else None, self.context_source)
        check_counts(f.iterations, f.warmup)
        if spec.prompt_file is not None:
            check_prompt_file(spec.prompt_file)
        return GenAIChoice(spec=spec, iterations=f.iterations, warmup=f.warmup)

    def _check(self) -> None:
        try:
            self.choice()
            problem = None
        except UserError as e:
            problem = e
        if (problem and (problem.message, problem.hint)) != (self.problem and (self.problem.message, self.problem.hint)):
            self.problem = problem
            self.problem_changed.emit(problem)

    # -- settings (QSettings-style: values may come back as strings) ---------
    def to_settings(self) -> dict[str, object]:
        f = self.form
        return {"genai_prompt_tokens": f.prompt_tokens, "genai_gen_tokens": f.gen_tokens,
                "genai_prompt_file": f.prompt_file, "genai_warmup": f.warmup, "genai_iterations": f.iterations}

    def restore_settings(self, values: Mapping[str, object]) -> None:
        """Settings saved by to_settings; a missing or unreadable value keeps its default."""
        d = GenAIForm()

        def number(key: str, default: int, low: int) -> int:
            try:
                value = int(str(values.get(key)))
            except ValueError:
                return default
            return value if value >= low else default

        text = values.get("genai_prompt_tokens")
        self.set_form(GenAIForm(prompt_tokens=str(text) if text else d.prompt_tokens,
                                gen_tokens=number("genai_gen_tokens", d.gen_tokens, 2),
                                prompt_file=str(values.get("genai_prompt_file") or ""),
                                warmup=number("genai_warmup", d.warmup, 0),
                                iterations=number("genai_iterations", d.iterations, 1)))
