"""What a generative-model run asks for (RunSpec.genai_spec), and its checks.

Plain data so it crosses the process boundary; the CLI and the desktop app build it the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.common.errors import UserError

DEFAULT_PROMPT_TOKENS = (128, 512)
DEFAULT_GEN_TOKENS = 128
DEFAULT_ITERATIONS = 3  # measured generations per prompt length
DEFAULT_WARMUP = 1  # generations per prompt length before the measured ones
MAX_PROMPT_LENGTHS = 16
CONTEXT_SOURCE = "model.context_length in genai_config.json"  # where the context length was read


@dataclass
class GenAISpec:
    prompt_tokens: list[int] = field(default_factory=lambda: list(DEFAULT_PROMPT_TOKENS))
    gen_tokens: int = DEFAULT_GEN_TOKENS
    prompt_file: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GenAISpec:
        return cls(**data)

    def check(self, context_length: int | None, source: str = CONTEXT_SOURCE) -> GenAISpec:
        """UserError (one line naming the option) for lengths the model cannot take."""
        if not self.prompt_tokens:
            raise UserError("--prompt-tokens: give at least one prompt length, e.g. --prompt-tokens 128,512.")
        if len(self.prompt_tokens) > MAX_PROMPT_LENGTHS:
            raise UserError(f"--prompt-tokens: at most {MAX_PROMPT_LENGTHS} prompt lengths.")
        bad = [n for n in self.prompt_tokens if n < 1]
        if bad:
            raise UserError(f"--prompt-tokens {bad[0]}: a prompt length must be 1 token or more.")
        if self.gen_tokens < 2:
            raise UserError(f"--gen-tokens {self.gen_tokens}: must be 2 or more (the first token, then decode steps).")
        if context_length:
            check_context(max(self.prompt_tokens), self.gen_tokens, context_length, source)
        return self


def check_context(prompt_tokens: int, gen_tokens: int, context_length: int, source: str = CONTEXT_SOURCE) -> None:
    if prompt_tokens + gen_tokens > context_length:
        raise UserError(f"--prompt-tokens {prompt_tokens} + --gen-tokens {gen_tokens} = "
                        f"{prompt_tokens + gen_tokens} tokens is longer than the model's context "
                        f"({context_length} tokens, {source}).",
                        hint=f"Use prompt + generated tokens of at most {context_length}.")


def parse_prompt_tokens(text: str | None) -> list[int]:
    """'128,512' -> [128, 512]; UserError naming --prompt-tokens for anything else."""
    if text is None:
        return list(DEFAULT_PROMPT_TOKENS)
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(int(part))
        except ValueError:
            raise UserError(f"--prompt-tokens {text}: '{part}' is not a whole number of tokens.",
                            hint="Give lengths in tokens separated by commas, e.g. 128,512.") from None
    return sorted(set(values))


# RunOptions fields a generative run does not use, with the CLI option that sets each (the GUI greys them out)
NOT_FOR_GENAI = (("by_duration", "--duration"), ("until_steady", "--until-steady"), ("shapes", "--shape"),
                  ("dims", "--dim"), ("inputs", "--input"), ("io_binding", "--io-binding"),
                  ("op_profile", "--op-profile"), ("requests", "--requests"), ("cache_dir", "--cache-dir"),
                  ("quiet_check_s", "--quiet-check"), ("strict", "--strict"))
GENAI_RUN_OPTIONS = ("threads", "stall_timeout_s", "seed", "ep_options")  # the RunOptions a generative run takes


def build_genai_spec(model_path: str, target_id: str, options, genai: GenAISpec, *,
                     iterations: int | None = None, warmup: int | None = None):
    """The RunSpec of a generative run: `options` (RunOptions) for what both kinds share, `genai` for the rest.

    `iterations`/`warmup`: generations per prompt length (None: DEFAULT_ITERATIONS / DEFAULT_WARMUP).
    """
    from app.record.schema import RunMode
    from app.run.runspec import RunSpec
    from app.run.spec_builder import DEFAULTS

    for name, flag in NOT_FOR_GENAI:
        if getattr(options, name) != getattr(DEFAULTS, name):
            raise UserError(f"{flag}: does not apply to a generative model folder.",
                            hint="Its options: --prompt-tokens, --gen-tokens, --prompt-file, --iterations, "
                                 "--warmup, --threads, --ep-option, --timeout.")
    if options.mode is not RunMode.LATENCY:
        raise UserError("--mode throughput: does not apply to a generative model folder (one generation at a time).")
    iterations = DEFAULT_ITERATIONS if iterations is None else iterations
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    check_counts(iterations, warmup)
    spec = RunSpec(model_path=str(model_path), target_id=target_id, warmup=warmup, iterations=iterations,
                   seed=options.seed, ep_options=dict(options.ep_options), threads=options.threads,
                   check_outputs=False, stall_timeout_s=options.stall_timeout_s, genai_spec=genai.to_dict())
    return spec.validate()


def check_counts(iterations: int, warmup: int) -> None:
    """Generations per prompt length: UserError naming --iterations / --warmup."""
    if iterations < 1:
        raise UserError(f"--iterations {iterations}: must be 1 or more (generations per prompt length).")
    if warmup < 0:
        raise UserError(f"--warmup {warmup}: must be 0 or more (generations per prompt length).")


def check_prompt_file(path: str) -> None:
    """--prompt-file must name a file (its text is read, as UTF-8, by the worker)."""
    import os

    if not os.path.isfile(path):
        raise UserError(f"--prompt-file {path}: no such file.", hint="Give a UTF-8 text file.")
