"""The SQL publish target: rows appended in one transaction, with a ledger for exactly-once.

Nothing here builds SQL from strings. Tables and columns are SQLAlchemy Core objects with quoted
identifiers, so a table or column named ``x"; DROP TABLE y; --`` is just an odd name, and row
values always travel as bound parameters.

The ledger ``integrity_published_batches(batch_id primary key, table_name, rows, published_at)``
lives beside the target table. The rows and the ledger row commit together, so after a crash
either both exist (the re-run sees the ledger row and does nothing) or neither does (the re-run
publishes). Two concurrent publishers of the same batch collide on the primary key; the loser's
transaction rolls back and it reports the batch as already published.

A table the sink creates gets one more column, ``_integrity_batch_id``, filled with the batch id of
every row, so a batch can be taken back (:meth:`SqlSink.retract`: its rows and its ledger row
deleted in one transaction). A table that already exists is never altered: the column is filled
when the table has it, and a batch published into a table without it cannot be retracted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import sqlalchemy as sa

from integrity.errors import DataError
from integrity.jsonable import dumps
from integrity.types import BatchInfo

LEDGER = "integrity_published_batches"
BATCH_COLUMN = "_integrity_batch_id"
"""The column that ties each row of a table the sink created to the batch that wrote it."""


class SqlSink:
    """Append batches to ``table`` at ``url`` (any SQLAlchemy URL, or an Engine), exactly once."""

    def __init__(self, url: str | sa.Engine, table: str, *, schema: str | None = None,
                 chunk_size: int = 5_000) -> None:
        if not table:
            raise ValueError("SqlSink needs a table name")
        self.engine = (sa.create_engine(url, json_serializer=dumps, future=True)
                       if isinstance(url, str) else url)
        self.table_name = table
        self.schema = schema
        self.chunk_size = chunk_size
        self._metadata = sa.MetaData(schema=schema)
        self._ledger = sa.Table(
            LEDGER, self._metadata,
            sa.Column("batch_id", sa.String(255), primary_key=True),
            sa.Column("table_name", sa.Text, nullable=False),
            sa.Column("rows", sa.BigInteger, nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        )
        self._table: sa.Table | None = None

    @property
    def location(self) -> str:
        """Where rows go, for records and messages (the password is never shown)."""
        url = self.engine.url.render_as_string(hide_password=True)
        return f"{url}#{self.schema + '.' if self.schema else ''}{self.table_name}"

    def published(self, batch_id: str) -> bool:
        self._ledger.create(self.engine, checkfirst=True)
        with self.engine.connect() as conn:
            return self._in_ledger(conn, batch_id)

    def publish(self, frame: pl.DataFrame, info: BatchInfo) -> str:
        """Insert ``frame`` and the ledger row in one transaction; a no-op if already published."""
        self._ledger.create(self.engine, checkfirst=True)
        table = self._target(frame) if frame.width else None
        try:
            with self.engine.begin() as conn:
                if self._in_ledger(conn, info.batch_id):
                    return self.location
                if table is not None and frame.height:
                    self._check_columns(table, frame)
                    if BATCH_COLUMN in table.c:  # ours, whatever a column of that name held
                        frame = frame.with_columns(pl.lit(info.batch_id, pl.String)
                                                   .alias(BATCH_COLUMN))
                    for chunk in frame.iter_slices(self.chunk_size):
                        conn.execute(sa.insert(table), chunk.to_dicts())
                conn.execute(sa.insert(self._ledger).values(
                    batch_id=info.batch_id, table_name=self.table_name, rows=frame.height,
                    published_at=dt.datetime.now(dt.UTC)))
        except sa.exc.IntegrityError:
            if self.published(info.batch_id):  # a concurrent run committed it first
                return self.location
            raise
        return self.location

    def retract(self, batch_id: str) -> str | None:
        """Delete the batch's rows and its ledger row in one transaction; None if not published.

        Raises DataError when the batch has rows in a table without ``_integrity_batch_id``
        (one integrity did not create): they cannot be told apart from the others.
        """
        self._ledger.create(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            entry = conn.execute(sa.select(self._ledger.c.rows)
                                 .where(self._ledger.c.batch_id == batch_id)).first()
            if entry is None:
                return None
            if entry.rows:
                metadata = sa.MetaData(schema=self.schema)
                table = sa.Table(self.table_name, metadata, autoload_with=conn, quote=True)
                if BATCH_COLUMN not in table.c:
                    raise DataError(
                        f"table {self.table_name!r} has no column {BATCH_COLUMN!r}, so the "
                        f"{entry.rows} rows of batch {batch_id!r} cannot be told apart from the "
                        f"others to take them back. Delete them by hand, and the row of "
                        f"{LEDGER} whose batch_id is {batch_id!r}, then run the command again.")
                conn.execute(sa.delete(table).where(table.c[BATCH_COLUMN] == batch_id))
            conn.execute(sa.delete(self._ledger).where(self._ledger.c.batch_id == batch_id))
        return self.location

    def read(self, batch_id: str) -> pl.LazyFrame | None:
        """The rows batch ``batch_id`` inserted, selected by ``_integrity_batch_id`` (bound
        parameter); None when it published none. DataError when the table has no such column."""
        self._ledger.create(self.engine, checkfirst=True)
        with self.engine.connect() as conn:
            entry = conn.execute(sa.select(self._ledger.c.rows)
                                 .where(self._ledger.c.batch_id == batch_id)).first()
            if entry is None or not entry.rows:
                return None
            metadata = sa.MetaData(schema=self.schema)
            table = sa.Table(self.table_name, metadata, autoload_with=conn, quote=True)
            if BATCH_COLUMN not in table.c:
                raise DataError(
                    f"table {self.table_name!r} has no column {BATCH_COLUMN!r}, so the rows of "
                    "each published batch cannot be read back (integrity never alters a table "
                    "it did not create)")
            columns = [c for c in table.c if c.name != BATCH_COLUMN]
            query = sa.select(*columns).where(table.c[BATCH_COLUMN] == batch_id)
            result = conn.execute(query)
            names = list(result.keys())
            rows = result.fetchall()
        return pl.DataFrame([tuple(r) for r in rows], schema=names, orient="row",
                            infer_schema_length=None).lazy()

    def _in_ledger(self, conn: sa.Connection, batch_id: str) -> bool:
        query = sa.select(self._ledger.c.batch_id).where(self._ledger.c.batch_id == batch_id)
        return conn.execute(query).first() is not None

    def _target(self, frame: pl.DataFrame) -> sa.Table:
        """The target table: reflected when it exists, else created from the frame's schema."""
        if self._table is not None:
            return self._table
        metadata = sa.MetaData(schema=self.schema)
        if sa.inspect(self.engine).has_table(self.table_name, schema=self.schema):
            table = sa.Table(self.table_name, metadata, autoload_with=self.engine, quote=True)
        else:
            columns = [sa.Column(name, sql_type(dtype, name), quote=True)
                       for name, dtype in frame.schema.items() if name != BATCH_COLUMN]
            columns.append(sa.Column(BATCH_COLUMN, sa.String(255), quote=True))
            table = sa.Table(self.table_name, metadata, *columns, quote=True)
            table.create(self.engine, checkfirst=True)
        self._table = table
        return table

    def _check_columns(self, table: sa.Table, frame: pl.DataFrame) -> None:
        missing = [c for c in frame.columns if c not in table.c]
        if missing:
            raise DataError(
                f"table {self.table_name!r} has no column(s) {', '.join(map(repr, missing))}; it has "
                f"{', '.join(map(repr, table.c.keys()))}. Add the columns to the table (integrity "
                "never alters a table it did not create) or drop them in the connector.")

    def __repr__(self) -> str:
        return f"SqlSink({self.location!r})"


