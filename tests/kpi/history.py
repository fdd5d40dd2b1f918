"""A results store with a known history, built through the Store API, and the KPI it must give.

Shared by the SQLite tests here and the PostgreSQL ones in tests/integration. The Store stamps
"now" on what it records, so after each step the test moves the timestamps to fixed instants (the
only thing written past the API), which gives every KPI an exact expected value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from integrity.store import QuarantineRecord, Store
from integrity.store import schema as t
from integrity.types import (
    BatchInfo,
    ExpectationConfig,
    ExpectationResult,
    Outcome,
    ValidationResult,
)

DAY1, DAY2, DAY4 = dt.date(2024, 6, 1), dt.date(2024, 6, 2), dt.date(2024, 6, 4)
HOSTILE_COLUMN = "note\x1b[2J\u202e=cmd"


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC)


def _result(kind: str, kwargs: dict[str, Any], ok: bool, unexpected: int | None = None,
            meta: dict[str, Any] | None = None, observed: Any = None) -> ExpectationResult:
    res: dict[str, Any] = {"observed_value": observed}
    if unexpected is not None:
        res.update(unexpected_count=unexpected, element_count=100, unexpected_percent=1.0)
    return ExpectationResult(ExpectationConfig(kind, kwargs, meta or {}), ok, res,
                             Outcome.PASSED if ok else Outcome.FAILED)


def _suite(*, null_ok: bool = True, nulls: int = 0, mean_ok: bool = True,
           count_ok: bool = True) -> ValidationResult:
    return ValidationResult("orders_suite", (
        _result("expect_column_values_to_not_be_null", {"column": "customer"}, null_ok, nulls,
                meta={"tag": "pii", "action": "quarantine_rows"}),
        _result("expect_column_mean_to_be_between", {"column": "amount", "min_value": 0,
                                                     "max_value": 10}, mean_ok, observed=12.5),
        _result("expect_table_row_count_to_be_between", {"min_value": 1}, count_ok,
                observed=40),
    ))


class History:
    """Builds the history; ``entries`` maps a batch id to its quarantine entry id."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.entries: dict[str, str] = {}
        self.completed: dict[str, dt.datetime] = {}

    def batch(self, dataset: str, batch_id: str, rows: int, pulled: dt.datetime,
              completed: dt.datetime | None, *, published: int, result: ValidationResult | None,
              hold: tuple[str, dict[str, Any]] | None = None) -> None:
        run_id = self.store.start_run(dataset)
        info = BatchInfo(dataset=dataset, batch_id=batch_id, source="memory", watermark_from=None,
                         watermark_to=rows, pulled_at=pulled.isoformat(), row_count=rows,
                         content_hash=batch_id)
        self.store.begin_batch(run_id, info, {"value": None}, {"value": rows})
        if completed is None:  # left pending
            return
        quarantined = rows - published
        entries = []
        if hold is not None:
            entry_id, reason = hold
            entries.append(QuarantineRecord(
                id=entry_id, dataset=dataset, batch_id=batch_id, path=f"/q/{entry_id}",
                rows=quarantined, reasons=[reason], status="held", created_at=completed.isoformat()))
            self.entries[batch_id] = entry_id
        status = ("published" if not quarantined else "quarantined" if not published else "partial")
        self.store.complete_batch(batch_id, status=status, published_rows=published,
                                  quarantined_rows=quarantined, result=result,
                                  watermark={"value": rows}, quarantine=entries)
        self.store.finish_run(run_id, "clean", {})
        self.completed[batch_id] = completed
        with self.store.engine.begin() as conn:
            conn.execute(sa.update(t.batches).where(t.batches.c.batch_id == batch_id).values(
                created_at=pulled, completed_at=completed))
            conn.execute(sa.update(t.expectation_results)
                         .where(t.expectation_results.c.batch_id == batch_id)
                         .values(created_at=completed))
            conn.execute(sa.update(t.quarantine).where(t.quarantine.c.batch_id == batch_id)
                         .values(created_at=completed))
            conn.execute(sa.update(t.watermarks).where(t.watermarks.c.dataset == dataset)
                         .values(updated_at=completed))

    def decide(self, batch_id: str, decision: str, when: dt.datetime) -> None:
        entry = self.entries[batch_id]
        self.store.decide_quarantine(entry, decision=decision, steward="ana", note=None)
        with self.store.engine.begin() as conn:
            conn.execute(sa.update(t.quarantine).where(t.quarantine.c.id == entry)
                         .values(decided_at=when))


