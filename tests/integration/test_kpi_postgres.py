"""The KPI views on a real PostgreSQL: the known history gives the same numbers as on SQLite, the
exports read back in duckdb and prometheus_client's parser, and revision 0003 fills in a store
that earlier versions wrote. Every test gets a database of its own (dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from integrity.kpi import export
from integrity.kpi.prometheus import exposition
from integrity.store import Store
from tests.kpi import history as hist
from tests.kpi.checks import check_views, check_windows
from tests.kpi.legacy import at_0001, check_upgraded
from tests.pg import PG_URL

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_url(admin: sa.Engine) -> Iterator[str]:
    name = f"integrity_kpi_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)  # ours (hex), quoted by the dialect
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def test_views_and_exports_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    with Store.open(pg_url) as store:
        h = hist.build(store)
        check_views(store, h)
        check_windows(store)

        path = tmp_path / "daily.parquet"
        assert export(store, "parquet", path) == 4
        with duckdb.connect() as con:
            got = con.execute("SELECT dataset, day, batches, rows_published, integrity_score, "
                              "time_to_resolve_avg_s FROM read_parquet(?) ORDER BY dataset, day",
                              [str(path)]).fetchall()
        assert got == [("orders", hist.DAY1, 3, 165, pytest.approx(165 / 170), 7200.0),
                       ("orders", hist.DAY2, 1, 0, 0.0, 3600.0),
                       ("orders", hist.DAY4, 1, 10, 1.0, None),
                       ("tickets", hist.DAY2, 1, 30, 1.0, None)]

        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(
                       exposition(store, today=lambda: hist.DAY2))
                   for s in f.samples}
        assert samples[("integrity_rows_total", (("dataset", "orders"),
                                                 ("outcome", "quarantined")))] == 45
        assert samples[("integrity_time_to_resolve_seconds", (("dataset", "orders"),))] == 3600.0
        assert samples[("integrity_last_verdict_timestamp_seconds", (("dataset", "tickets"),))] \
            == h.completed["t1"].timestamp()
        lag = samples[("integrity_freshness_lag_seconds", (("dataset", "tickets"),))]
        assert abs(lag - (dt.datetime.now(dt.UTC) - h.completed["t1"]).total_seconds()) < 30


def test_the_migration_fills_in_a_postgresql_store(pg_url: str) -> None:
    at_0001(pg_url)
    check_upgraded(pg_url)
