"""History and baseline behaviour every results store backend must show (SQLite: test_history.py;
PostgreSQL: tests/integration/test_history_postgres.py). Each case takes an open, empty store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import validate_frame
from integrity.job.context import StoreContext
from integrity.store import BatchHistory, Store
from integrity.suites import parse_suite
from integrity.types import BatchInfo, Outcome

COUNTS = [100, 102, 98, 101, 99, 103, 97, 100]
"""Median 100 and MAD 1.5 (scale 1.4826 x 1.5 = 2.2239); mean 100 and sample stdev exactly 2."""
MEANS = [3.0, 3.2, 2.9, 3.1, 3.0, 3.3, 2.8, 3.0]
"""Median 3.0, MAD 0.1 (scale 0.14826)."""


def info(dataset: str, batch_id: str, rows: int) -> BatchInfo:
    return BatchInfo(dataset=dataset, batch_id=batch_id, source="memory", watermark_from=None,
                     watermark_to=None, pulled_at="2025-03-12T00:00:00+00:00", row_count=rows,
                     content_hash=batch_id)


def record(store: Store, dataset: str, batch_id: str, rows: int, *, held: int = 0,
           history: BatchHistory | None = None) -> None:
    """A batch pulled and completed: published if it left a history, else held whole."""
    run_id = store.start_run(dataset)
    store.begin_batch(run_id, info(dataset, batch_id, rows), {"value": None}, {"value": None})
    store.complete_batch(batch_id, status="published" if history else "quarantined",
                         published_rows=history.row_count if history else 0,
                         quarantined_rows=held if history else rows, result=None, watermark=None,
                         history=history)


def known_history(store: Store) -> None:
    """Eight published batches of ``orders`` with known counts and means, one held batch, and a
    batch of another dataset, none of which may leak into the history."""
    for i, (count, mean) in enumerate(zip(COUNTS, MEANS, strict=True)):
        record(store, "orders", f"b{i:02d}", count + 5, held=5,
               history=BatchHistory(count, {"x": {"mean": mean}}))
        if i == 3:
            record(store, "orders", "held", 10_000)  # quarantined whole: no history
            record(store, "others", "o1", 1, history=BatchHistory(1, {"x": {"mean": 99.0}}))


def validate(store: Store, frame: pl.DataFrame, *, exclude: str | None = None,
             **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_table_row_count_to_be_within_history", "kwargs": kwargs},
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "x", "metric": "mean", **kwargs}}]})
    context = StoreContext(store, "orders", exclude_batch=exclude)
    return validate_frame(frame, suite, context=context).results


def frame_of(rows: int, mean: float) -> pl.DataFrame:
    values = [mean] * rows
    return pl.DataFrame({"x": values})


def history_checks_match_hand_computed_values(store: Store) -> None:
    known_history(store)
    scale = 1.482602218505602 * 1.5
    count, mean = validate(store, frame_of(107, 3.6), min_history=8)
    assert count.outcome is Outcome.PASSED and mean.outcome is Outcome.FAILED
    assert count.result["details"]["history"] == COUNTS  # oldest first, held rows never counted
    assert count.result["details"]["score"] == pytest.approx(7 / scale)
    assert mean.result["details"]["history"] == MEANS
    assert mean.result["details"]["score"] == pytest.approx(0.6 / 0.1482602218505602)
    failed, _ = validate(store, frame_of(110, 3.0), min_history=8)
    assert failed.outcome is Outcome.FAILED
    assert failed.result["details"]["score"] == pytest.approx(10 / scale)
    z, _ = validate(store, frame_of(107, 3.0), min_history=8, method="zscore")
    assert z.result["details"]["center"] == 100 and z.result["details"]["scale"] == 2.0
    assert z.outcome is Outcome.PASSED  # exactly 3.5 standard deviations
    # The lookback takes the latest batches; too few of them is not evaluated.
    short, _ = validate(store, frame_of(100, 3.0), lookback=5, min_history=5)
    assert short.result["details"]["history"] == COUNTS[-5:]
    none, _ = validate(store, frame_of(100, 3.0), lookback=9, min_history=9)
    assert none.outcome is Outcome.NOT_EVALUATED
    assert none.result["details"]["reason"].startswith("history too short: 8 of the last 9")
    # The batch being validated is never part of its own history, even once recorded.
    record(store, "orders", "current", 500, history=BatchHistory(500, {"x": {"mean": 50.0}}))
    own, _ = validate(store, frame_of(500, 50.0), exclude="current", min_history=8)
    assert own.result["details"]["history"] == COUNTS and own.outcome is Outcome.FAILED


def history_round_trips(store: Store) -> None:
    newest = dt.datetime(2025, 3, 12, 9, 30, tzinfo=dt.UTC)
    profile = {"columns": {"label": {"counts": {"positive": 3, "négatif": 2, "\u202e": 1}}},
               "rows": 6, "nested": [1.5, None, {"k": "v"}]}
    record(store, "labels", "l1", 6, history=BatchHistory(
        6, {"score": {"mean": 0.5, "stdev": float("nan")}}, newest_at=newest, profile=profile))
    # Completing it again records nothing twice (a recovered run).
    store.complete_batch("l1", status="published", published_rows=6, quarantined_rows=0,
                         result=None, watermark=None, history=BatchHistory(6, {}))
    (item,) = store.history("labels", 14)
    assert item["batch_id"] == "l1" and item["row_count"] == 6
    assert item["metrics"] == {"score": {"mean": 0.5, "stdev": None}}  # NaN is stored as null
    assert item["profile"] == profile and item["newest_at"] == newest.isoformat(
        timespec="microseconds")
    assert store.batch_history("l1") == item and store.batch_history("nope") is None
    found = store.newest_published("labels")
    assert found["newest_at"] == newest and found["batches"] == 1
    assert found["last_published_at"] is not None and found["last_published_at"].tzinfo
    assert store.newest_published("empty") == {"newest_at": None, "last_published_at": None,
                                               "batches": 0}
    assert store.history("labels", 14, exclude="l1") == [] and store.history("labels", 0) == []


def baselines_round_trip(store: Store) -> None:
    assert store.baseline("labels") is None
    first = store.set_baseline("labels", kind="file", source="/ref/sample.parquet", rolling=None,
                               profile={"columns": {"a": {"n": 1}}}, actor="ana", note="curated")
    second = store.set_baseline("labels", kind="rolling", source=None, rolling=7, profile=None,
                                actor="bo")
    current = store.baseline("labels")
    assert current == second and current.kind == "rolling" and current.rolling == 7
    assert [b.id for b in store.baselines("labels")] == [second.id, first.id]
    assert first.profile == {"columns": {"a": {"n": 1}}} and first.size_bytes > 0
    assert first.note == "curated" and first.created_by == "ana"
    audit = [a for a in store.audit("labels") if a.action == "baseline.set"]
    assert [(a.actor, a.details["kind"]) for a in audit] == [("ana", "file"), ("bo", "rolling")]
    with pytest.raises(ValueError, match="baseline kind 'nightly' is unknown"):
        store.set_baseline("labels", kind="nightly", source=None, rolling=None, profile=None,
                           actor="x")
