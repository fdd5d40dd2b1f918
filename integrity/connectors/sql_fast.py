"""The SQL connector's fast read paths: Arrow straight from the database, through ADBC (with real
bound parameters) or connectorx (which takes none: the statement is rendered with literal values by
SQLAlchemy's compiler for the dialect, text as ``E'...'`` on PostgreSQL, see :func:`literal_sql`).

connectorx is imported with its connection pool's log lines off (:func:`import_connectorx`), and
:func:`within` bounds a read that cannot be interrupted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL

_T = TypeVar("_T")

ADBC_DRIVERS = {"postgresql": "adbc_driver_postgresql", "sqlite": "adbc_driver_sqlite"}
CONNECTORX_SCHEMES = {"postgresql": "postgresql", "sqlite": "sqlite", "mysql": "mysql",
                      "mssql": "mssql", "oracle": "oracle"}


def read_adbc(url: URL, stmt: sa.Select[Any], dialect: sa.Dialect) -> pl.DataFrame:
    """Run ``stmt`` through ADBC with real bound parameters ($n for PostgreSQL, ? for SQLite)."""
    import importlib

    backend = url.get_backend_name()
    module = importlib.import_module(f"{ADBC_DRIVERS[backend]}.dbapi")
    # The same dialect class, compiled for the driver's placeholder style.
    paramstyle = "numeric_dollar" if backend == "postgresql" else "qmark"
    compiled = stmt.compile(dialect=type(dialect)(paramstyle=paramstyle))  # type: ignore[call-arg]
    params = [compiled.params[name] for name in (compiled.positiontup or [])]
    if backend == "postgresql":
        target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    else:
        target = url.database or ":memory:"
    with module.connect(target) as conn, conn.cursor() as cur:
        cur.execute(str(compiled), params or None)
        table = cur.fetch_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def read_connectorx(url: URL, stmt: sa.Select[Any], dialect: sa.Dialect) -> pl.DataFrame:
    """Run ``stmt`` through connectorx. It takes no parameters, so SQLAlchemy's compiler for this
    dialect renders the watermark values as quoted literals (never string formatting); see
    :func:`literal_sql` for PostgreSQL."""
    import_connectorx()  # ImportError here means: fall back

    backend = url.get_backend_name()
    sql = literal_sql(stmt, dialect)
    if backend == "sqlite":
        uri = f"sqlite://{Path(url.database or '').resolve()}"
    else:
        uri = url.set(drivername=CONNECTORX_SCHEMES[backend]).render_as_string(hide_password=False)
    return pl.read_database_uri(sql, uri, engine="connectorx")


def literal_sql(stmt: sa.Select[Any], dialect: sa.Dialect) -> str:
    """``stmt`` with its parameters rendered as literals by the dialect's own compiler.

    PostgreSQL reads a backslash in a plain ``'...'`` literal as an escape when the server runs
    with ``standard_conforming_strings = off``, and as a backslash otherwise; SQLAlchemy renders
    for whichever it assumes (a dialect that has not connected assumes "on"). An ``E'...'`` literal
    means the same under both settings, so text values are rendered that way, with backslashes
    and quotes doubled."""
    if dialect.name != "postgresql":
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    base = type(dialect).statement_compiler
    if base not in _ESCAPE_STRING_COMPILERS:
        _ESCAPE_STRING_COMPILERS[base] = _escape_string_compiler(base)
    compiler = _ESCAPE_STRING_COMPILERS[base]
    return str(compiler(dialect, stmt, compile_kwargs={"literal_binds": True}))


_ESCAPE_STRING_COMPILERS: dict[type[Any], type[Any]] = {}


def _escape_string_compiler(base: type[Any]) -> type[Any]:
    """``base`` (a PostgreSQL statement compiler) rendering text literals as ``E'...'``."""

    class EscapeStringCompiler(base):  # type: ignore[valid-type,misc]
        def render_literal_value(self, value: Any, type_: Any) -> str:
            if isinstance(value, str):
                return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
            rendered: str = super().render_literal_value(value, type_)
            return rendered

    return EscapeStringCompiler


def import_connectorx() -> None:
    """Import connectorx with its connection pool's log lines off (they would print every retry
    of a failing login on stderr, raw); a RUST_LOG the user set is kept, with r2d2 silenced."""
    current = os.environ.get("RUST_LOG")
    if current is None:
        os.environ["RUST_LOG"] = "r2d2=off"
    elif "r2d2" not in current:
        os.environ["RUST_LOG"] = f"{current},r2d2=off"
    import connectorx  # noqa: F401


def within(seconds: float, read: Callable[[], _T]) -> _T:
    """``read()`` if it returns within ``seconds``; else TimeoutError, and the read is left to
    finish (or fail) on its own in a daemon thread. connectorx cannot be interrupted, but it
    releases the GIL, so waiting on it costs nothing."""
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, read()))
        except BaseException as exc:
            outcome.append((False, exc))

    worker = threading.Thread(target=target, name="integrity-connectorx-probe", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError(f"no answer within {seconds:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    result: _T = value
    return result
