"""Every error integrity raises on purpose.

Tree::

    IntegrityError                 root: catch this to catch everything below
    ├── SuiteError                 a suite file that cannot be used (names file, expectation, argument)
    │   └── UnknownExpectationError   an expectation type the registry does not know
    ├── DataError                  a data file that cannot be read (names file and line when known)
    ├── ConditionError             a row_condition that does not parse
    ├── ConfigError                a project or dataset definition that cannot be used
    │   └── SecretMissingError     a ${ENV} secret reference that is not set
    ├── ConnectorError             a source that cannot be read (transient: retry later)
    ├── StoreError                 the results store cannot be used
    ├── LockedError                another run of the same dataset holds the lock
    └── ExpectationRunError        an expectation that failed while it was evaluated

Each error carries a message that says what is wrong, where, and what to do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class IntegrityError(Exception):
    """Root of integrity's own errors."""


class SuiteError(IntegrityError, ValueError):
    """A suite that cannot be loaded or validated.

    One error may carry several problems (:attr:`problems`, each a located SuiteError): loading a
    suite reports every problem at once, and ``str()`` is then one line per problem.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        index: int | None = None,
        expectation_type: str | None = None,
        argument: str | None = None,
        line: int | None = None,
        problems: Sequence[SuiteError] = (),
    ) -> None:
        self.detail = message
        """The message without its location prefix."""
        self.path = path
        self.index = index
        self.expectation_type = expectation_type
        self.argument = argument
        self.line = line
        """The line of the suite file the problem is on (1-based), when known."""
        self.problems: tuple[SuiteError, ...] = tuple(problems) or (self,)
        """Every problem this error stands for (itself when it is a single one)."""
        super().__init__(located(message, path=path, line=line, index=index,
                                 expectation_type=expectation_type, argument=argument))

    @classmethod
    def of(cls, problems: Sequence[SuiteError]) -> SuiteError:
        """One error for ``problems``: the problem itself when there is one, else an error whose
        message lists them all, one per line."""
        if len(problems) == 1:
            return problems[0]
        kinds = {type(p) for p in problems}
        kind = kinds.pop() if len(kinds) == 1 else cls  # all unknown types: still that class
        return kind("\n".join(str(p) for p in problems), problems=problems)


def located(message: str, *, path: str | None = None, line: int | None = None,
            index: int | None = None, expectation_type: str | None = None,
            argument: str | None = None) -> str:
    """``message`` behind its location: ``file:line: expectation #i (type): argument 'a': ``.

    The type and argument come from the suite file as written, so control characters in them are
    shown escaped, never sent to a terminal."""
    where = []
    if path:
        where.append(f"{path}:{line}" if line else path)
    if index is not None:
        kind = f" ({printable(expectation_type)})" if expectation_type else ""
        where.append(f"expectation #{index}{kind}")
    if argument:
        where.append(f"argument '{printable(argument)}'")
    return (": ".join(where) + ": " if where else "") + message


class UnknownExpectationError(SuiteError):
    """An expectation type that is not in the registry."""


class DataError(IntegrityError):
    """A data file that cannot be read, or a column of the wrong type."""


class ConditionError(IntegrityError, ValueError):
    """A row_condition that cannot be parsed."""


class ConfigError(IntegrityError):
    """A project (integrity.yaml) or dataset (connectors/*.yaml) definition that cannot be used."""


class SecretMissingError(ConfigError):
    """A ``${ENV_VAR}`` secret reference whose variable is not set."""


class ConnectorError(IntegrityError):
    """A source that cannot be read: unreachable, failing, or returning malformed data."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        """True when retrying later may succeed (timeouts, 5xx); False for terminal errors."""


class StoreError(IntegrityError):
    """The results store cannot be reached or migrated."""


class LockedError(IntegrityError):
    """Another run of the same dataset is in progress."""


class ExpectationRunError(IntegrityError):
    """An expectation that raised while it was evaluated."""


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\n``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def close_matches(word: str, options: Iterable[str], n: int = 3) -> list[str]:
    """Return the options closest to ``word``, for 'did you mean' hints."""
    return difflib.get_close_matches(word, list(options), n=n, cutoff=0.6)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """A ' Did you mean ...?' suffix, or '' when nothing is close."""
    matches = close_matches(word, options)
    return f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, at most ``limit`` characters.

    Drivers and polars append hints, plan dumps and tracebacks on further lines; an error line
    shows only the cause. The exception's type name when the message is empty."""
    for line in str(exc).splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return type(exc).__name__
