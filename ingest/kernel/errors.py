"""Errors that reach the user.

A ``UserError`` carries a one-line message that says what went wrong and what to do
next. The CLI prints it without a traceback and exits with ``exit_code`` (2 by
default); the GUI shows it in a message box.
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by input or environment that the user can fix."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:  # one line, with the hint appended
        return f"{self.message} {self.hint}" if self.hint else self.message


class Cancelled(Exception):
    """Raised inside a long job when its CancelToken was set."""


class AlreadyRunning(UserError):
    """Another ownvoice process holds the data directory's write lock."""
