"""The words of the engine's errors: one line each, naming the cause and the fix.

polars appends the expression it failed in and, for some errors, a dump of the query plan, on the
lines after the first; those stay in the traceback (``exception_info``), never in a message.
"""

from __future__ import annotations

from integrity.errors import IntegrityError, first_line
from integrity.types import ExpectationConfig


def run_error(error: BaseException) -> str:
    """The cause of an error raised while an expectation ran, in one line."""
    if isinstance(error, IntegrityError):  # ours: one line already, with the fix at its end
        return first_line(error, limit=4000)
    return f"{type(error).__name__}: {first_line(error)}"


def run_error_fix(config: ExpectationConfig) -> str:
    """What to do about a run-time error of this expectation, in words."""
    if "unexpected_rows_query" in config.kwargs:
        return ("Fix the query so that it runs on every batch (e.g. TRY_CAST where a value may "
                "not convert)")
    return "Check its arguments against the column's type"


def listed(names: list[str], shown: int = 20) -> str:
    """Column names for a message: the first ``shown``, then how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f", … ({more} more)" if more > 0 else "")
