"""The results store against a real SQLite file: migrations, the batch lifecycle, exactly-once
completion, watermarks, quarantine decisions with their audit rows, history, and the run lock."""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from integrity.errors import LockedError, StoreError
from integrity.store import QuarantineRecord, Store, connect
from integrity.store.schema import metadata
from integrity.types import (
    BatchInfo,
    ExpectationConfig,
    ExpectationResult,
    Outcome,
    ValidationResult,
)

LOCK_PROBE = """
import sys
from integrity.errors import LockedError
from integrity.store import Store
with Store.open(sys.argv[1]) as store:
    try:
        with store.lock(sys.argv[2]):
            print("acquired")
    except LockedError as exc:
        print("locked:", exc)
"""


def info(batch_id: str, dataset: str = "orders", rows: int = 10) -> BatchInfo:
    return BatchInfo(dataset=dataset, batch_id=batch_id, source="memory", watermark_from=None,
                     watermark_to=rows, pulled_at="2024-06-01T12:00:00+00:00", row_count=rows,
                     content_hash="c0ffee")


def result(*items: tuple[str, dict[str, Any], bool, dict[str, Any]]) -> ValidationResult:
    return ValidationResult("orders_suite", tuple(
        ExpectationResult(ExpectationConfig(kind, kwargs), ok, res,
                          Outcome.PASSED if ok else Outcome.FAILED)
        for kind, kwargs, ok, res in items))


NOT_NULL = ("expect_column_values_to_not_be_null", {"column": "id"}, True,
            {"element_count": 10, "unexpected_count": 0, "unexpected_percent": 0.0})


def held(entry_id: str, batch_id: str, rows: int = 2) -> QuarantineRecord:
    return QuarantineRecord(id=entry_id, dataset="orders", batch_id=batch_id,
                            path=f"/q/{entry_id}.parquet", rows=rows,
                            reasons=[{"expectation_type": "expect_x", "text": "customer said hi"}],
                            status="held", created_at="2024-06-01T12:00:00+00:00")


def url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return url(tmp_path / "state" / "integrity.db")


@pytest.fixture
def store(db_url: str) -> Any:
    with Store.open(db_url) as opened:
        yield opened


def pending(store: Store, batch_id: str, dataset: str = "orders",
            mark: dict[str, Any] | None = None) -> int:
    run_id = store.start_run(dataset)
    store.begin_batch(run_id, info(batch_id, dataset), {"value": None}, mark or {"value": 10})
    return run_id


def test_open_migrates_a_private_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "integrity.db"
    Store.open(url(path)).close()
    with Store.open(url(path)) as store:  # opening an up-to-date store again is fine
        tables = set(sa.inspect(store.engine).get_table_names())
        with store.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            journal = conn.execute(sa.text("PRAGMA journal_mode")).scalar()
    assert {"alembic_version", "runs", "batches", "expectation_results", "watermarks",
            "quarantine", "audit", "batch_metrics", "baselines", "alert_incidents", "schedule_jobs"} <= tables
    assert version == connect.HEAD_REVISION
    assert journal == "wal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_head_revision_constant_names_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(connect.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == connect.HEAD_REVISION


