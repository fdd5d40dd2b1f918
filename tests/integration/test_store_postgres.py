"""The results store on a real PostgreSQL: migrations, the batch lifecycle, JSONB/timestamptz round
trips, exactly-once completion under concurrency, quarantine decisions, and the advisory lock.

The server comes from ``INTEGRITY_TEST_PG_URL`` (default below); the role must be allowed to create
databases, because every test gets a database of its own and drops it afterwards. Without a
reachable server the tests skip, except under ``CI=true``, where they fail: CI must test PostgreSQL.
CI starts it with ``scripts/start_postgres.sh``, which amounts to::

    pg_ctlcluster 15 main start
    su postgres -c "psql -c \\"CREATE ROLE integrity LOGIN PASSWORD 'integrity' SUPERUSER\\""
    su postgres -c "createdb -O integrity integrity_test"
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
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
from tests.pg import PG_URL

pytestmark = pytest.mark.integration

ADMIN_URL = PG_URL

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


@pytest.fixture
def pg_url(admin: sa.Engine) -> Iterator[str]:
    """A URL to a brand-new database, dropped after the test."""
    name = f"integrity_store_{uuid.uuid4().hex[:12]}"
    # Identifiers cannot be bound parameters; the name is ours (hex) and quoted by the dialect.
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    try:
        yield sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    with Store.open(pg_url) as opened:
        yield opened


def info(batch_id: str, dataset: str = "orders") -> BatchInfo:
    return BatchInfo(dataset=dataset, batch_id=batch_id, source="memory", watermark_from=None,
                     watermark_to="2024-06-01T00:00:00", pulled_at="2024-06-01T12:00:00+00:00",
                     row_count=10, content_hash="c0ffee")


def validation(unexpected: int) -> ValidationResult:
    return ValidationResult("orders_suite", (
        ExpectationResult(ExpectationConfig("expect_column_values_to_not_be_null", {"column": "id"}),
                          unexpected == 0,
                          {"element_count": 10, "unexpected_count": unexpected,
                           "unexpected_percent": 10.0 * unexpected,
                           "observed_value": [float("nan"), dt.datetime(2024, 6, 1)]},
                          Outcome.PASSED if unexpected == 0 else Outcome.FAILED),
    ))


def pending(store: Store, batch_id: str) -> int:
    run_id = store.start_run("orders")
    store.begin_batch(run_id, info(batch_id), {"value": None}, {"value": "2024-06-01T00:00:00"})
    return run_id


def probe(url: str, dataset: str) -> str:
    out = subprocess.run([sys.executable, "-c", LOCK_PROBE, url, dataset], capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_migrations_build_the_schema_module_on_postgres(pg_url: str) -> None:
    Store.open(pg_url).close()
    with Store.open(pg_url) as store, store.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == connect.HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        kinds = dict(conn.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'batches'")).all())
    assert kinds["info"] == "jsonb" and kinds["created_at"] == "timestamp with time zone"


def test_lifecycle_exactly_once_and_watermark(store: Store) -> None:
    run_id = pending(store, "b1")
    store.begin_batch(run_id, info("b1"), {"value": "x"}, {"value": "y"})  # kept as it was
    found = store.pending_batch("orders")
    assert found is not None and found.watermark_before == {"value": None}
    assert BatchInfo(**found.info) == info("b1")
    assert store.watermark("orders") is None

    entry = QuarantineRecord.new("orders", "b1", "/q/b1.parquet", 1, [{"text": "nul\x00here"}])
    args: dict[str, Any] = {"status": "partial", "published_rows": 9, "quarantined_rows": 1,
                            "result": validation(1), "quarantine": [entry],
                            "watermark": {"value": "2024-06-01T00:00:00", "boundary": ["h"],
                                          "files": []}}
    store.complete_batch("b1", **args)
    store.complete_batch("b1", **{**args, "watermark": {"value": "later"}})  # no-op
    assert store.pending_batch("orders") is None
    done = store.batch("b1")
    assert done is not None and done.status == "partial" and done.completed_at
    assert store.watermark("orders") == args["watermark"]
    (row,) = store.expectation_history("orders")
    assert (row["unexpected_count"], row["element_count"], row["success"]) == (1, 10, False)
    assert row["observed_value"] == [None, "2024-06-01T00:00:00"]
    assert row["run_at"].endswith("+00:00")
    (held,) = store.quarantine_entries("orders", "held")
    assert held.reasons == [{"text": "nul\ufffdhere"}]
    store.finish_run(run_id, "quarantined", {"batches": 1})
    assert store.runs("orders")[0]["status"] == "quarantined"


def test_concurrent_completions_record_one_batch_once(pg_url: str) -> None:
    with Store.open(pg_url) as first, Store.open(pg_url) as second:
        pending(first, "b1")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def complete(store: Store, unexpected: int) -> None:
            try:
                barrier.wait()
                store.complete_batch("b1", status="published", published_rows=10,
                                     quarantined_rows=0, result=validation(unexpected),
                                     watermark={"value": unexpected})
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=complete, args=(s, n)) for n, s in enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        history = first.expectation_history("orders")
        assert len(history) == 1
        assert first.watermark("orders") == {"value": history[0]["unexpected_count"]}


def test_quarantine_decision_with_audit_and_prefix(store: Store) -> None:
    pending(store, "b1")
    store.complete_batch("b1", status="quarantined", published_rows=0, quarantined_rows=10,
                         result=None, watermark=None,
                         quarantine=[QuarantineRecord.new("orders", "b1", "/q/1", 10, [])])
    (entry,) = store.quarantine_entries()
    assert store.quarantine_entry(entry.id[:6]) == entry
    decided = store.decide_quarantine(entry.id[:8], decision="rejected", steward="ann",
                                      note="spam wave")
    assert decided.status == "rejected" and decided.decided_by == "ann"
    with pytest.raises(StoreError, match="already rejected"):
        store.decide_quarantine(entry.id, decision="released", steward="bob", note=None)
    (trail,) = store.audit("orders")
    assert (trail.action, trail.subject, trail.note) == ("quarantine.rejected", entry.id, "spam wave")
    store.record_audit("orders", "suite.changed", "orders_suite", "ann")
    assert [a.action for a in store.audit()] == ["quarantine.rejected", "suite.changed"]


def test_advisory_lock_keeps_out_other_sessions_and_processes(pg_url: str) -> None:
    with Store.open(pg_url) as first, Store.open(pg_url) as second:
        with first.lock("orders"):
            with pytest.raises(LockedError, match=r"being run by another process.*advisory lock"), \
                    second.lock("orders"):
                pass
            answer = probe(pg_url, "orders")
            assert answer.startswith("locked:") and "***" in answer and "integrity:integrity@" not in answer
            assert probe(pg_url, "other") == "acquired"
            with second.lock("other"):
                pass
        assert probe(pg_url, "orders") == "acquired"
        with pytest.raises(RuntimeError), second.lock("orders"):
            raise RuntimeError("run failed")
        with first.lock("orders"):  # released by the failed block
            pass


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot reach the results store") as caught:
        Store.open("postgresql://integrity:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)