def build(store: Store) -> History:
    """orders: three verdicts on day 1 (a clean batch; 5 of 50 rows held by a tagged not-null check,
    released 2 h later; a warning only), one on day 2 (40 rows held whole by the row count,
    rejected 1 h later), one pending, one clean batch on day 4. tickets: one clean batch on day 2,
    with a hostile column name."""
    h = History(store)
    h.batch("orders", "b1", 100, at(DAY1, 10), at(DAY1, 10, 0, 30), published=100, result=_suite())
    h.batch("orders", "b2", 50, at(DAY1, 12), at(DAY1, 12, 1), published=45,
            result=_suite(null_ok=False, nulls=5),
            hold=("q2", {"expectation_index": 0, "expectation_type":
                         "expect_column_values_to_not_be_null", "action": "quarantine_rows",
                         "unexpected_count": 5}))
    h.batch("orders", "b3", 20, at(DAY1, 20), at(DAY1, 20, 0, 10), published=20,
            result=_suite(mean_ok=False))
    h.decide("b2", "released", at(DAY1, 14, 1))
    h.batch("orders", "b4", 40, at(DAY2, 9), at(DAY2, 9, 0, 20), published=0,
            result=_suite(count_ok=False),
            hold=("q4", {"expectation_index": 2, "expectation_type":
                         "expect_table_row_count_to_be_between", "action": "quarantine_batch"}))
    h.decide("b4", "rejected", at(DAY2, 10, 0, 20))
    h.batch("orders", "b5", 7, at(DAY2, 11), None, published=0, result=None)
    h.batch("orders", "b6", 10, at(DAY4, 6), at(DAY4, 6, 0, 5), published=10, result=_suite())
    tickets = ValidationResult("tickets_suite", (
        _result("expect_column_values_to_not_contain_prompt_injection", {"column": "body"}, True, 0),
        _result("expect_column_values_to_not_be_null", {"column": HOSTILE_COLUMN}, False, 0,
                meta={"action": "warn"}),
    ))
    h.batch("tickets", "t1", 30, at(DAY2, 8), at(DAY2, 8, 0, 2), published=30, result=tickets)
    return h


def end_of(day: dt.date) -> dt.datetime:
    return at(day + dt.timedelta(days=1), 0)


def expected_daily(h: History) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """kpi_daily as it must read (freshness lag for days that have ended)."""
    b3, b6, t1 = h.completed["b3"], h.completed["b6"], h.completed["t1"]
    return {
        ("orders", DAY1): dict(
            batches=3, batches_passed=1, batches_quarantined=1, batch_pass_rate=1 / 3,
            quarantine_rate=1 / 3, rows_checked=170, rows_published=165, rows_quarantined=5,
            integrity_score=165 / 170, time_to_detect_avg_s=(30 + 60 + 10) / 3,
            time_to_detect_max_s=60.0, quarantine_entries=1, entries_resolved=1, rows_released=5,
            rows_rejected=0, time_to_resolve_avg_s=7200.0, time_to_resolve_max_s=7200.0,
            last_published_at=b3,
            freshness_lag_s=(end_of(DAY1) - b3).total_seconds()),
        ("orders", DAY2): dict(
            batches=1, batches_passed=0, batches_quarantined=1, batch_pass_rate=0.0,
            quarantine_rate=1.0, rows_checked=40, rows_published=0, rows_quarantined=40,
            integrity_score=0.0, time_to_detect_avg_s=20.0, time_to_detect_max_s=20.0,
            quarantine_entries=1, entries_resolved=1, rows_released=0, rows_rejected=40,
            time_to_resolve_avg_s=3600.0, time_to_resolve_max_s=3600.0, last_published_at=b3,
            freshness_lag_s=(end_of(DAY2) - b3).total_seconds()),
        ("orders", DAY4): dict(
            batches=1, batches_passed=1, batches_quarantined=0, batch_pass_rate=1.0,
            quarantine_rate=0.0, rows_checked=10, rows_published=10, rows_quarantined=0,
            integrity_score=1.0, time_to_detect_avg_s=5.0, time_to_detect_max_s=5.0,
            quarantine_entries=0, entries_resolved=0, rows_released=0, rows_rejected=0,
            time_to_resolve_avg_s=None, time_to_resolve_max_s=None, last_published_at=b6,
            freshness_lag_s=(end_of(DAY4) - b6).total_seconds()),
        ("tickets", DAY2): dict(
            batches=1, batches_passed=0, batches_quarantined=0, batch_pass_rate=0.0,
            quarantine_rate=0.0, rows_checked=30, rows_published=30, rows_quarantined=0,
            integrity_score=1.0, time_to_detect_avg_s=2.0, time_to_detect_max_s=2.0,
            quarantine_entries=0, entries_resolved=0, rows_released=0, rows_rejected=0,
            time_to_resolve_avg_s=None, time_to_resolve_max_s=None, last_published_at=t1,
            freshness_lag_s=(end_of(DAY2) - t1).total_seconds()),
    }


EXPECTED_INDICATORS = [
    # dataset, day, expectation_type, tag, family, batches, rows_quarantined
    ("orders", DAY1, "expect_column_values_to_not_be_null", "pii", "column_map", 1, 5),
    ("orders", DAY2, "expect_table_row_count_to_be_between", None, "table", 1, 40),
]

EXPECTED_FAILURES = [
    # dataset, day, expectation_type, column_name, tag, family, failures, rows_quarantined,
    # unexpected_rows
    ("orders", DAY1, "expect_column_mean_to_be_between", "amount", None, "column_aggregate", 1, 0,
     None),
    ("orders", DAY1, "expect_column_values_to_not_be_null", "customer", "pii", "column_map", 1, 5,
     5),
    ("orders", DAY2, "expect_table_row_count_to_be_between", None, None, "table", 1, 40, None),
    ("tickets", DAY2, "expect_column_values_to_not_be_null", HOSTILE_COLUMN, None, "column_map", 1,
     0, 0),
]

EXPECTED_COVERAGE = [
    # dataset, checked_batch_id, expectations, has_suite, expectation_types, columns, families
    ("orders", "b6", 3, 1, 3, 2, 3),
    ("tickets", "t1", 2, 1, 2, 2, 2),
]

EXPECTED_FAMILIES = [
    ("orders", "column_aggregate", 1, 1), ("orders", "column_map", 1, 1), ("orders", "table", 1, 1),
    ("tickets", "column_map", 1, 1), ("tickets", "poison", 1, 1),
]