def sql_type(dtype: pl.DataType, column: str = "?") -> Any:
    """The SQLAlchemy type that holds a polars dtype without loss (nested values as JSON)."""
    simple: dict[type[pl.DataType], Any] = {
        pl.Boolean: sa.Boolean(), pl.Int8: sa.SmallInteger(), pl.Int16: sa.SmallInteger(),
        pl.Int32: sa.Integer(), pl.Int64: sa.BigInteger(), pl.UInt8: sa.SmallInteger(),
        pl.UInt16: sa.Integer(), pl.UInt32: sa.BigInteger(), pl.UInt64: sa.Numeric(20, 0),
        pl.Float32: sa.Float(), pl.Float64: sa.Double(), pl.String: sa.Text(),
        pl.Categorical: sa.Text(), pl.Enum: sa.Text(), pl.Null: sa.Text(), pl.Date: sa.Date(),
        pl.Time: sa.Time(), pl.Duration: sa.Interval(), pl.Binary: sa.LargeBinary(),
        pl.List: sa.JSON(), pl.Array: sa.JSON(), pl.Struct: sa.JSON(),
    }
    if isinstance(dtype, pl.Datetime):
        return sa.DateTime(timezone=dtype.time_zone is not None)
    if isinstance(dtype, pl.Decimal):
        return sa.Numeric(dtype.precision or 38, dtype.scale)
    for kind, sql in simple.items():
        if isinstance(dtype, kind) or dtype == kind:
            return sql
    raise DataError(f"column {column!r}: polars type {dtype} has no SQL column type; cast it in "
                    "the connector (to String, for instance)")
