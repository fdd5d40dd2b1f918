"""``integrity run`` against a real PostgreSQL: a source table, a SQL publish target and the results
store all on the server, every URL written with a ``${...}`` secret reference; the advisory lock
that keeps two runs of one dataset apart; a release into the SQL target.

Each test gets a database and a login role (with a distinctive password) of its own, dropped
afterwards. The server comes from ``INTEGRITY_TEST_PG_URL`` (a role allowed to create roles and
databases); without one the tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from integrity.job import FAILPOINT_ENV, Project
from integrity.store import Store
from tests.cli.test_run_cli import clear_error, cli
from tests.job.test_run import make_project
from tests.pg import PG_URL

pytestmark = pytest.mark.integration

ADMIN_URL = PG_URL
SECRET_ENV = "INTEGRITY_TEST_PIPELINE_PG_PASSWORD"


class Pg:
    """One test's database, its owner role and password, and URLs with and without the secret."""

    def __init__(self, admin: sa.Engine) -> None:
        tag = uuid.uuid4().hex[:10]
        self.role, self.database = f"integrity_t_{tag}", f"integrity_p_{tag}"
        self.password = f"pw-{uuid.uuid4().hex}"
        base = sa.make_url(ADMIN_URL)
        self.host, self.port = base.host or "127.0.0.1", base.port or 5432
        self.reference = (f"postgresql+psycopg://{self.role}:${{{SECRET_ENV}}}@{self.host}:"
                          f"{self.port}/{self.database}")
        self.url = self.reference.replace(f"${{{SECRET_ENV}}}", self.password)
        self.env = {SECRET_ENV: self.password}

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)


@pytest.fixture
def pg(admin: sa.Engine) -> Iterator[Pg]:
    db = Pg(admin)
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as conn:
        # Identifiers and the password literal cannot be bound parameters; all are ours (hex).
        conn.execute(sa.text(f"CREATE ROLE {quote(db.role)} LOGIN PASSWORD '{db.password}'"))
        conn.execute(sa.text(f"CREATE DATABASE {quote(db.database)} OWNER {quote(db.role)}"))
    try:
        yield db
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(db.database)} WITH (FORCE)"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {quote(db.role)}"))


def add_rows(pg: Pg, start: int, count: int, *, bad: tuple[int, ...] = ()) -> None:
    engine = pg.engine()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS feedback (id integer, customer_id text, "
                             "rating integer, text text, created_at timestamptz)"))
        base = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        conn.execute(sa.text("INSERT INTO feedback VALUES (:id, :c, :r, :t, :at)"), [
            {"id": i, "c": None if i in bad else f"C-{i}", "r": 3, "t": f"text {i}",
             "at": base + dt.timedelta(minutes=i)} for i in range(start, start + count)])
    engine.dispose()


def pg_project(root: Path, pg: Pg) -> Project:
    return make_project(
        root, store_url=pg.reference, cursor={"column": "created_at"},
        connector={"type": "sql", "params": {"url": pg.reference, "table": "feedback"}},
        publish={"kind": "sql", "url": pg.reference, "table": "feedback_clean"})


def everything_stored(pg: Pg) -> str:
    """Every row of every table in the test database, as text (to look for leaked secrets)."""
    engine = pg.engine()
    with engine.connect() as conn:
        tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        quote = engine.dialect.identifier_preparer.quote
        text = "\n".join(str(row) for (name,) in list(tables)
                         for row in conn.execute(sa.text(f"SELECT t::text FROM {quote(name)} t")))
    engine.dispose()
    return text


def clean_ids(pg: Pg) -> list[int]:
    engine = pg.engine()
    with engine.connect() as conn:
        ids = sorted(r[0] for r in conn.execute(sa.text("SELECT id FROM feedback_clean")))
    engine.dispose()
    return ids


