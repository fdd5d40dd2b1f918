"""A PostgreSQL results store that is missing (a database without integrity's tables) while the
project shows earlier runs: refused, with the password hidden, unless --new-store; a fresh project
creates it. Each test gets its own database and role (see test_pipeline_postgres)."""

# The pg fixture comes from test_pipeline_postgres; pytest passes it by parameter name (F811).
# ruff: noqa: F811
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from integrity.job import Project, run
from integrity.store import Store
from integrity.store.connect import StoreMissingError
from integrity.store.kpi_views import drop_views
from integrity.store.schema import metadata
from tests.cli.test_run_cli import clear_error, cli
from tests.integration.test_pipeline_postgres import SECRET_ENV, Pg, add_rows, pg, pg_project  # noqa: F401

pytestmark = pytest.mark.integration


def store_tables(pg: Pg) -> set[str]:
    engine = pg.engine()
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names()) & {*metadata.tables, "alembic_version"}
    engine.dispose()
    return names


def drop_store(pg: Pg) -> None:
    engine = pg.engine()
    with engine.begin() as conn:
        drop_views(conn)  # the KPI views read the tables
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE alembic_version"))
    engine.dispose()


def test_open_without_create_reports_a_database_without_our_tables(pg: Pg) -> None:
    add_rows(pg, 0, 1)  # the database holds a table, just none of ours
    with pytest.raises(StoreMissingError) as caught:
        Store.open(pg.url, create=False)
    assert "holds no results store" in str(caught.value) and pg.password not in str(caught.value)
    assert store_tables(pg) == set()
    Store.open(pg.url).close()
    with Store.open(pg.url, create=False) as store:
        assert store.runs() == []


def test_a_dropped_store_with_local_state_is_refused_unless_new_store(
        tmp_path: Path, pg: Pg, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, pg.password)
    add_rows(pg, 0, 10, bad=(4,))
    project = pg_project(tmp_path, pg)
    assert run(project, "feedback").exit_code == 1  # fresh: the store is created; row 4 is held
    drop_store(pg)

    refused = cli("run", "feedback", "--project", str(project.root), env=pg.env)
    message = clear_error(refused, "holds no results store", "1 quarantine entry in", "--new-store")
    assert pg.password not in message + refused.stdout
    assert store_tables(pg) == set()  # nothing created

    summary = run(Project.load(project.root, new_store=True), "feedback")
    assert summary.batches and store_tables(pg)
