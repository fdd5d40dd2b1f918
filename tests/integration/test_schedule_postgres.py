"""The scheduler on a PostgreSQL results store: its job store there, one scheduler per store
(advisory lock), runs recorded there, and ``schedule list`` reading it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.clirun import integrity
from tests.job.test_run import make_project, published_ids, write_csv
from tests.schedule.helpers import start, wait_until


@pytest.fixture
def pg_store(admin: sa.Engine) -> Iterator[str]:
    name = f"integrity_sched_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def test_the_scheduler_keeps_its_jobs_and_runs_in_postgres(tmp_path: Path, pg_store: str) -> None:
    write_csv(tmp_path / "src" / "orders.csv", range(0, 10), bad=(3,))
    make_project(tmp_path, name="orders", extra={"schedule": "every 1s"})
    (tmp_path / "integrity.yaml").write_text(yaml.safe_dump({"store_url": pg_store,
                                                             "data_root": "state/data"}))
    engine = sa.create_engine(pg_store)

    def finished() -> int:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("runs"):
                return 0
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM runs WHERE dataset = 'orders' AND status <> 'running'")).scalar()
                or 0)

    scheduler = start(tmp_path)
    try:
        wait_until(lambda: finished() >= 2, 90, "two runs")
        second = integrity("schedule", "start", "--project", str(tmp_path), "--metrics-port", "0")
        assert second.code == 2 and "another `integrity schedule start`" in second.stderr, second
    finally:
        assert scheduler.stop() == 0, scheduler.log()
    try:
        with engine.connect() as conn:
            jobs = conn.execute(sa.text("SELECT id, next_run_time FROM schedule_jobs")).all()
            running = conn.execute(sa.text("SELECT count(*) FROM runs WHERE status = 'running'"))
            assert running.scalar() == 0
    finally:
        engine.dispose()
    assert [j.id for j in jobs] == ["dataset:orders"] and jobs[0].next_run_time > 0
    assert published_ids(tmp_path, "orders") == [i for i in range(10) if i != 3]
    listed = integrity("schedule", "list", "--project", str(tmp_path))
    assert listed.code == 0 and "every 1s" in listed.stdout, listed