def test_source_target_and_store_on_postgres_with_secret_references(tmp_path: Path, pg: Pg) -> None:
    add_rows(pg, 0, 20, bad=(7,))
    project = pg_project(tmp_path, pg)
    first = cli("run", "feedback", "--project", str(project.root), env=pg.env)
    assert first.code == 1, first.stderr
    assert clean_ids(pg) == [i for i in range(20) if i != 7]

    add_rows(pg, 20, 5)
    second = cli("run", "feedback", "--project", str(project.root), env=pg.env)
    assert second.code == 0, second.stderr
    assert clean_ids(pg) == [i for i in range(25) if i != 7]
    assert "no new rows" in cli("run", "feedback", "--project", str(project.root), env=pg.env).stdout

    # The store is on the server: runs, batches, the watermark and the held entry.
    with Store.open(pg.url) as store:
        assert [r["status"] for r in store.runs("feedback")] == ["empty", "clean", "quarantined"]
        assert store.watermark("feedback")["value"].startswith("2025-03-01T00:24")  # type: ignore[index]
        assert len(store.quarantine_entries("feedback")) == 1
    assert all(pg.password not in r.stdout + r.stderr for r in (first, second))
    assert pg.password not in everything_stored(pg)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".yaml", ".jsonl", ".txt", ".lock"):
            assert pg.password not in path.read_text(errors="replace"), path


def test_release_into_the_postgres_target_exactly_once(tmp_path: Path, pg: Pg) -> None:
    add_rows(pg, 0, 5, bad=(2,))
    project = pg_project(tmp_path, pg)
    assert cli("run", "feedback", "--project", str(project.root), env=pg.env).code == 1
    with Store.open(pg.url) as store:
        (entry,) = store.quarantine_entries("feedback")
    released = cli("quarantine", "release", entry.id, "--steward", "maria", "--note", "ok",
                   "--project", str(project.root), env=pg.env)
    assert released.code == 0, released.stderr
    assert clean_ids(pg) == list(range(5))
    clear_error(cli("quarantine", "release", entry.id, "--steward", "maria",
                    "--project", str(project.root), env=pg.env), "already released")
    assert clean_ids(pg) == list(range(5))
    with Store.open(pg.url) as store:
        assert [(a.action, a.actor, a.note) for a in store.audit()] == [
            ("quarantine.released", "maria", "ok")]
    assert pg.password not in released.stdout + released.stderr + everything_stored(pg)


def test_a_reject_after_a_killed_release_deletes_its_rows_from_the_postgres_target(
        tmp_path: Path, pg: Pg) -> None:
    add_rows(pg, 0, 6, bad=(2, 4))
    project = pg_project(tmp_path, pg)
    root = ["--project", str(project.root)]
    assert cli("run", "feedback", *root, env=pg.env).code == 1
    with Store.open(pg.url) as store:
        (entry,) = store.quarantine_entries("feedback")
    killed = cli("quarantine", "release", entry.id, "--steward", "maria", *root,
                 env={**pg.env, FAILPOINT_ENV: "after_release_manifest"})
    assert killed.code == -signal.SIGKILL
    assert clean_ids(pg) == list(range(6))  # published, then the release was killed
    rejected = cli("quarantine", "reject", entry.id, "--steward", "tom", "--note", "no", *root,
                   env=pg.env)
    assert rejected.code == 0, rejected.stderr
    assert clean_ids(pg) == [0, 1, 3, 5]  # exactly the released rows were deleted
    with Store.open(pg.url) as store:
        assert store.quarantine_entry(entry.id).status == "rejected"  # type: ignore[union-attr]
        trail = [(a.action, a.actor) for a in store.audit()]
    assert trail == [("quarantine.release_abandoned", "tom"), ("quarantine.rejected", "tom")]
    clear_error(cli("quarantine", "release", entry.id, "--steward", "maria", *root, env=pg.env),
                "already rejected (by tom")
    assert clean_ids(pg) == [0, 1, 3, 5]


def test_a_second_run_is_refused_while_the_advisory_lock_is_held(tmp_path: Path, pg: Pg) -> None:
    add_rows(pg, 0, 3)
    project = pg_project(tmp_path, pg)
    with Store.open(pg.url) as store, store.lock("feedback"):
        locked = cli("run", "feedback", "--project", str(project.root), env=pg.env)
    clear_error(locked, "dataset 'feedback' is being run by another process", "advisory lock")
    assert pg.password not in locked.stderr
    ran = cli("run", "feedback", "--project", str(project.root), env=pg.env)
    assert ran.code == 0, ran.stderr
    assert clean_ids(pg) == [0, 1, 2]


def test_a_missing_password_variable_is_named(tmp_path: Path, pg: Pg) -> None:
    project = pg_project(tmp_path, pg)
    result = cli("run", "feedback", "--project", str(project.root), unset=(SECRET_ENV,))
    clear_error(result, f"${{{SECRET_ENV}}}", "integrity.yaml: store_url", f"export {SECRET_ENV}=")
