"""The ``integrity`` Typer app and what every command shares: consoles, exit codes, one-line errors.

Exit codes: 0 the suite passed, 1 it failed, 2 a usage or input error (bad data file, bad suite, an
expectation that could not run), 3 an internal error (a bug: please report it).

Heavy modules (polars, the engine) are imported inside the commands so that ``integrity --help``
starts fast. Every value that comes from data, suites or the store goes through :func:`clean` before
Rich prints it: customer text is hostile, to the terminal as much as to Rich's markup.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from integrity import __version__
from integrity.errors import IntegrityError
from integrity.jsonable import jsonable

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


#: Besides the control characters: bidi embeddings, overrides and isolates reorder what follows
#: them (a "Trojan Source" line), and the line and paragraph separators break a line.
_LAYOUT_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                    0x2028, 0x2029)
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}  # C0, DEL, C1
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_ESCAPES.update({c: f"\\u{c:04x}" for c in _LAYOUT_CONTROLS})
# JSON escapes C0 itself; these are the ones it leaves raw.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), *_LAYOUT_CONTROLS)}


def clean(value: object) -> str:
    """``value`` as text that is safe to print through Rich, on one line.

    Control characters (C0, DEL, C1: so every ESC sequence), bidi overrides and line separators
    become visible escapes (``\\x1b``, ``\\r``, ``\\u202e``) instead of acting on the terminal, and
    Rich markup in the text is escaped. Every data-derived value the CLI prints goes through here.
    """
    return escape(str(value).translate(_ESCAPES))


def clean_json(text: str) -> str:
    """JSON text safe for a terminal: what JSON leaves raw and a terminal acts on, as ``\\u`` escapes
    (any JSON reader decodes them to the same text)."""
    return text.translate(_JSON_ESCAPES)


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    """Print one red message on stderr (one ``error:`` line per line of it); return the Exit."""
    for line in message.splitlines() or [message]:
        err.print(f"[bold red]error:[/] {clean(line)}", soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    """Print one yellow ``warning:`` line on stderr."""
    err.print(f"[bold yellow]warning:[/] {clean(message)}", soft_wrap=True)


def value_text(value: Any) -> str:
    """A value as a listing shows it: strings quoted, floats to 6 digits, JSON for the rest."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return repr(value)
    return str(jsonable(value)) if not isinstance(value, list | dict) else json.dumps(
        jsonable(value), ensure_ascii=False)


def short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_indented(text: str, indent: int) -> None:
    """Print (markup) ``text`` indented, its wrapped lines too."""
    from rich.padding import Padding

    out.print(Padding(text, (0, 0, 0, indent), expand=False))


def reason_text(reason: Mapping[str, Any], *, brief: bool = False) -> str:
    """One of the gate's reasons in words: the expectation, the column(s) it names, what it found.

    ``brief`` (for one-line listings) leaves out the ``expect_`` prefix and the counts. Plain text:
    pass it through :func:`clean` to print it.
    """
    if reason.get("error"):
        error = str(reason["error"])
        return f"the suite could not run: {short(error, 100) if brief else error}"
    name = str(reason.get("expectation_type") or reason.get("check") or "?")
    text = name.removeprefix("expect_") if brief else name
    if reason.get("expectation_index") is not None:
        text = f"#{reason['expectation_index']} {text}"
    column = reason.get("column")
    if isinstance(column, list | tuple):
        column = ", ".join(str(c) for c in column)
    if column:
        text += f" on {column}"
    if brief:
        return text
    count, percent = reason.get("unexpected_count"), reason.get("unexpected_percent")
    if count is not None:
        text += f": {count} unexpected" + (f" ({percent:.1f}%)" if isinstance(percent, int | float)
                                            else "")
    elif reason.get("observed_value") is not None:
        text += f": observed {short(value_text(reason['observed_value']), 60)}"
    detail = reason.get("detail")
    if detail and detail != "row rejected" and reason.get("action") != "warn":
        text += f" ({detail})"
    return text


def is_warning(reason: Mapping[str, Any]) -> bool:
    """Whether a reason only records a ``warn`` expectation's failure (nothing was held for it)."""
    return reason.get("action") == "warn"


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


def parse_now(text: str | None) -> dt.datetime | None:
    """``--now`` as an aware datetime (naive means UTC); a value that is not a timestamp exits 2."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise fail(f"--now {text!r} is not an ISO-8601 timestamp; write e.g. "
                   "2025-03-14T09:00:00Z") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


NowOpt = Annotated[str | None, typer.Option(
    "--now", help="The clock freshness checks age from, ISO-8601 (e.g. 2025-03-14T09:00:00Z; "
                  "naive means UTC): for backfills and rehearsals. Default: the wall clock.")]
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