def _sqlite_schema(path: Path, *, build_fresh: bool) -> list[tuple[Any, ...]]:
    """Open a new SQLite store the given way; return its DDL and its revision."""
    sa_url = connect.prepare_sqlite_file(connect.parse_url(url(path)))
    engine = connect.create_store_engine(sa_url)
    try:
        connect.migrate(engine, engine.execution_options(**{connect.WRITE_OPTION: True}),
                        build_fresh=build_fresh)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diff == [], "schema.py and the migrations disagree; add a migration"
            rows = [(kind, name, table, _table_shape(conn, name) if kind == "table" else sql)
                    for kind, name, table, sql in conn.execute(sa.text(
                        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"))]
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows] + [tuple(v) for v in version]


def _table_shape(conn: sa.Connection, table: str) -> tuple[Any, ...]:
    """A table's columns (order, type, nullability, default, key) and foreign keys. A column that a
    migration adds (ALTER TABLE ... ADD COLUMN) is spelled differently in the table's stored SQL
    than the same column in a CREATE TABLE; what the database does with it is the same."""
    quoted = conn.dialect.identifier_preparer.quote(table)
    columns = conn.exec_driver_sql(f"PRAGMA table_xinfo({quoted})").all()
    keys = conn.exec_driver_sql(f"PRAGMA foreign_key_list({quoted})").all()
    return tuple(tuple(c) for c in columns), tuple(sorted(tuple(k) for k in keys))


def test_migrations_produce_exactly_the_schema_module(tmp_path: Path) -> None:
    migrated = _sqlite_schema(tmp_path / "alembic" / "integrity.db", build_fresh=False)
    built = _sqlite_schema(tmp_path / "fresh" / "integrity.db", build_fresh=True)
    assert (connect.HEAD_REVISION,) in migrated
    # A new store built straight from schema.py is the same database the migrations make.
    assert built == migrated


def test_processes_opening_a_new_store_at_once_migrate_it_once(db_url: str) -> None:
    code = "import sys; from integrity.store import Store; Store.open(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors


def test_unusable_urls_raise_store_errors_without_passwords(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the results store"):
        Store.open(url(blocker / "integrity.db"))
    with pytest.raises(StoreError, match="SQLite or PostgreSQL") as caught:
        Store.open("mysql://me:s3cret@localhost/db")
    assert "s3cret" not in str(caught.value)


def test_in_memory_store_works(tmp_path: Path) -> None:
    with Store.open("sqlite://") as store:
        pending(store, "b1")
        assert store.pending_batch("orders") is not None


def test_runs_are_started_finished_and_listed_newest_first(store: Store) -> None:
    first = store.start_run("orders")
    second = store.start_run("orders")
    store.start_run("other")
    store.finish_run(first, "clean", {"batches": [{"at": dt.datetime(2024, 6, 1)}]})
    runs = store.runs("orders")
    assert [r["run_id"] for r in runs] == [second, first]
    assert runs[1]["status"] == "clean" and runs[1]["finished_at"]
    assert runs[1]["summary"] == {"batches": [{"at": "2024-06-01T00:00:00"}]}
    assert runs[0]["status"] == "running" and runs[0]["finished_at"] is None
    assert len(store.runs()) == 3
    with pytest.raises(StoreError, match="no run 999"):
        store.finish_run(999, "clean", {})


def test_batch_lifecycle_pending_then_completed(store: Store) -> None:
    run_id = pending(store, "b1")
    # A recovered run begins the same batch again: the original pending record is kept.
    store.begin_batch(store.start_run("orders"), info("b1"), {"value": 3}, {"value": 4})
    found = store.pending_batch("orders")
    assert found is not None
    assert (found.batch_id, found.run_id, found.status) == ("b1", run_id, "pending")
    assert found.watermark_after == {"value": 10}
    assert BatchInfo(**found.info) == info("b1")
    assert found.completed_at is None and found.created_at.endswith("+00:00")
    assert store.pending_batch("other") is None

    store.complete_batch("b1", status="published", published_rows=10, quarantined_rows=0,
                         result=result(NOT_NULL), watermark={"value": 10})
    assert store.pending_batch("orders") is None
    done = store.batch("b1")
    assert done is not None and done.status == "published" and done.published_rows == 10
    assert done.completed_at is not None and done.completed_at >= done.created_at
    assert [b.batch_id for b in store.batches("orders")] == ["b1"]
    assert store.batch("nope") is None


def test_complete_batch_records_exactly_once(store: Store) -> None:
    pending(store, "b1")
    args: dict[str, Any] = {"status": "partial", "published_rows": 8, "quarantined_rows": 2,
                            "result": result(NOT_NULL), "watermark": {"value": 10},
                            "quarantine": [held("q" * 32, "b1")]}
    store.complete_batch("b1", **args)
    store.complete_batch("b1", **{**args, "status": "failed", "watermark": {"value": 99}})
    assert store.batch("b1").status == "partial"  # type: ignore[union-attr]
    assert len(store.expectation_history("orders")) == 1
    assert len(store.quarantine_entries()) == 1
    assert store.watermark("orders") == {"value": 10}


def test_complete_batch_rejects_unknown_batches_and_statuses(store: Store) -> None:
    with pytest.raises(StoreError, match="begin_batch"):
        store.complete_batch("ghost", status="published", published_rows=0, quarantined_rows=0,
                             result=None, watermark=None)
    pending(store, "b1")
    with pytest.raises(ValueError, match="published, quarantined"):
        store.complete_batch("b1", status="pending", published_rows=0, quarantined_rows=0,
                             result=None, watermark=None)


def test_watermark_advances_only_when_a_batch_completes(store: Store) -> None:
    assert store.watermark("orders") is None
    pending(store, "b1", mark={"value": 5, "boundary": ["h1"], "files": []})
    assert store.watermark("orders") is None
    store.complete_batch("b1", status="failed", published_rows=0, quarantined_rows=0,
                         result=None, watermark=None)
    assert store.watermark("orders") is None
    pending(store, "b2")
    store.complete_batch("b2", status="published", published_rows=10, quarantined_rows=0,
                         result=None, watermark={"value": 5, "boundary": ["h1"], "files": []})
    assert store.watermark("orders") == {"value": 5, "boundary": ["h1"], "files": []}
    pending(store, "b3")
    store.complete_batch("b3", status="empty", published_rows=0, quarantined_rows=0,
                         result=None, watermark={"value": 7, "boundary": [], "files": []})
    assert store.watermark("orders") == {"value": 7, "boundary": [], "files": []}


def test_complete_batch_is_one_transaction(store: Store) -> None:
    pending(store, "b1")
    duplicate_ids = [held("a" * 32, "b1"), held("a" * 32, "b1")]  # the second insert fails
    with pytest.raises(sa.exc.IntegrityError):
        store.complete_batch("b1", status="partial", published_rows=8, quarantined_rows=4,
                             result=result(NOT_NULL), watermark={"value": 10},
                             quarantine=duplicate_ids)
    assert store.batch("b1").status == "pending"  # type: ignore[union-attr]
    assert store.expectation_history("orders") == []
    assert store.quarantine_entries() == []
    assert store.watermark("orders") is None


def test_every_expectation_result_is_recorded_with_its_metrics(store: Store) -> None:
    pending(store, "b1")
    res = result(
        NOT_NULL,
        ("expect_column_mean_to_be_between", {"column": "amount", "min_value": 0}, False,
         {"observed_value": float("nan")}),
        ("expect_column_pair_values_a_to_be_greater_than_b",
         {"column_A": "end", "column_B": "start"}, True,
         {"observed_value": dt.datetime(2024, 6, 1, tzinfo=dt.UTC), "unexpected_count": 0}),
    )
    store.complete_batch("b1", status="quarantined", published_rows=0, quarantined_rows=10,
                         result=res, watermark=None)
    rows = store.expectation_history("orders")
    assert [r["expectation_index"] for r in rows] == [0, 1, 2]
    assert rows[0]["column_name"] == "id" and rows[0]["success"] is True
    assert (rows[0]["element_count"], rows[0]["unexpected_count"]) == (10, 0)
    assert rows[0]["unexpected_percent"] == 0.0 and rows[0]["outcome"] == "passed"
    assert rows[1]["observed_value"] is None and rows[1]["kwargs"]["min_value"] == 0
    assert rows[2]["column_name"] == "end,start" and rows[2]["column_names"] == ["end", "start"]
    assert rows[2]["observed_value"] == "2024-06-01T00:00:00+00:00"
    assert rows[0]["batch_id"] == "b1" and rows[0]["run_at"] and rows[0]["suite_name"] == "orders_suite"
    with store.engine.connect() as conn:
        full = conn.execute(sa.text("SELECT result FROM expectation_results "
                                    "WHERE expectation_index = :i"), {"i": 1}).scalar()
    assert '"expectation_config"' in full and "NaN" not in full


def test_history_is_oldest_first_filtered_and_keeps_the_latest(store: Store) -> None:
    for n in range(5):
        pending(store, f"b{n}")
        other = ("expect_column_max_to_be_between", {"column": "amount"}, True, {"observed_value": n})
        store.complete_batch(f"b{n}", status="published", published_rows=10, quarantined_rows=0,
                             result=result((NOT_NULL[0], NOT_NULL[1], True,
                                            {"unexpected_count": n}), other),
                             watermark={"value": n})
    counts = [r["unexpected_count"] for r in
              store.expectation_history("orders", "expect_column_values_to_not_be_null")]
    assert counts == [0, 1, 2, 3, 4]
    latest = store.expectation_history("orders", column="amount", limit=2)
    assert [r["observed_value"] for r in latest] == [3, 4]
    assert [r["batch_id"] for r in latest] == ["b3", "b4"]
    assert store.expectation_history("orders", column="nope") == []
    assert store.expectation_history("other") == []


def test_quarantine_decision_writes_its_audit_row(store: Store) -> None:
    pending(store, "b1")
    store.complete_batch("b1", status="partial", published_rows=8, quarantined_rows=2, result=None,
                         watermark={"value": 10}, quarantine=[held("0123456789abcdef", "b1")])
    assert [q.status for q in store.quarantine_entries("orders", "held")] == ["held"]
    released = store.decide_quarantine("0123456789abcdef", decision="released", steward="ann",
                                       note="false positive", details={"ticket": "DQ-7"})
    assert (released.status, released.decided_by, released.note) == ("released", "ann",
                                                                      "false positive")
    assert released.decided_at is not None
    assert store.quarantine_entries(status="held") == []
    (entry,) = store.audit("orders")
    assert (entry.action, entry.subject, entry.actor) == ("quarantine.released",
                                                          "0123456789abcdef", "ann")
    assert entry.details == {"batch_id": "b1", "path": "/q/0123456789abcdef.parquet", "rows": 2,
                             "ticket": "DQ-7"}
    with pytest.raises(StoreError, match="already released"):
        store.decide_quarantine("0123456789abcdef", decision="rejected", steward="bob", note=None)
    assert len(store.audit()) == 1
    with pytest.raises(ValueError, match="released, rejected"):
        store.decide_quarantine("0123456789abcdef", decision="approve", steward="bob", note=None)
    with pytest.raises(StoreError, match="no quarantine entry"):
        store.decide_quarantine("ffffffffffff", decision="rejected", steward="bob", note=None)


def test_quarantine_decision_and_audit_commit_together(store: Store) -> None:
    pending(store, "b1")
    store.complete_batch("b1", status="quarantined", published_rows=0, quarantined_rows=10,
                         result=None, watermark=None, quarantine=[held("e" * 32, "b1")])
    with store.engine.begin() as conn:  # make the audit insert fail inside the decision
        conn.execute(sa.text("CREATE TRIGGER refuse BEFORE INSERT ON audit "
                             "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"))
    with pytest.raises(sa.exc.IntegrityError, match="audit refused"):
        store.decide_quarantine("e" * 32, decision="rejected", steward="ann", note=None)
    assert store.quarantine_entry("e" * 32).status == "held"  # type: ignore[union-attr]


def test_a_decision_is_recorded_under_way_then_final_with_one_audit_row(store: Store) -> None:
    pending(store, "b1")
    ids = ["a" * 16, "b" * 16]
    store.complete_batch("b1", status="quarantined", published_rows=0, quarantined_rows=4,
                         result=None, watermark=None, quarantine=[held(i, "b1") for i in ids])
    releasing = store.start_quarantine_decision("a" * 16, decision="released", steward="ann",
                                                note="fine")
    assert (releasing.status, releasing.decided_by, releasing.note) == ("releasing", "ann", "fine")
    assert store.audit() == []  # nothing is decided until the side effects are done
    with pytest.raises(StoreError, match="already releasing"):
        store.start_quarantine_decision("a" * 16, decision="released", steward="bob", note=None)
    # a reject overrides a release under way, and says so in the same transaction
    rejecting = store.start_quarantine_decision(
        "a" * 16, decision="rejected", steward="bob", note="no", audit_action="quarantine.release_abandoned",
        audit_details={"published": True})
    assert (rejecting.status, rejecting.decided_by) == ("rejecting", "bob")
    with pytest.raises(StoreError, match="already rejecting"):
        store.start_quarantine_decision("a" * 16, decision="released", steward="ann", note=None)
    rejected = store.finish_quarantine_decision("a" * 16, details={"retracted_from": "/p/x"})
    assert rejected.status == "rejected" and rejected.decided_by == "bob"
    with pytest.raises(StoreError, match="already rejected"):
        store.finish_quarantine_decision("a" * 16)
    with pytest.raises(StoreError, match="already held"):  # nothing under way to finish
        store.finish_quarantine_decision("b" * 16)
    abandoned, final = store.audit("orders")
    assert (abandoned.action, abandoned.actor, abandoned.details) == (
        "quarantine.release_abandoned", "bob", {"published": True})
    assert (final.action, final.actor, final.note) == ("quarantine.rejected", "bob", "no")
    assert final.details == {"batch_id": "b1", "path": f"/q/{'a' * 16}.parquet", "rows": 2,
                             "retracted_from": "/p/x"}
    store.start_quarantine_decision("b" * 16, decision="released", steward="ann", note=None)
    assert [q.id for q in store.quarantine_entries("orders", "releasing")] == ["b" * 16]
    assert store.finish_quarantine_decision("b" * 16).status == "released"
    with pytest.raises(ValueError, match="released, rejected"):
        store.start_quarantine_decision("b" * 16, decision="approve", steward="ann", note=None)


def test_pending_batch_ids(store: Store) -> None:
    pending(store, "b1")
    pending(store, "b2")
    store.complete_batch("b1", status="published", published_rows=10, quarantined_rows=0,
                         result=None, watermark=None)
    assert store.pending_batch_ids("orders") == {"b2"}
    assert store.pending_batch_ids("other") == set()


def test_quarantine_entries_are_found_by_unique_prefix(store: Store) -> None:
    pending(store, "b1")
    ids = ["abcdef0111", "abcdef0222", "abcdxf0333"]
    store.complete_batch("b1", status="partial", published_rows=4, quarantined_rows=6, result=None,
                         watermark=None, quarantine=[held(i, "b1") for i in ids])
    assert store.quarantine_entry("abcdef0222").id == "abcdef0222"  # type: ignore[union-attr]
    assert store.quarantine_entry("abcdef01").id == "abcdef0111"  # type: ignore[union-attr]
    assert store.quarantine_entry("abcdx").id == "abcdxf0333"  # type: ignore[union-attr]
    assert store.quarantine_entry("abcd_f03") is None  # LIKE wildcards are taken literally
    assert store.quarantine_entry("zzzz") is None
    with pytest.raises(StoreError, match=r"'abc'.*at least 4 characters"):
        store.quarantine_entry("abc")  # too short to be a prefix
    with pytest.raises(StoreError, match=r"ambiguous.*abcdef0111, abcdef0222"):
        store.quarantine_entry("abcdef0")
    decided = store.decide_quarantine("abcdxf03", decision="rejected", steward="ann", note="spam")
    assert decided.id == "abcdxf0333" and decided.status == "rejected"


def test_batches_are_found_by_unique_prefix_of_four_or_more(store: Store) -> None:
    for batch_id in ("b1", "feed0011", "feed0022", "feed%033"):
        pending(store, batch_id)
    assert store.find_batch("b1").batch_id == "b1"  # type: ignore[union-attr]  # exact, however short
    assert store.find_batch("feed001").batch_id == "feed0011"  # type: ignore[union-attr]
    assert store.find_batch("feed%").batch_id == "feed%033"  # type: ignore[union-attr]  # literal %
    assert store.find_batch("nope") is None
    with pytest.raises(StoreError, match=r"batch id prefix 'feed' is ambiguous: it matches "
                                         r"feed%033, feed0011, feed0022"):
        store.find_batch("feed")
    with pytest.raises(StoreError, match="at least 4 characters"):
        store.find_batch("fee")
    assert store.batch("feed001") is None  # the job's own lookups stay exact


def test_record_audit_and_filter_by_dataset(store: Store) -> None:
    store.record_audit("orders", "suite.changed", "orders_suite", "ann", "tightened ranges",
                       {"expectations": 12})
    store.record_audit("other", "dataset.paused", "other", "bob")
    trail = store.audit()
    assert [a.action for a in trail] == ["suite.changed", "dataset.paused"]
    assert [a.id for a in store.audit("other")] == [trail[1].id]
    assert trail[0].details == {"expectations": 12} and trail[1].details == {}
    assert trail[0].at.endswith("+00:00")


def test_quarantine_record_new_is_held_with_a_hex_id() -> None:
    entry = QuarantineRecord.new("orders", "b1", "/q/x", 3, [])
    assert entry.status == "held" and len(entry.id) == 32 and int(entry.id, 16) >= 0
    assert dt.datetime.fromisoformat(entry.created_at).tzinfo is not None


def probe(db_url: str, dataset: str) -> str:
    out = subprocess.run([sys.executable, "-c", LOCK_PROBE, db_url, dataset], capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_lock_keeps_out_another_process_until_released(store: Store, db_url: str,
                                                       tmp_path: Path) -> None:
    with store.lock("orders"):
        answer = probe(db_url, "orders")
        assert answer.startswith("locked:")
        assert "dataset 'orders' is being run by another process" in answer
        assert str(tmp_path / "state" / "locks") in answer
        assert probe(db_url, "other") == "acquired"  # other datasets run in parallel
    assert probe(db_url, "orders") == "acquired"
    lock_dir = tmp_path / "state" / "locks"
    assert stat.S_IMODE(lock_dir.stat().st_mode) == 0o700


def test_lock_is_released_when_the_block_raises(store: Store) -> None:
    with pytest.raises(RuntimeError), store.lock("orders"):
        raise RuntimeError("run failed")
    with store.lock("orders"), pytest.raises(LockedError), store.lock("orders"):
        pass  # not re-entrant


def test_odd_dataset_names_get_distinct_safe_lock_files(store: Store, tmp_path: Path) -> None:
    with store.lock("a/b"), store.lock("a_b"), store.lock("../x"):
        names = os.listdir(tmp_path / "state" / "locks")
    assert len(names) == 3 and all("/" not in n and not n.startswith(".") for n in names)


def test_jsonable_handles_what_results_carry() -> None:
    from integrity.store.records import jsonable

    class Point:
        def __str__(self) -> str:
            return "P"

    value = {1: {"s", "t"}, "f": math.inf, "d": dt.date(2024, 1, 2), "t": (1, 2),
             "p": Point(), "n": "a\x00b", "o": Outcome.FAILED}
    assert jsonable(value) == {"1": ["s", "t"], "f": None, "d": "2024-01-02", "t": [1, 2],
                               "p": "P", "n": "a\ufffdb", "o": "failed"}
