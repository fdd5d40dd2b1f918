"""Late rows and NULL cursors on a real PostgreSQL source: the cheap count query finds them, the rows
below the watermark are pulled only then, and each lands once under each ``late_rows`` policy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from integrity.connectors.sql import SqlConnector
from integrity.job import run
from tests.connectors.test_landing import Recorder
from tests.job.test_run import make_project, published_ids, quarantined_ids
from tests.pg import require_postgres

pytestmark = pytest.mark.integration

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def table() -> Iterator[tuple[str, sa.Engine]]:
    engine = sa.create_engine(require_postgres())
    name = f"late_{uuid.uuid4().hex[:12]}"
    meta = sa.MetaData()
    sa.Table(name, meta, sa.Column("id", sa.Integer), sa.Column("customer_id", sa.Text),
             sa.Column("rating", sa.Integer), sa.Column("text", sa.Text),
             sa.Column("created_at", sa.DateTime(timezone=True)))
    meta.create_all(engine)
    try:
        yield name, engine
    finally:
        meta.drop_all(engine)
        engine.dispose()


def add(engine: sa.Engine, name: str, rows: list[tuple[int, int | None]]) -> None:
    target = sa.table(name, sa.column("id"), sa.column("customer_id"), sa.column("rating"),
                      sa.column("text"), sa.column("created_at"))
    with engine.begin() as conn:
        conn.execute(sa.insert(target), [
            {"id": i, "customer_id": f"C-{i}", "rating": 3, "text": f"text {i}",
             "created_at": None if minute is None else T0 + dt.timedelta(minutes=minute)}
            for i, minute in rows])


@pytest.fixture
def store_database() -> Iterator[str]:
    """A PostgreSQL database of its own for a results store (JSONB gives keys back reordered)."""
    admin = sa.create_engine(require_postgres(), isolation_level="AUTOCOMMIT")
    name = f"late_store_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # the name is ours: letters, digits, _
    try:
        yield sa.make_url(require_postgres()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.mark.parametrize(("policy", "store"), [("quarantine", "sqlite"), ("warn", "sqlite"),
                                               ("drop", "sqlite"), ("quarantine", "postgresql")])
def test_late_rows_and_null_cursors_on_postgresql(tmp_path: Path, table: tuple[str, sa.Engine],
                                                 policy: str, store: str,
                                                 request: pytest.FixtureRequest) -> None:
    name, engine = table
    add(engine, name, [(i, None if i in (0, 1) else i) for i in range(12)])
    store_url = request.getfixturevalue("store_database") if store == "postgresql" \
        else "sqlite:///state/integrity.db"
    project = make_project(tmp_path, connector={"type": "sql", "params": {
        "url": require_postgres(), "table": name}}, cursor={"column": "created_at"},
        extra={"late_rows": policy}, store_url=store_url)
    [first] = run(project, "feedback").batches
    assert (first.null_cursor_rows, first.late_rows) == (2, 0)
    assert run(project, "feedback").batches == []
    add(engine, name, [(20, 3), (21, None), (22, 30), (23, 11)])  # 23 sits at the watermark: new
    [second] = run(project, "feedback").batches
    assert (second.null_cursor_rows, second.late_rows) == (1, 1)
    assert run(project, "feedback").batches == []
    set_apart = [0, 1, 20, 21]
    everything = [*range(12), 20, 21, 22, 23]
    if policy == "quarantine":
        assert quarantined_ids(tmp_path) == set_apart
        assert published_ids(tmp_path) == [i for i in everything if i not in set_apart]
    elif policy == "warn":
        assert published_ids(tmp_path) == everything and quarantined_ids(tmp_path) == []
    else:
        assert published_ids(tmp_path) == [i for i in everything if i not in set_apart]
        assert [first.dropped_rows, second.dropped_rows] == [2, 2]


def test_a_normal_pull_leaves_the_rows_below_the_watermark_at_the_source(
        tmp_path: Path, table: tuple[str, sa.Engine]) -> None:
    """Counts agree: only the rows past the watermark are read (the count query is all it costs);
    a late row makes the counts differ, and only then are the rows below read and looked up."""
    name, engine = table
    add(engine, name, [(i, i) for i in range(50)])
    job = Recorder(tmp_path / "ledger")
    with SqlConnector(dataset="d", cursor="created_at", url=require_postgres(), table=name) as conn:
        since = job.record(conn.pull(job.start()))
        add(engine, name, [(50, 50)])
        batch = conn.pull(since)
        assert batch.frame["id"].to_list() == [50] and batch.late is None
        assert "rows below the watermark" not in batch.info.source
        since = job.record(batch)
        add(engine, name, [(60, 5), (61, None)])
        batch = conn.pull(since)
    assert batch.late is not None and sorted(batch.late["id"].to_list()) == [60, 61]
    assert batch.info.source.endswith("+ rows below the watermark")
