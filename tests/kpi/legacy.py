"""A store at revision 0001 (before the KPI) holding two runs' records, and what revision 0003 must
make of them: the new columns filled in from what was recorded, and the views counting it."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from integrity.kpi import read_view
from integrity.store import Store, connect

T0 = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)


def at_0001(url: str) -> None:
    """Migrate a new database at ``url`` to revision 0001 only, and record two batches as the job
    did then (every value through bound parameters, in the shapes 0001 had)."""
    parsed = connect.parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        parsed = connect.prepare_sqlite_file(parsed)
    engine = connect.create_store_engine(parsed)
    config = Config()
    config.set_main_option("script_location", str(connect.MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        json_type = sa.JSON()
        runs = sa.table("runs", sa.column("id"), sa.column("dataset"), sa.column("status"),
                        sa.column("started_at", sa.DateTime(timezone=True)),
                        sa.column("summary", json_type))
        batches = sa.table(
            "batches", *(sa.column(c) for c in ("batch_id", "dataset", "run_id", "status",
                                                "row_count", "published_rows",
                                                "quarantined_rows")),
            *(sa.column(c, json_type) for c in ("info", "watermark_before", "watermark_after")),
            *(sa.column(c, sa.DateTime(timezone=True)) for c in ("created_at", "completed_at")))
        results = sa.table(
            "expectation_results",
            *(sa.column(c) for c in ("batch_id", "run_id", "dataset", "suite_name",
                                     "expectation_index", "expectation_type", "column_name",
                                     "success", "outcome", "unexpected_count")),
            *(sa.column(c, json_type) for c in ("kwargs", "result")),
            sa.column("success", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)))
        quarantine = sa.table(
            "quarantine", *(sa.column(c) for c in ("id", "dataset", "batch_id", "path", "rows",
                                                   "status")),
            sa.column("reasons", json_type), sa.column("created_at", sa.DateTime(timezone=True)))
        with engine.begin() as conn:
            for run_id, (batch, published, held, null_ok) in enumerate(
                    [("old1", 10, 0, True), ("old2", 6, 4, False)], start=1):
                start = T0 + dt.timedelta(hours=run_id)
                conn.execute(sa.insert(runs).values(id=run_id, dataset="legacy", status="clean",
                                                    started_at=start, summary={}))
                conn.execute(sa.insert(batches).values(
                    batch_id=batch, dataset="legacy", run_id=run_id,
                    status="published" if null_ok else "partial", row_count=10,
                    published_rows=published, quarantined_rows=held,
                    info={"pulled_at": (start - dt.timedelta(seconds=40)).isoformat()},
                    watermark_before={}, watermark_after={}, created_at=start, completed_at=start))
                for index, (kind, ok, column) in enumerate(
                        [("expect_column_values_to_not_be_null", null_ok, "customer"),
                         ("expect_column_values_to_be_unique", True, "id")]):
                    meta = {"tag": "pii"} if index == 0 else {}
                    conn.execute(sa.insert(results).values(
                        batch_id=batch, run_id=run_id, dataset="legacy", suite_name="s",
                        expectation_index=index, expectation_type=kind, column_name=column,
                        success=ok, outcome="passed" if ok else "failed",
                        unexpected_count=0 if ok else 4, kwargs={"column": column},
                        result={"expectation_config": {"type": kind, "meta": meta}},
                        created_at=start))
                if held:
                    conn.execute(sa.insert(quarantine).values(
                        id=f"q-{batch}", dataset="legacy", batch_id=batch, path="/q", rows=held,
                        status="held", created_at=start,
                        reasons=json.loads(json.dumps([{
                            "expectation_index": 0, "action": "quarantine_rows",
                            "expectation_type": "expect_column_values_to_not_be_null",
                            "unexpected_count": 4}]))))
    finally:
        engine.dispose()


def check_upgraded(url: str) -> None:
    """Opening the 0001 store migrates it; the KPI counts what it held."""
    with Store.open(url) as store:
        assert connect.current_revision(store.engine) == connect.HEAD_REVISION
        daily = read_view(store, "daily").row(0, named=True)
        assert (daily["dataset"], daily["day"]) == ("legacy", T0.date())
        assert (daily["batches"], daily["batches_passed"], daily["batches_quarantined"]) == (2, 1, 1)
        assert (daily["rows_published"], daily["rows_quarantined"]) == (16, 4)
        assert abs(daily["time_to_detect_avg_s"] - 40) < 1e-3  # pulled_at came from the JSON
        indicators = [tuple(r) for r in read_view(store, "indicators").iter_rows()]
        assert indicators == [("legacy", T0.date(), "expect_column_values_to_not_be_null", "pii",
                               "column_map", 1, 4)]
        coverage = read_view(store, "coverage").row(0, named=True)
        assert (coverage["checked_batch_id"], coverage["expectations"], coverage["families"]) == (
            "old2", 2, 1)
