"""User-facing errors, error kinds and exit statuses.

Anything the user can cause (a bad model file, a wrong option, an unwritable
path) raises `UserError`; the CLI prints it and exits with `ExitStatus.USER_ERROR`,
the GUI shows it in the window. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class ExitStatus(IntEnum):
    """The CLI's exit codes (documented in the README)."""

    OK = 0
    RUN_FAILED = 1  # the run started but failed (crash, timeout, runtime error); the record is kept
    USER_ERROR = 2  # bad input: option, model file, output path; nothing was written
    CANCELLED = 130  # Ctrl-C / Stop: the partial record is kept
    TERMINATED = 143  # SIGTERM (128 + 15, what shells report for it): stopped like Ctrl-C, the partial record is kept


class ErrorKind(str, Enum):
    """Why a run failed: stored in the record's `error.kind`, matched by the CLI and the GUI."""

    USER = "UserError"  # a user-fixable problem not covered below
    MODEL = "ModelError"  # the model file is missing, malformed or unsafe
    TARGET = "TargetError"  # the target does not exist or cannot run this model
    INPUT_SPEC = "InputSpecError"  # a --shape/--dim/--input is wrong or a dim is unresolved
    OUT_OF_MEMORY = "MemoryError"  # the worker ran out of memory
    WORKER_CRASHED = "WorkerCrashed"  # the worker died (signal, exit code): a runtime/driver crash
    TIMEOUT = "Timeout"  # no progress within the stall timeout; the worker was stopped
    INTERNAL = "internal"  # a bug or an unexpected runtime failure; `detail` keeps the last traceback line

    @property
    def is_bad_input(self) -> bool:
        """The user's input was wrong: the CLI prints one line, exits 2 and writes nothing."""
        return self in (ErrorKind.USER, ErrorKind.MODEL, ErrorKind.TARGET, ErrorKind.INPUT_SPEC)

    @classmethod
    def parse(cls, text: str) -> ErrorKind:
        """Read a stored kind; records before schema 2 wrote "internal:<traceback line>"."""
        if text.startswith("internal"):
            return cls.INTERNAL
        try:
            return cls(text)
        except ValueError:
            return cls.INTERNAL

    @classmethod
    def of(cls, error: BaseException) -> ErrorKind:
        if isinstance(error, MemoryError):
            return cls.OUT_OF_MEMORY
        for klass in type(error).__mro__:
            try:
                return cls(klass.__name__)
            except ValueError:
                continue
        return cls.INTERNAL


class UserError(Exception):
    """A problem the user can fix. `str(err)` is the whole message."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())


class ModelError(UserError):
    """The model file is missing, unreadable, malformed or unsafe."""


class TargetError(UserError):
    """The requested target does not exist or cannot run here."""


class InputSpecError(UserError):
    """A --shape / --dim / --input option is wrong, or a dim is unresolved."""
