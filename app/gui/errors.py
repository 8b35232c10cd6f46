"""Turn a core exception into a message the user can act on.

A ``UserError`` already says what happened and what to do, so it is shown as-is. A
``Cancelled`` is not an error. Anything else is a bug: the user gets its one-line
summary and what to do next; the traceback goes to stderr for the bug report.
What it leaves out: no error reporting leaves the machine.
"""

from __future__ import annotations

import sys
import traceback

from ingest.kernel.errors import Cancelled, UserError

UNEXPECTED_HINT = ("What to do: try again. If it happens again, run the same step from the "
                   "command line (ownvoice --help) to see the full report, and file a bug with it.")


def describe(exc: BaseException) -> tuple[str, str]:
    """``(title, text)`` for a message box.

    >>> describe(UserError("No mail found in x.", hint="Pick an mbox file."))
    ('Cannot continue', 'No mail found in x. Pick an mbox file.')
    """
    if isinstance(exc, UserError):
        return "Cannot continue", str(exc)
    if isinstance(exc, Cancelled):
        return "Cancelled", "Stopped. Start it again to resume where it stopped."
    summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return "Unexpected error", f"Something went wrong: {summary}\n\n{UNEXPECTED_HINT}"


def log_exception(exc: BaseException) -> None:
    if not isinstance(exc, (UserError, Cancelled)):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
