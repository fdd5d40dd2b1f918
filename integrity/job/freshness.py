"""Freshness of the dataset itself: a run that finds no new rows asks how old the newest published row is.

``connectors/<dataset>.yaml`` says ``freshness: {max_age: PT6H}`` (optionally ``column``: the time
column that dates a row, by default the cursor column). The newest published value of that column
(recorded with each batch's history, over published rows only) is the dataset's age; without a
time column, the time rows were last published is. Older than ``max_age``, or nothing ever
published, and the run records a failed freshness check and exits 1: a silent source is an
incident, not a quiet day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from integrity.config import DatasetConfig
from integrity.durations import format_age, format_duration, parse_duration
from integrity.store import Store

CHECK = "expect_table_freshness_to_be_within"


def dataset_freshness(store: Store, dataset: DatasetConfig, now: dt.datetime) -> dict[str, Any] | None:
    """The freshness check of ``dataset`` at ``now`` (None when it has no freshness rule):
    ``{"expectation_type", "success", "observed_value", "details"}`` in a result's shape."""
    rule = dataset.freshness
    if rule is None:
        return None
    max_age = parse_duration(rule.max_age)
    found = store.newest_published(dataset.name)
    column = rule.column or (dataset.cursor.column if dataset.cursor else None)
    details: dict[str, Any] = {"max_age": format_duration(max_age),
                               "max_age_seconds": max_age.total_seconds(), "now": now.isoformat(),
                               "published_batches": found["batches"]}
    newest: dt.datetime | None = found["newest_at"]
    if newest is not None:
        details["dated_by"] = f"the newest published value of column {column!r}"
    else:
        newest = found["last_published_at"]
        if newest is not None:
            details["dated_by"] = ("the last time rows were published" + (
                f" (column {column!r} held no readable time)" if column else ""))
    if newest is None:
        details["reason"] = "nothing was ever published"
        return {"expectation_type": CHECK, "success": False, "observed_value": None,
                "details": details}
    age = now - newest
    details["age"] = format_age(age)
    details["age_seconds"] = age.total_seconds()
    return {"expectation_type": CHECK, "success": age <= max_age,
            "observed_value": newest.isoformat(), "details": details}


def describe(dataset: str, check: dict[str, Any]) -> str:
    """One line on a dataset's freshness check, for the run summary."""
    details = check["details"]
    if check["observed_value"] is None:
        return (f"{dataset}: no new rows, and nothing was ever published (freshness max_age "
                f"{details['max_age']}): the source is stale.")
    age = f"{details['age']} old ({details['dated_by']}, {check['observed_value']})"
    if check["success"]:
        return f"{dataset}: no new rows; the newest published data is {age}, within max_age " \
               f"{details['max_age']}."
    return (f"{dataset}: no new rows, and the newest published data is {age}, older than its "
            f"freshness max_age {details['max_age']}: the source is stale.")
