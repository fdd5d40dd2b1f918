"""The ``integrity`` Typer app and what every command shares: consoles, exit codes, one-line errors.

Exit codes: 0 the suite passed, 1 it failed, 2 a usage or input error (bad data file, bad suite, an
expectation that could not run), 3 an internal error (a bug: please report it).

Heavy modules (polars, the engine) are imported inside the commands so that ``integrity --help``
starts fast. Every value that comes from data or suites is escaped before Rich prints it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from integrity import __version__
from integrity.errors import IntegrityError

EXIT_PASSED, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="integrity",
    help="Guard the data that feeds customer-facing AI agents with Great Expectations suites.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output (CI logs) gets 120 columns instead of Rich's 80 so type names fit.
out = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120)
err = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        out.print(f"integrity {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Guard the data that feeds customer-facing AI agents with Great Expectations suites."""


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    """Print one red message on stderr (one ``error:`` line per line of it); return the Exit."""
    for line in message.splitlines() or [message]:
        err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    """Print one yellow ``warning:`` line on stderr."""
    err.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True)


@contextmanager
def guard(data: str | None = None) -> Iterator[None]:
    """Turn integrity's errors (and polars' read errors) into one red line and exit code 2."""
    try:
        yield
    except typer.Exit:
        raise
    except IntegrityError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        if data is not None and type(exc).__module__.startswith("polars"):
            from integrity.connectors.readers import read_errors

            raise fail(str(read_errors(exc, data))) from None
        if os.environ.get("INTEGRITY_DEBUG"):
            import traceback

            traceback.print_exc()
        raise fail(f"internal error: {type(exc).__name__}: {exc}. This is a bug; please report it "
                   "(set INTEGRITY_DEBUG=1 for the traceback).", EXIT_INTERNAL) from None


ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder (holds integrity.yaml).")]
StewardOpt = Annotated[str, typer.Option("--steward", "-s", help="Who decides (recorded in the audit).")]
NoteOpt = Annotated[str | None, typer.Option("--note", "-m")]


def settle_imports() -> None:
    """Move everything imported so far out of the garbage collector's sight.

    The heavy modules a command imports (polars, SQLAlchemy, pydantic) leave hundreds of thousands
    of long-lived objects; every full collection, and the interpreter's exit, walks them all
    (about 0.3 s of a one-batch run). They live until exit anyway, so they are frozen; freezing
    again just before exit spares the final collection what was imported later.
    """
    import gc

    gc.freeze()

