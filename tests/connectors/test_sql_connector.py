"""SqlConnector against a real SQLite file and a real PostgreSQL server, through every read path.

PostgreSQL comes from ``INTEGRITY_TEST_PG_URL``; when it is unreachable these tests are skipped with
the reason, except under ``CI=true`` where a missing database is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from integrity.connectors import registry
from integrity.connectors.base import Watermark
from integrity.connectors.sql import SqlConnector
from integrity.errors import ConfigError, ConnectorError
from tests.pg import PG_URL, require_postgres

ENGINES = ["adbc", "connectorx", "sqlalchemy", "auto"]
D1, D2, D3 = (dt.datetime(2024, 1, d, 9, 30) for d in (1, 2, 3))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sql') / 'source.db'}"
    return require_postgres()


@pytest.fixture
def make_table(db_url: str) -> Iterator[Any]:
    """Create a uniquely named feedback table (the name has a quote and a space) with rows."""
    engine = sa.create_engine(db_url)
    made: list[sa.Table] = []

    def make(rows: list[dict[str, Any]], name: str | None = None, schema: str | None = None) -> sa.Table:
        meta = sa.MetaData()
        table = sa.Table(name or f'fb "q" {uuid.uuid4().hex[:8]}', meta,
                         sa.Column("id", sa.Integer), sa.Column("updated_at", sa.DateTime),
                         sa.Column("body", sa.Text), schema=schema)
        meta.create_all(engine)
        made.append(table)
        insert(table, rows)
        return table

    def insert(table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            with engine.begin() as conn:
                conn.execute(table.insert(), rows)

    make.insert = insert  # type: ignore[attr-defined]
    make.engine = engine  # type: ignore[attr-defined]
    yield make
    for table in made:
        table.drop(engine, checkfirst=True)
    engine.dispose()


def rows(*specs: tuple[int, dt.datetime]) -> list[dict[str, Any]]:
    return [{"id": i, "updated_at": ts, "body": f"text {i}"} for i, ts in specs]


@pytest.mark.parametrize("engine", ENGINES)
def test_incremental_pulls_deduplicate_the_boundary(db_url: str, make_table: Any, engine: str) -> None:
    table = make_table(rows((1, D1), (2, D2), (3, D2)))
    with SqlConnector(dataset="fb", cursor="updated_at", url=db_url, table=table.name,
                      engine=engine) as conn:
        first = conn.pull(Watermark())
        assert first.frame["id"].to_list() == [1, 2, 3]
        assert engine in first.info.source or engine == "auto"
        # A row at the boundary timestamp arrives late, plus a newer one.
        make_table.insert(table, rows((4, D2), (5, D3)))
        second = conn.pull(first.next_watermark)
        assert sorted(second.frame["id"].to_list()) == [4, 5]
        third = conn.pull(second.next_watermark)
        assert third.frame.height == 0
        assert third.frame.columns == ["id", "updated_at", "body"]


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_cursor_and_backfill(db_url: str, make_table: Any, engine: str) -> None:
    table = make_table(rows((1, D1), (2, D1), (3, D2), (4, D3)))
    with SqlConnector(dataset="fb", cursor="id", url=db_url, table=table.name, engine=engine) as conn:
        assert conn.pull(Watermark(2), until=3).frame["id"].to_list() == [2, 3]


@pytest.mark.parametrize("engine", ENGINES)
def test_datetime_backfill_window(db_url: str, make_table: Any, engine: str) -> None:
    table = make_table(rows((1, D1), (2, D2), (3, D3)))
    with SqlConnector(dataset="fb", cursor="updated_at", url=db_url, table=table.name,
                      engine=engine) as conn:
        batch = conn.pull(Watermark(D2.isoformat()), until=D2.isoformat())
        assert batch.frame["id"].to_list() == [2]


@pytest.mark.parametrize("engine", ENGINES)
def test_query_source_is_filtered_by_cursor(db_url: str, make_table: Any, engine: str) -> None:
    table = make_table(rows((1, D1), (2, D2), (3, D3)))
    quoted = make_table.engine.dialect.identifier_preparer.quote(table.name)
    query = f"SELECT id, body, updated_at FROM {quoted} WHERE id <> 3"
    with SqlConnector(dataset="fb", cursor="id", url=db_url, query=query, engine=engine) as conn:
        batch = conn.pull(Watermark(2))
        assert batch.frame["id"].to_list() == [2]
        assert "query" in batch.info.source


def test_password_is_hidden_in_the_source(db_url: str, make_table: Any) -> None:
    table = make_table(rows((1, D1)))
    batch = SqlConnector(dataset="fb", url=db_url, table=table.name).pull(Watermark())
    url = sa.make_url(db_url)
    if url.password:
        assert str(url.password) not in batch.info.source.replace(str(url.username), "")
        assert "***" in batch.info.source


def test_injection_looking_table_name_fails_safely(db_url: str, make_table: Any) -> None:
    victim = make_table(rows((1, D1)))
    evil = f'x"; DROP TABLE "{victim.name}"; --'
    with pytest.raises(ConnectorError, match="does not exist") as err:
        SqlConnector(dataset="fb", url=db_url, table=evil).pull(Watermark())
    assert victim.name in str(err.value)  # listed among the existing tables
    with make_table.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(victim)).scalar() == 1


def test_a_table_whose_name_is_hostile_sql_is_just_a_name(db_url: str, make_table: Any) -> None:
    name = "t'; DELETE FROM x; --"
    table = make_table(rows((7, D1)), name=name)
    batch = SqlConnector(dataset="fb", cursor="id", url=db_url, table=table.name).pull(Watermark(1))
    assert batch.frame["id"].to_list() == [7]


def test_unknown_table_lists_tables(db_url: str, make_table: Any) -> None:
    table = make_table(rows((1, D1)))
    with pytest.raises(ConnectorError, match=r"does not exist.*Tables: .*") as err:
        SqlConnector(dataset="fb", url=db_url, table=table.name + "x").pull(Watermark())
    assert f"Did you mean {table.name!r}" in str(err.value)
    assert not err.value.transient


def test_missing_or_renamed_cursor_column_lists_columns(db_url: str, make_table: Any) -> None:
    table = make_table(rows((1, D1)))
    with pytest.raises(ConnectorError, match=r"cursor column 'updated'.*Did you mean 'updated_at'.*"
                                             r"Columns: id, updated_at, body"):
        SqlConnector(dataset="fb", cursor="updated", url=db_url, table=table.name).pull(Watermark())


def test_schema_change_between_runs_is_reported(db_url: str, make_table: Any) -> None:
    table = make_table(rows((1, D1)))
    conn = SqlConnector(dataset="fb", cursor="updated_at", url=db_url, table=table.name)
    first = conn.pull(Watermark())
    with make_table.engine.begin() as c:
        quoted = make_table.engine.dialect.identifier_preparer.quote(table.name)
        c.execute(sa.text(f"ALTER TABLE {quoted} RENAME COLUMN updated_at TO modified_at"))
    with pytest.raises(ConnectorError, match=r"cursor column 'updated_at' is not in .*modified_at"):
        conn.pull(first.next_watermark)
    conn.close()


def test_bad_query_is_a_connector_error(db_url: str) -> None:
    with pytest.raises(ConnectorError, match="cannot run the query"):
        SqlConnector(dataset="fb", url=db_url, query="SELECT nope FROM no_such_table").pull(Watermark())


@pytest.mark.parametrize(("query", "problem"), [
    ("SELEC nonsense", "is not a SELECT"),
    ("DROP TABLE feedback", "is a DROP statement, not a SELECT"),
    ("SELECT 1; DELETE FROM feedback", "holds 2 statements"),
    ("WITH gone AS (DELETE FROM feedback RETURNING *) SELECT * FROM gone",
     "contains a DELETE statement"),
    ("SELECT * INTO copy FROM feedback", "SELECT INTO"),
    ("SELECT * FROM feedback FOR UPDATE", "locks rows"),
    ("SELECT pg_sleep(30), * FROM feedback", "calls pg_sleep()"),
    ("SELECT * FROM feedback WHERE 'x' = 'y", "cannot be parsed as SQL"),
])
def test_a_query_that_is_not_one_read_only_select_is_refused(db_url: str, query: str,
                                                              problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SqlConnector(dataset="fb", url=db_url, query=query)
    message = str(caught.value)
    assert message.startswith("dataset 'fb': 'query' ") and problem in message, message
    assert "Write one read-only SELECT" in message and "\n" not in message


def test_read_only_queries_are_accepted(db_url: str) -> None:
    for query in ("SELECT * FROM feedback WHERE rating > 2",
                  "WITH good AS (SELECT * FROM feedback) SELECT * FROM good",
                  "SELECT id FROM feedback UNION ALL SELECT id FROM feedback -- twice"):
        SqlConnector(dataset="fb", url=db_url, query=query)


def test_exactly_one_of_table_and_query() -> None:
    with pytest.raises(ConfigError, match="exactly one of 'table' and 'query'"):
        SqlConnector(dataset="fb", url="sqlite:///x.db")
    with pytest.raises(ConfigError, match="exactly one"):
        SqlConnector(dataset="fb", url="sqlite:///x.db", table="t", query="select 1")
    with pytest.raises(ConfigError, match="Did you mean 'adbc'"):
        SqlConnector(dataset="fb", url="sqlite:///x.db", table="t", engine="abdc")


def test_unreachable_database_is_transient_and_hides_the_password() -> None:
    url = "postgresql+psycopg://reader:Sup3rS3cretPw@127.0.0.1:1/warehouse"
    with pytest.raises(ConnectorError) as err:
        SqlConnector(dataset="fb", url=url, table="t", connect_timeout=1).pull(Watermark())
    message = str(err.value)
    assert err.value.transient
    assert "Sup3rS3cretPw" not in message
    assert "127.0.0.1:1" in message and "'warehouse'" in message
    assert "Check that the server is running" in message


def test_wrong_password_hides_the_password() -> None:
    require_postgres()
    url = sa.make_url(PG_URL).set(password="Wr0ngPassw0rd!")
    with pytest.raises(ConnectorError) as err:
        SqlConnector(dataset="fb", url=url.render_as_string(hide_password=False), table="t",
                     connect_timeout=1).pull(Watermark())
    assert "Wr0ngPassw0rd" not in str(err.value)
    assert "credentials" in str(err.value)


def test_missing_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="does not exist"):
        SqlConnector(dataset="fb", url=f"sqlite:///{tmp_path / 'nope.db'}", table="t").pull(Watermark())
    assert not (tmp_path / "nope.db").exists()


def test_postgres_schema_and_timestamptz() -> None:
    require_postgres()
    engine = sa.create_engine(PG_URL)
    schema = f"odd schema {uuid.uuid4().hex[:6]}"
    meta = sa.MetaData()
    table = sa.Table("events", meta, sa.Column("id", sa.Integer),
                     sa.Column("at", sa.DateTime(timezone=True)), schema=schema)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        meta.create_all(engine)
        utc = dt.UTC
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "at": dt.datetime(2024, 1, 1, tzinfo=utc)},
                                          {"id": 2, "at": dt.datetime(2024, 1, 2, tzinfo=utc)}])
        for engine_name in ENGINES:
            conn2 = SqlConnector(dataset="ev", cursor="at", url=PG_URL, table="events", schema=schema,
                                 engine=engine_name)
            first = conn2.pull(Watermark("2024-01-02T00:00:00+00:00"))
            assert first.frame["id"].to_list() == [2], engine_name
            assert conn2.pull(first.next_watermark).frame.height == 0
            conn2.close()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def test_registry_builds_sql_connectors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1), (2)"))
    with registry().create("sql", "ds", "id", {"url": url, "table": "t"}) as conn:
        assert conn.pull(Watermark(2)).frame["id"].to_list() == [2]


def test_postgres_read_by_connectorx_needs_no_driver_connection() -> None:
    """With connectorx reading, the table is described by connectorx too: the DBAPI driver is never
    imported (0.2 to 0.3 s a pull), and the rows are those the SQLAlchemy path reads."""
    url = require_postgres()
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(f'fb "q" {uuid.uuid4().hex[:8]}', meta, sa.Column("id", sa.Integer),
                     sa.Column("updated_at", sa.DateTime), sa.Column("body", sa.Text))
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), rows((1, D1), (2, D2), (3, D3)))
        code = (
            "import sys, json\n"
            "from integrity.connectors.sql import SqlConnector\n"
            "from integrity.connectors.base import Watermark\n"
            "c = SqlConnector(dataset='fb', cursor='updated_at', url=sys.argv[1], table=sys.argv[2])\n"
            "b = c.pull(Watermark('2024-01-02T00:00:00'))\n"
            "print(json.dumps([b.info.source.split(']')[0], 'psycopg' in sys.modules,\n"
            "                  b.frame['id'].to_list(), str(b.frame.schema['updated_at'])]))\n"
        )
        done = subprocess.run([sys.executable, "-c", code, url, table.name], capture_output=True,
                              text=True, timeout=120, check=True)
        path, driver_imported, ids, dtype = json.loads(done.stdout)
        assert path == "sql[connectorx" and not driver_imported and ids == [2, 3]
        full = SqlConnector(dataset="fb", cursor="updated_at", url=url, table=table.name,
                            engine="sqlalchemy").pull(Watermark("2024-01-02T00:00:00"))
        assert full.frame["id"].to_list() == ids and str(full.frame.schema["updated_at"]) == dtype
    finally:
        table.drop(engine)
        engine.dispose()
