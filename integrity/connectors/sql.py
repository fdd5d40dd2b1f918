"""Pull a table or a query from any SQLAlchemy database into polars, incrementally by a cursor column.

The statement is always built with SQLAlchemy Core: table, schema and column names from YAML become
quoted identifiers, and watermark values are bound parameters, so nothing a user writes is pasted into
SQL text (a query given in YAML is used as a subquery, as written). Reflection first checks that the
table and cursor column exist, so a typo fails with the names that do exist instead of a driver error.

Rows are read through the fastest path installed (``engine="auto"``): connectorx, then ADBC
(PostgreSQL, SQLite), both straight to Arrow; SQLAlchemy in chunks is the fallback that works for
every dialect. connectorx goes first: it reads as fast as ADBC and imports in 0.05 s where ADBC's
DB-API module takes about 1 s (it loads pyarrow and pandas), which a short run pays every time.
connectorx cannot take bound parameters, so for it the statement is rendered with literal values by
SQLAlchemy's own compiler for the target dialect, never by string formatting; on PostgreSQL text
values are written as ``E'...'`` literals, whose escapes mean the same whatever the server's
``standard_conforming_strings`` (:mod:`integrity.connectors.sql_fast` holds the fast paths). The
path used is recorded in ``Batch.info.source`` (with the password hidden) so a slow run can be
explained.

A ``query`` must be one read-only SELECT (:mod:`integrity.sqlguard`, in the source's dialect); any
other SQL is refused when the connector is built. ``connect_timeout`` bounds connecting on every
path: the driverless connectorx path gets that long to answer its first query (its connection pool
retries a failing login for 30 s, logging each try), and a source that has not answered by then
is read the full way, whose driver reports a wrong password or an unreachable server at once, in
one line. connectorx's pool log lines are silenced.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from integrity.connectors.base import Batch, ConnectorBase, Watermark, make_batch
from integrity.connectors.late import SourceCounts, needs_rows_below
from integrity.connectors.sql_fast import (
    ADBC_DRIVERS,
    CONNECTORX_SCHEMES,
    import_connectorx,
    read_adbc,
    read_connectorx,
    within,
)
from integrity.errors import ConfigError, ConnectorError, did_you_mean, first_line

ENGINES = ("auto", "adbc", "connectorx", "sqlalchemy")
"""Read paths: ``auto`` tries ADBC, then connectorx, then SQLAlchemy chunks."""

CONNECT_TIMEOUT_SECONDS = 10.0
"""Default ``connect_timeout``: how long connecting to the source may take."""
_SRC = "integrity_src"


class SqlConnector(ConnectorBase):
    """A table or a query in a database, pulled incrementally by a cursor column.

    Args:
        dataset: Dataset name, for messages.
        cursor: Cursor column; rows with ``cursor >= watermark`` are pulled (None: everything).
        url: SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///path.db``, ...).
        table: Table (or view) name; exactly one of ``table`` and ``query``.
        query: A SELECT used as a subquery; the cursor filter wraps it.
        schema: Database schema of ``table``.
        chunk_size: Rows per fetch on the SQLAlchemy path.
        engine: ``auto``, ``adbc``, ``connectorx`` or ``sqlalchemy``.
        connect_timeout: Seconds connecting may take: the driverless path's first answer, and
            each driver connection attempt (PostgreSQL and MySQL; libpq waits at least 2).
    """

    def __init__(self, *, dataset: str, cursor: str | None = None, url: str,
                 table: str | None = None, query: str | None = None, schema: str | None = None,
                 chunk_size: int = 100_000, engine: str = "auto",
                 connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
        if (table is None) == (query is None):
            raise ConfigError(f"dataset {dataset!r}: the sql connector needs exactly one of 'table' "
                              "and 'query'.")
        if engine not in ENGINES:
            raise ConfigError(f"dataset {dataset!r}: unknown sql engine {engine!r}."
                              f"{did_you_mean(engine, ENGINES)} Use one of: {', '.join(ENGINES)}.")
        if chunk_size < 1:
            raise ConfigError(f"dataset {dataset!r}: chunk_size must be at least 1, not {chunk_size}.")
        if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, int | float) \
                or not 0 < connect_timeout <= 3600:
            raise ConfigError(f"dataset {dataset!r}: connect_timeout must be a number of seconds "
                              f"between 0 and 3600, not {connect_timeout!r}.")
        try:
            self.url: URL = sa.make_url(url)
        except sa.exc.ArgumentError:
            raise ConfigError(f"dataset {dataset!r}: 'url' is not a SQLAlchemy URL (expected e.g. "
                              "postgresql+psycopg://user:${PASSWORD}@host/db or sqlite:///file.db).") from None
        if query is not None:
            _check_query(dataset, query, self.url.get_backend_name())
        self.dataset, self.cursor, self.table, self.query = dataset, cursor, table, query
        self.connect_timeout = float(connect_timeout)
        self.schema, self.chunk_size, self.engine_name = schema, chunk_size, engine
        self.safe_url = self.url.render_as_string(hide_password=True)
        self._engine: Engine | None = None

    # -- protocol -------------------------------------------------------------------------------
    def pull(self, since: Watermark, until: Any = None) -> Batch:
        read = self._pull_with_connectorx_only(since, until)
        if read is not None:
            frame, path, columns = read
        else:
            with self._connect() as conn:
                columns = self._columns(conn)
                self._check_cursor(columns)
                stmt = self._statement(columns, since, until)
                frame, path = self._read(conn, stmt)
        frame = self._normalise_temporal(frame, columns)
        frame, unpulled = self._rows_below(frame, columns, since)
        source = f"sql[{path}] {self.safe_url} {self._what()}" + \
            (" + rows below the watermark" if since.below is not None and since.value is not None
             and unpulled is None else "")
        return make_batch(self.dataset, source, frame, cursor=self.cursor, since=since, until=until,
                          unpulled=unpulled)

    def _rows_below(self, frame: pl.DataFrame, columns: dict[str, sa.types.TypeEngine[Any]],
                    since: Watermark) -> tuple[pl.DataFrame, SourceCounts | None]:
        """With a tracked watermark, count what the statement left out (rows below the watermark,
        NULL cursors) in one cheap query, and pull those rows too only when the counts say some
        are new (late) or the ledger needs them (see :mod:`integrity.connectors.late`)."""
        if self.cursor is None or since.below is None or since.value is None:
            return frame, None
        source = self._source(columns)
        col = source.c[self.cursor]
        bound = self._lower_bound(columns, since)
        count = sa.select(sa.func.count()).select_from(source)
        counts = self._count(sa.select(
            count.where(col < bound).scalar_subquery().label("below"),
            count.where(col.is_(None)).scalar_subquery().label("nulls")))
        if not needs_rows_below(since, self.cursor, frame, counts):
            return frame, counts
        below = self._side_read(sa.select(*source.c).where((col < bound) | col.is_(None)), True)
        below = self._normalise_temporal(below, columns)
        return pl.concat([below, frame], how="vertical_relaxed"), None

    def _count(self, stmt: sa.Select[Any]) -> SourceCounts:
        """The two counts: through connectorx alone for a server when it can (no driver import);
        else through the driver, which for SQLite is 5x faster than connectorx (connectorx runs
        a query more than once to size its result)."""
        frame = self._side_read(stmt, False)
        if frame is not None:
            return SourceCounts(int(frame.item(0, 0) or 0), int(frame.item(0, 1) or 0))
        with self._connect() as conn:
            try:
                row = conn.execute(stmt).one()
            except sa.exc.DBAPIError as exc:
                raise self._db_error(exc, "count the rows below the watermark of") from None
        return SourceCounts(int(row[0] or 0), int(row[1] or 0))

    def _side_read(self, stmt: sa.Select[Any], required: bool) -> Any:
        """Run a statement beside the main read: connectorx alone for a server when it can,
        else (``required``) a connection and :meth:`_read`; None when not ``required``."""
        backend = self.url.get_backend_name()
        if self.engine_name in ("auto", "connectorx") and backend != "sqlite" \
                and backend in CONNECTORX_SCHEMES:
            dialect = self.url.get_dialect()()
            try:
                return within(self.connect_timeout, lambda: read_connectorx(self.url, stmt, dialect))
            except Exception:  # the full path below explains whatever went wrong
                pass
        if not required:
            return None
        with self._connect() as conn:
            return self._read(conn, stmt)[0]

    def _check_cursor(self, columns: dict[str, sa.types.TypeEngine[Any]]) -> None:
        if self.cursor is not None and self.cursor not in columns:
            raise ConnectorError(
                f"dataset {self.dataset!r}: cursor column {self.cursor!r} is not in {self._what()}."
                f"{did_you_mean(self.cursor, columns)} Columns: {', '.join(columns)}.")

    def _pull_with_connectorx_only(
        self, since: Watermark, until: Any,
    ) -> tuple[pl.DataFrame, str, dict[str, sa.types.TypeEngine[Any]]] | None:
        """Describe and read a database server's table through connectorx alone, when connectorx
        is what would read it anyway: the column types come from a ``LIMIT 0`` query, and the
        statement is compiled by the dialect without a connection. That spares importing the DBAPI
        driver, a SQLAlchemy connection and the catalog queries (0.2 to 0.3 s a pull). SQLite keeps
        reflection (its declared types decide how its text dates parse). Anything that fails here
        (no such table, server down) returns None, and the full path reports it clearly."""
        backend = self.url.get_backend_name()
        if self.engine_name not in ("auto", "connectorx") or backend == "sqlite" \
                or backend not in CONNECTORX_SCHEMES:
            return None
        try:
            import_connectorx()
            dialect = self.url.get_dialect()()
            source = sa.table(self.table, schema=self.schema) if self.table is not None \
                else self._query_source()
            probe: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(source).limit(0)
            empty = within(self.connect_timeout, lambda: read_connectorx(self.url, probe, dialect))
        except Exception:  # the full path explains whatever went wrong
            return None
        columns = {name: _sa_type(dtype) for name, dtype in empty.schema.items()}
        self._check_cursor(columns)
        try:
            frame = read_connectorx(self.url, self._statement(columns, since, until), dialect)
        except Exception:  # a read that fails here is retried, and explained, the full way
            return None
        return frame, "connectorx", columns

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- connecting and describing the source -----------------------------------------------------
    def _what(self) -> str:
        if self.table is not None:
            return f"table {'.'.join(filter(None, [self.schema, self.table]))!r}"
        return "the query"

    def _hide(self, text: str) -> str:
        password = self.url.password
        return text.replace(str(password), "***") if password else text

    def _where(self) -> str:
        url = self.url
        if url.get_backend_name() == "sqlite":
            return f"SQLite file {url.database or ':memory:'}"
        return f"{url.get_backend_name()} server {url.host or 'localhost'}:{url.port or 'default port'}, " \
               f"database {url.database!r}, user {url.username!r}"

    def _connect(self) -> Connection:
        if self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:") \
                and not self.url.database.startswith("file:") and not Path(self.url.database).exists():
            raise ConnectorError(f"dataset {self.dataset!r}: {self._where()} does not exist "
                                 f"(working directory {Path.cwd()}). Check the path in 'url'.")
        try:
            if self._engine is None:
                backend = self.url.get_backend_name()
                args: dict[str, Any] = {}
                if backend == "postgresql":
                    args["connect_timeout"] = max(2, math.ceil(self.connect_timeout))
                elif backend in ("mysql", "mariadb"):
                    args["connect_timeout"] = max(1, math.ceil(self.connect_timeout))
                self._engine = sa.create_engine(self.url, connect_args=args)
            return self._engine.connect()
        except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConnectorError(f"dataset {self.dataset!r}: no driver for {self.safe_url} "
                                 f"({first_line(exc)}). Install it, e.g. `pip install "
                                 "'integrity[postgres]'` for PostgreSQL.") from None
        except sa.exc.DBAPIError as exc:
            raise ConnectorError(
                f"dataset {self.dataset!r}: cannot connect to {self._where()} ({self.safe_url}): "
                f"{self._hide(first_line(exc.orig or exc))}. Check that the server is running and "
                "reachable from here, the host, port and database name, and the credentials.",
                transient=True) from None

    def _columns(self, conn: Connection) -> dict[str, sa.types.TypeEngine[Any]]:
        """Column name -> SQLAlchemy type of the table (reflected) or the query (probed)."""
        if self.table is not None:
            inspector = sa.inspect(conn)
            try:
                names = inspector.get_table_names(schema=self.schema) + \
                    inspector.get_view_names(schema=self.schema)
            except sa.exc.DBAPIError as exc:
                raise self._db_error(exc, "describe") from None
            if self.table not in names:
                hint = [n for n in names if n.lower() == self.table.lower()] or []
                suggest = f" Did you mean {hint[0]!r}?" if hint else did_you_mean(self.table, names)
                where = f"schema {self.schema!r}" if self.schema else "the default schema"
                raise ConnectorError(
                    f"dataset {self.dataset!r}: table {self.table!r} does not exist in {where} of "
                    f"{self._where()}.{suggest} Tables: {', '.join(sorted(names)) or '(none)'}.")
            reflected = inspector.get_columns(self.table, schema=self.schema)
            return {c["name"]: c["type"] for c in reflected}
        probe: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(self._query_source()).limit(1)
        try:
            sample = pl.read_database(probe, connection=conn, infer_schema_length=None)
        except sa.exc.DBAPIError as exc:
            raise self._db_error(exc, "run") from None
        except sa.exc.StatementError as exc:
            raise ConnectorError(f"dataset {self.dataset!r}: the query cannot be used "
                                 f"({first_line(exc)}). A ':name' in the query is read as a "
                                 r"parameter; write '\:' for a literal colon.") from None
        assert isinstance(sample, pl.DataFrame)
        return {name: _sa_type(dtype) for name, dtype in sample.schema.items()}

    def _query_source(self, columns: dict[str, sa.types.TypeEngine[Any]] | None = None) -> Any:
        assert self.query is not None
        text = sa.text(self.query)
        cols = [sa.column(name, type_) for name, type_ in (columns or {}).items()]
        return text.columns(*cols).subquery(_SRC)

    def _source(self, columns: dict[str, sa.types.TypeEngine[Any]]) -> Any:
        if self.table is not None:
            return sa.table(self.table, *(sa.column(n, t) for n, t in columns.items()),
                            schema=self.schema)
        return self._query_source(columns)

    def _sqlite_temporal(self, columns: dict[str, sa.types.TypeEngine[Any]]) -> bool:
        assert self.cursor is not None
        return self.url.get_backend_name() == "sqlite" and _is_temporal(columns[self.cursor])

    def _lower_bound(self, columns: dict[str, sa.types.TypeEngine[Any]], since: Watermark) -> Any:
        """The watermark as a bound parameter: rows ``>=`` it are read, rows ``<`` it counted."""
        assert self.cursor is not None
        ctype = columns[self.cursor]
        if self._sqlite_temporal(columns):
            # SQLite keeps datetimes as text in more than one layout; compare on the date only
            # (a superset), and make_batch applies the exact bound on the typed column.
            return sa.bindparam("since", str(since.value)[:10], type_=sa.String())
        return sa.bindparam("since", _coerce(since.value, ctype), type_=ctype)

    def _statement(self, columns: dict[str, sa.types.TypeEngine[Any]], since: Watermark,
                   until: Any) -> sa.Select[Any]:
        source = self._source(columns)
        stmt = sa.select(*source.c)
        if self.cursor is None:
            return stmt
        col = source.c[self.cursor]
        ctype = columns[self.cursor]
        if since.value is not None:
            stmt = stmt.where(col >= self._lower_bound(columns, since))
        if until is not None and not self._sqlite_temporal(columns):
            stmt = stmt.where(col <= sa.bindparam("until", _coerce(until, ctype), type_=ctype))
        return stmt.order_by(col)

    # -- reading ----------------------------------------------------------------------------------
    def _read(self, conn: Connection, stmt: sa.Select[Any]) -> tuple[pl.DataFrame, str]:
        backend = self.url.get_backend_name()
        order = ["connectorx", "adbc", "sqlalchemy"] if self.engine_name == "auto" else [self.engine_name]
        notes: list[str] = []
        for path in order:
            try:
                if path == "adbc" and backend in ADBC_DRIVERS:
                    return read_adbc(self.url, stmt, conn.dialect), "adbc"
                if path == "connectorx" and backend in CONNECTORX_SCHEMES:
                    return read_connectorx(self.url, stmt, conn.dialect), "connectorx"
                if path == "sqlalchemy":
                    return self._read_sqlalchemy(conn, stmt), "sqlalchemy" + (
                        f" (fast path skipped: {'; '.join(notes)})" if notes else "")
            except ImportError as exc:
                notes.append(f"{path} not installed")
                if self.engine_name != "auto":
                    raise ConnectorError(f"dataset {self.dataset!r}: engine {path!r} is not installed "
                                         f"({exc.name}). `pip install 'integrity[fast]'`, or use "
                                         "engine: auto.") from None
            except ConnectorError:
                raise
            except Exception as exc:  # a driver-specific failure: the next path may still work
                notes.append(f"{path} failed: {self._hide(first_line(exc))}")
                if self.engine_name != "auto":
                    raise ConnectorError(f"dataset {self.dataset!r}: reading {self._what()} from "
                                         f"{self._where()} through {path} failed: {notes[-1]}.",
                                         transient=True) from None
            else:
                if self.engine_name != "auto":
                    raise ConnectorError(f"dataset {self.dataset!r}: engine {path!r} does not support "
                                         f"{backend}; use engine: sqlalchemy or auto.")
        raise ConnectorError(f"dataset {self.dataset!r}: no read path worked: {'; '.join(notes)}.")

    def _read_sqlalchemy(self, conn: Connection, stmt: sa.Select[Any]) -> pl.DataFrame:
        streaming = conn.execution_options(stream_results=True, max_row_buffer=self.chunk_size)
        try:
            chunks = pl.read_database(stmt, connection=streaming, iter_batches=True,
                                      batch_size=self.chunk_size, infer_schema_length=None)
            frames = list(chunks)
        except sa.exc.DBAPIError as exc:
            raise self._db_error(exc, "read") from None
        if not frames:
            return pl.DataFrame(schema=dict.fromkeys(stmt.selected_columns.keys(), pl.Null))
        try:
            return pl.concat(frames, how="vertical_relaxed")
        except pl.exceptions.PolarsError as exc:
            raise ConnectorError(f"dataset {self.dataset!r}: the chunks of {self._what()} have "
                                 f"incompatible types ({first_line(exc)}); use a smaller table or "
                                 "cast the column in a query.") from None

    def _normalise_temporal(self, frame: pl.DataFrame,
                            columns: dict[str, sa.types.TypeEngine[Any]]) -> pl.DataFrame:
        """Date/time columns that a driver returned as text (SQLite) become real temporal columns,
        so every read path gives the same types and the cursor compares as time, not as text.
        Zone-aware columns are converted to UTC (same instants): drivers say 'Etc/UTC' or the
        session zone, and watermarks are kept in UTC."""
        zoned = [n for n, d in frame.schema.items()
                 if isinstance(d, pl.Datetime) and d.time_zone not in (None, "UTC")]
        if zoned:
            frame = frame.with_columns(pl.col(zoned).dt.convert_time_zone("UTC"))
        for name, type_ in columns.items():
            if name not in frame.columns or frame.schema[name] != pl.String or not _is_temporal(type_):
                continue
            target = pl.col(name).str.to_date() if isinstance(type_, sa.Date) and \
                not isinstance(type_, sa.DateTime) else pl.col(name).str.to_datetime()
            try:
                frame = frame.with_columns(target)
            except pl.exceptions.PolarsError as exc:
                if name == self.cursor:
                    raise ConnectorError(
                        f"dataset {self.dataset!r}: cursor column {name!r} is declared as a date/time "
                        f"but holds text that is not one ({first_line(exc)}). Fix those values, or "
                        "pick another cursor column.") from None
        return frame

    def _db_error(self, exc: sa.exc.DBAPIError, doing: str) -> ConnectorError:
        transient = isinstance(exc, sa.exc.OperationalError) or exc.connection_invalidated
        return ConnectorError(f"dataset {self.dataset!r}: cannot {doing} {self._what()} on "
                              f"{self._where()}: {self._hide(first_line(exc.orig or exc))}.",
                              transient=transient)


def _is_temporal(type_: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(type_, sa.Date | sa.DateTime)


def _sa_type(dtype: pl.DataType) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type to bind a watermark with, for a query column of this polars dtype."""
    if isinstance(dtype, pl.Datetime):
        return sa.DateTime(timezone=dtype.time_zone is not None)
    if dtype == pl.Date:
        return sa.Date()
    if dtype.is_integer():
        return sa.BigInteger()
    if dtype.is_float():
        return sa.Float()
    if dtype.is_decimal():
        return sa.Numeric()
    if dtype == pl.String:
        return sa.String()
    return sa.types.NullType()


def _coerce(value: Any, type_: sa.types.TypeEngine[Any]) -> Any:
    """A watermark (stored as JSON: datetimes as ISO text) as the Python value the column binds."""
    if not isinstance(value, str):
        return value
    try:
        if isinstance(type_, sa.DateTime):
            parsed = dt.datetime.fromisoformat(value)
            if type_.timezone and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            elif not type_.timezone and parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            return parsed
        if isinstance(type_, sa.Date):
            return dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return value


def _check_query(dataset: str, query: str, backend: str) -> None:
    """Refuse a ``query`` that is not one read-only SELECT in the source's dialect."""
    from integrity.sqlguard import DIALECTS, FIX, read_only_problem

    problem = read_only_problem(query, (DIALECTS.get(backend),))
    if problem:
        raise ConfigError(f"dataset {dataset!r}: 'query' {problem}. {FIX} Or name a table with "
                          "'table:' instead of 'query:'.")
