"""User-facing errors: one line that names the problem and the fix.

Anything the user can cause (a bad model file, a wrong option, an unwritable
path) raises `UserError`; the CLI prints it and exits with status 2, the GUI
shows it in the window. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_USER_ERROR = 2


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
