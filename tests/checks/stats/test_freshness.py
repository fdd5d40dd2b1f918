"""expect_table_freshness_to_be_within: every kind of time column, the clock it ages from, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.checks.stats.context import StaticContext
from integrity.checks.stats.timestamps import Newest, newest_in
from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite, parse_suite
from integrity.types import Outcome

NOON = dt.datetime(2025, 3, 12, 12, 0, tzinfo=dt.UTC)
FRESH = "FRESH"


def check(frame: pl.DataFrame, context: Any = None, low_memory: bool = False,
          **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_table_freshness_to_be_within", "kwargs": {"max_age": "PT6H", **kwargs}}]})
    return validate_frame(frame, suite, context=context, low_memory=low_memory).results[0]


def at_noon(zone: str = "UTC") -> StaticContext:
    return StaticContext(clock=NOON, timezone=zone)


@pytest.mark.parametrize(("values", "newest"), [
    # Zone offsets are honoured row by row: 11:30+02:00 is 09:30 UTC, newer than 09:00Z.
    (["2025-03-12T09:00:00Z", "2025-03-12T11:30:00+02:00", None], "2025-03-12T09:30:00+00:00"),
    (["2025-03-12 07:00:00", "2025-03-12 08:15:00.250"], "2025-03-12T08:15:00.250000+00:00"),
    # Mixed forms (naive, offsets, a date alone): the ISO forms are tried one by one.
    (["2025-03-11", "2025-03-12T10:00:00-03:00", "2025-03-12 06:00"], "2025-03-12T13:00:00+00:00"),
    (["2025-03-12T05:59+0000", "2025-03-12T04:00:00.5Z"], "2025-03-12T05:59:00+00:00"),
])
def test_text_timestamps_in_any_iso_form(values: list[str | None], newest: str) -> None:
    found = check(pl.DataFrame({"ts": values}, schema={"ts": pl.String}), at_noon(), column="ts")
    assert found.result["observed_value"] == newest
    age = NOON - dt.datetime.fromisoformat(newest)
    assert found.result["details"]["age_seconds"] == pytest.approx(age.total_seconds())
    assert found.success is (age <= dt.timedelta(hours=6))


def test_naive_values_are_read_in_the_dataset_zone() -> None:
    # 09:00 in Paris (UTC+1 in March) is 08:00 UTC: 4 hours old at noon UTC.
    frame = pl.DataFrame({"ts": ["2025-03-12 09:00:00"], "n": [dt.datetime(2025, 3, 12, 9)],
                          "d": [dt.date(2025, 3, 12)]})
    for column in ("ts", "n"):
        found = check(frame, at_noon("Europe/Paris"), column=column)
        assert found.result["observed_value"] == "2025-03-12T08:00:00+00:00"
        assert found.result["details"]["timezone"] == "Europe/Paris"
    # The expectation's own timezone wins over the dataset's; a date is its first instant.
    found = check(frame, at_noon("Europe/Paris"), column="d", timezone="America/New_York")
    assert found.result["observed_value"] == "2025-03-12T04:00:00+00:00"
    assert found.result["details"]["age"] == "PT8H" and not found.success


def test_zoned_datetimes_and_dates() -> None:
    zoned = pl.Series("z", [dt.datetime(2025, 3, 12, 18, 0)]).dt.replace_time_zone("Asia/Tokyo")
    frame = pl.DataFrame([zoned, pl.Series("d", [dt.date(2025, 3, 10)])])
    found = check(frame, at_noon("Europe/Paris"), column="z")
    assert found.result["observed_value"] == "2025-03-12T09:00:00+00:00" and found.success
    assert "timezone" not in found.result["details"]  # a zoned column needs none
    stale = check(frame, at_noon(), column="d", max_age="P2D")
    assert not stale.success and stale.result["details"]["age"] == "P2DT12H"


def test_max_age_in_seconds_and_the_clock_it_ages_from() -> None:
    frame = pl.DataFrame({"ts": [dt.datetime(2025, 3, 12, 11, 0)]})
    assert check(frame, at_noon(), column="ts", max_age=3600).success
    assert not check(frame, at_noon(), column="ts", max_age=3599).success
    # `now` in the suite wins over the context's clock (backfills, tests).
    later = check(frame, at_noon(), column="ts", max_age="PT1H", now="2025-03-12T13:00:01Z")
    assert not later.success and later.result["details"]["now"] == "2025-03-12T13:00:01+00:00"
    # Without either, the wall clock: data from 2025 is long stale.
    assert not check(frame, None, column="ts").success


def test_unparsable_values_are_counted_and_shown_but_the_newest_time_decides() -> None:
    frame = pl.DataFrame({"ts": ["2025-03-12T10:00:00Z", "yesterday", "n/a"]})
    found = check(frame, at_noon(), column="ts")
    assert found.success and found.result["details"]["unparsed_count"] == 2
    assert found.result["details"]["unparsed_example"] in ("yesterday", "n/a")


def test_no_value_to_date_the_batch_fails_and_says_why() -> None:
    for frame in (pl.DataFrame({"ts": [None, None]}, schema={"ts": pl.Datetime}),
                  pl.DataFrame({"ts": []}, schema={"ts": pl.String})):
        found = check(frame, at_noon(), column="ts")
        assert found.outcome is Outcome.FAILED and found.result["observed_value"] is None
        assert "no value to date the batch" in found.result["details"]["reason"]


def test_row_condition_limits_the_rows() -> None:
    frame = pl.DataFrame({"ts": [dt.datetime(2025, 3, 12, 11), dt.datetime(2025, 3, 1)],
                          "kind": ["a", "b"]})
    found = check(frame, at_noon(), column="ts", row_condition='kind == "b"',
                  condition_parser="pandas")
    assert found.result["observed_value"] == "2025-03-01T00:00:00+00:00" and not found.success


def test_low_memory_gives_the_same_newest_time() -> None:
    frame = pl.DataFrame({"ts": [f"2025-03-{d:02d}T10:00:00+01:00" for d in range(1, 13)]
                          + ["2025-03-12 11:00"]})
    whole, chunked = check(frame, at_noon(), column="ts"), check(frame, at_noon(), True, column="ts")
    assert whole.result == chunked.result
    assert whole.result["observed_value"] == "2025-03-12T11:00:00+00:00"


def test_a_column_that_holds_no_time_is_one_error_naming_the_fix() -> None:
    found = check(pl.DataFrame({"n": [1, 2]}), at_noon(), column="n")
    assert found.outcome is Outcome.ERROR
    message = found.exception_info["exception_message"]
    assert "column 'n' is Int64, not a time" in message and "\n" not in message
    text = check(pl.DataFrame({"ts": ["soon", "\x1b[2Jlater"]}), at_noon(), column="ts")
    assert text.outcome is Outcome.ERROR
    assert "holds no value that reads as a time" in text.exception_info["exception_message"]


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"max_age": "PT6X"}, "argument 'max_age': 'PT6X' is not an ISO-8601 duration"),
    ({"max_age": "P1M"}, "argument 'max_age': 'P1M' counts years or months"),
    ({"max_age": "PT6H", "timezone": "Mars/Base"}, "argument 'timezone': 'Mars/Base' is not a"),
    ({"max_age": "PT6H", "now": "noonish"}, "argument 'now': 'noonish' is not a timestamp"),
])
def test_bad_arguments_are_refused_when_the_suite_loads(tmp_path: Path, kwargs: dict[str, Any],
                                                        says: str) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_table_freshness_to_be_within", "kwargs": {"column": "ts", **kwargs}}]}))
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}:") and says in line


def test_the_newest_time_is_part_of_the_one_fused_query() -> None:
    frame = pl.DataFrame({"ts": ["2025-03-12T09:00:00Z"] * 3}).lazy()
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_table_freshness_to_be_within", "kwargs": {"column": "ts", "max_age": 60}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ts"}}]})
    plan = plan_suite(frame, suite)
    assert plan.queries == 1 and not plan.passes and not plan.guarded
    mixed = pl.DataFrame({"ts": ["2025-03-12T09:00:00Z", "2025-03-12 10:00", None]}).lazy()
    assert newest_in(mixed, "ts", "UTC") == Newest(dt.datetime(2025, 3, 12, 10, tzinfo=dt.UTC))
    # All naive: read in the zone, a wall-clock time it skips (spring forward) is no time at all.
    naive = pl.DataFrame({"ts": ["2025-03-30 01:30:00", "2025-03-30 02:30:00"]}).lazy()
    assert newest_in(naive, "ts", "Europe/Paris") == Newest(
        dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC), 1, "2025-03-30 02:30:00")
    # Nanoseconds and a category column are read too.
    fine = pl.DataFrame({"ts": ["2025-03-12T09:00:00.123456789+01:00"]},
                        schema={"ts": pl.Categorical}).lazy()
    assert newest_in(fine, "ts", "UTC").value == dt.datetime(2025, 3, 12, 8, 0, 0, 123456,
                                                             tzinfo=dt.UTC)
