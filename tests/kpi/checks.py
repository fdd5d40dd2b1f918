"""Assertions on the KPI views of a store built by :func:`tests.kpi.history.build`, shared by the
SQLite and PostgreSQL tests."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from integrity.kpi import read_view
from integrity.store import Store
from tests.kpi import history as hist


def same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and got is not None:
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-3)
    return bool(got == want)


def check_views(store: Store, h: hist.History) -> None:
    """Every KPI view gives the numbers the known history implies."""
    daily = read_view(store, "daily")
    got = {(r["dataset"], r["day"]): r for r in daily.iter_rows(named=True)}
    want = hist.expected_daily(h)
    assert set(got) == set(want)  # the pending batch b5 gives no day; day 3 had no verdict
    for key, expected in want.items():
        for column, value in expected.items():
            assert same(got[key][column], value), (key, column, got[key][column], value)

    indicators = [tuple(r) for r in read_view(store, "indicators").iter_rows()]
    assert indicators == hist.EXPECTED_INDICATORS
    failures = [tuple(r) for r in read_view(store, "failures").iter_rows()]
    assert sorted(failures, key=repr) == sorted(hist.EXPECTED_FAILURES, key=repr)

    coverage = read_view(store, "coverage")
    assert [(r["dataset"], r["checked_batch_id"], r["expectations"], r["has_suite"],
             r["expectation_types"], r["columns_checked"], r["families"])
            for r in coverage.iter_rows(named=True)] == hist.EXPECTED_COVERAGE
    assert coverage["checked_at"].to_list() == [h.completed["b6"], h.completed["t1"]]
    families = [tuple(r) for r in read_view(store, "coverage_families").iter_rows()]
    assert families == hist.EXPECTED_FAMILIES

    totals = {r["dataset"]: r for r in read_view(store, "totals").iter_rows(named=True)}
    assert totals == {
        "orders": dict(dataset="orders", batches=5, batches_passed=2, batches_quarantined=2,
                       rows_checked=220, rows_published=175, rows_quarantined=45,
                       rows_released=5, rows_rejected=40),
        "tickets": dict(dataset="tickets", batches=1, batches_passed=0, batches_quarantined=0,
                        rows_checked=30, rows_published=30, rows_quarantined=0,
                        rows_released=0, rows_rejected=0)}

    before = dt.datetime.now(dt.UTC)
    fresh = {r["dataset"]: r for r in read_view(store, "freshness").iter_rows(named=True)}
    after = dt.datetime.now(dt.UTC)
    orders, tickets = fresh["orders"], fresh["tickets"]
    assert orders["last_published_at"] == orders["last_verdict_at"] == h.completed["b6"]
    assert orders["watermark_at"] == h.completed["b6"]
    assert (orders["pending_batches"], orders["open_entries"], orders["open_rows"]) == (1, 0, 0)
    assert tickets["last_published_at"] == h.completed["t1"]
    for row, done in ((orders, h.completed["b6"]), (tickets, h.completed["t1"])):
        low, high = (before - done).total_seconds(), (after - done).total_seconds()
        assert low - 1 <= row["freshness_lag_s"] <= high + 1


def check_windows(store: Store) -> None:
    """--dataset and --days select rows; the window's summary recomputes rates from counts."""
    from integrity.kpi import summarize

    window = read_view(store, "daily", dataset="orders", days=3, today=hist.DAY4)
    assert window["day"].to_list() == [hist.DAY2, hist.DAY4]
    assert read_view(store, "daily", days=1, today=hist.DAY2)["dataset"].to_list() == [
        "orders", "tickets"]
    summary = summarize(read_view(store, "daily", dataset="orders")).row(0, named=True)
    assert (summary["batches"], summary["rows_checked"], summary["rows_published"]) == (5, 220, 175)
    assert summary["integrity_score"] == pytest.approx(175 / 220)
    assert summary["batch_pass_rate"] == pytest.approx(2 / 5)
    # Weighted by batches: (30 + 60 + 10 + 20 + 5) / 5.
    assert summary["time_to_detect_avg_s"] == pytest.approx(25.0)
    assert summary["time_to_resolve_avg_s"] == pytest.approx((7200 + 3600) / 2)
    assert summary["time_to_detect_max_s"] == pytest.approx(60.0)
    with pytest.raises(ValueError, match="unknown KPI view 'dialy'"):
        read_view(store, "dialy")
    with pytest.raises(ValueError, match="days must be 1 or more"):
        read_view(store, "daily", days=0)
