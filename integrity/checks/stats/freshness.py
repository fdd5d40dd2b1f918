"""``expect_table_freshness_to_be_within``: the newest value of a time column is recent enough.

The column may hold zoned or naive datetimes, dates or ISO-8601 text (see :mod:`.timestamps`); its
newest value is found in the suite's fused query. ``max_age`` is an ISO-8601 duration (``PT6H``)
or a number of seconds. The age is measured from ``now`` when the suite gives one (tests,
backfills), else the validation context's clock (the job's run time), else the wall clock. Naive
values are read in ``timezone`` (the expectation's, else the dataset's, else UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from integrity.checks.base import Arg, Check, Spec, Verdict, expectation, require
from integrity.checks.families import column_values, parse_datetime
from integrity.checks.stats.timestamps import (
    TIME_TYPES,
    newest_metrics,
    newest_of,
    time_kind,
)
from integrity.durations import (
    duration_problem,
    format_age,
    format_duration,
    parse_duration,
    zone_problem,
)
from integrity.errors import SuiteError


def _now_problem(value: Any) -> str | None:
    if (isinstance(value, dict) and "$PARAMETER" in value) or isinstance(value, dt.datetime):
        return None
    if isinstance(value, str):
        try:
            parse_datetime(value)
        except (ValueError, OverflowError):
            return f"{value!r} is not a timestamp; write ISO-8601 such as 2025-03-12T09:00:00Z"
        return None
    return f"{value!r} is not a timestamp; write ISO-8601 such as 2025-03-12T09:00:00Z"


@expectation(
    "expect_table_freshness_to_be_within",
    family="freshness",
    args=(
        Arg("column", (str,), required=True),
        Arg("max_age", (str, int, float), required=True, check=duration_problem),
        Arg("now", check=_now_problem),
        Arg("timezone", (str,), check=zone_problem),
        Arg("row_condition", (str,)),
        Arg("condition_parser", (str,)),
    ),
)
def freshness_within(spec: Spec) -> Check:
    """The newest value of ``column`` is no older than ``max_age`` (ISO-8601 duration or seconds)."""
    max_age = parse_duration(spec.kwargs["max_age"])
    zone = spec.kwargs.get("timezone") or getattr(spec.context, "timezone", None) or "UTC"
    now = _now(spec.kwargs.get("now"), spec, zone)
    column = spec.kwargs["column"]
    dtype = spec.dtype(column)
    require(time_kind(dtype) is not None,
            f"column {column!r} is {dtype}, not a time; freshness needs {TIME_TYPES} (name such "
            "a column in 'column')", "column")
    metrics = newest_metrics(column_values(spec), dtype, zone)

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        newest = newest_of(m, zone)
        details: dict[str, Any] = {"max_age": format_duration(max_age),
                                   "max_age_seconds": max_age.total_seconds(),
                                   "now": now.isoformat()}
        if time_kind(dtype) != "datetime" or getattr(dtype, "time_zone", None) is None:
            details["timezone"] = zone  # naive values were read in it
        if newest.unparsed:
            details["unparsed_count"] = newest.unparsed
            details["unparsed_example"] = _shown(newest.example)
        if newest.value is None:
            if newest.unparsed:
                raise SuiteError(
                    f"column {column!r} holds no value that reads as a time (e.g. "
                    f"{_shown(newest.example)!r}); freshness needs {TIME_TYPES} such as "
                    "2025-03-12T09:00:00Z: fix the values or name another column",
                    argument="column")
            details["reason"] = f"column {column!r} has no value to date the batch by"
            return Verdict(False, {"observed_value": None, "details": details})
        age = now - newest.value
        details["age"] = format_age(age)
        details["age_seconds"] = age.total_seconds()
        return Verdict(age <= max_age, {"observed_value": newest.value.isoformat(),
                                        "details": details})

    return Check(metrics, evaluate)


def _now(value: Any, spec: Spec, zone: str) -> dt.datetime:
    """The instant ages are measured from (aware)."""
    if value is None:
        return spec.context.now() if spec.context is not None else dt.datetime.now(dt.UTC)
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
    raise SuiteError(f"now {value!r} is not a timestamp; write ISO-8601 such as "
                     "2025-03-12T09:00:00Z", argument="now")


def _shown(value: str | None) -> str | None:
    """A value as a message quotes it: at most 60 characters."""
    return None if value is None else value if len(value) <= 60 else value[:59] + "…"
