"""Reading the KPI views (docs/kpi.md) into polars frames with one schema on SQLite and PostgreSQL.

The views compute everything; this module only selects (a dataset, the last N UTC days), types the
columns the same way whichever database answered, and folds a window of days into one line per
dataset for the terminal and the Prometheus gauges.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from integrity.store import Store
from integrity.store.kpi_views import VIEWS, Day
from integrity.store.schema import UTCDateTime

VIEW_CHOICES = tuple(name.removeprefix("kpi_") for name in VIEWS)
"""What ``integrity kpi export --view`` accepts: ``daily``, ``indicators``, ``failures``, ..."""


def _dtype(column: sa.Column[Any]) -> pl.DataType:
    kind = column.type
    if isinstance(kind, Day):
        return pl.Date()
    if isinstance(kind, UTCDateTime):
        return pl.Datetime("us", "UTC")
    if isinstance(kind, sa.Float):
        return pl.Float64()
    if isinstance(kind, sa.Integer):
        return pl.Int64()
    return pl.String()


def schema_of(view: str) -> dict[str, pl.DataType]:
    """The polars schema of ``kpi_<view>`` (or of ``view`` given whole)."""
    table = VIEWS[view if view in VIEWS else f"kpi_{view}"]
    return {c.name: _dtype(c) for c in table.columns}


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def read_view(store: Store, view: str, *, dataset: str | None = None, days: int | None = None,
              today: dt.date | None = None) -> pl.DataFrame:
    """The rows of ``kpi_<view>``, for one dataset or all, over the ``days`` UTC days that end with
    ``today`` (views without days ignore it), ordered by dataset (and day).

    Raises:
        ValueError: an unknown view, or ``days`` below 1.
    """
    name = view if view in VIEWS else f"kpi_{view}"
    if name not in VIEWS:
        raise ValueError(f"unknown KPI view {view!r}; use one of {', '.join(VIEW_CHOICES)}")
    table = VIEWS[name]
    query = sa.select(table)
    if dataset is not None:
        query = query.where(table.c.dataset == dataset)
    order = [table.c.dataset]
    if "day" in table.c:
        order.append(table.c.day)
        if days is not None:
            if days < 1:
                raise ValueError(f"days must be 1 or more, not {days}")
            until = today or today_utc()
            since = until - dt.timedelta(days=days - 1)
            query = query.where(table.c.day >= since, table.c.day <= until)
    rest = [c for c in table.c if c.name not in ("dataset", "day") and not _is_measure(c)]
    # The values come back as the driver gives them (SQLite: timestamps as text) and polars types
    # whole columns at once: per-value conversion in Python costs more than the query.
    raw = [sa.type_coerce(c, sa.types.NullType()).label(c.name) for c in table.c]
    query = query.with_only_columns(*raw).order_by(*order, *rest)
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return _typed(rows, schema_of(name))


_SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.f"


def _typed(rows: list[tuple[Any, ...]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    columns = []
    for name, kind in schema.items():
        column = pl.col(name)
        if frame.schema[name] == pl.String and kind == pl.Date():
            column = column.str.to_date("%Y-%m-%d")
        elif frame.schema[name] == pl.String and isinstance(kind, pl.Datetime):
            column = column.str.to_datetime(_SQLITE_TIME, time_zone="UTC", time_unit="us")
        elif isinstance(frame.schema[name], pl.Datetime):
            column = column.dt.convert_time_zone("UTC")
        columns.append(column.cast(kind).alias(name))
    return frame.select(columns)


def _is_measure(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.Integer | sa.Float | UTCDateTime)


def summarize(daily: pl.DataFrame) -> pl.DataFrame:
    """One row per dataset for a window of ``kpi_daily`` rows: counts added up, rates and the
    integrity score recomputed from them, averages weighted (detect by batches, resolve by resolved
    entries), maxima kept, the freshness lag of the last day."""
    if daily.is_empty():
        return daily.group_by("dataset").agg(pl.len()).clear()
    sums = ("batches", "batches_passed", "batches_quarantined", "rows_checked", "rows_published",
            "rows_quarantined", "quarantine_entries", "entries_resolved", "rows_released",
            "rows_rejected")
    out = daily.sort("dataset", "day").group_by("dataset", maintain_order=True).agg(
        pl.col("day").min().alias("since"), pl.col("day").max().alias("until"),
        *[pl.col(c).sum() for c in sums],
        _weighted("time_to_detect_avg_s", "batches"),
        pl.col("time_to_detect_max_s").max(),
        _weighted("time_to_resolve_avg_s", "entries_resolved"),
        pl.col("time_to_resolve_max_s").max(),
        pl.col("freshness_lag_s").last(),
    )
    return out.with_columns(
        _share("batches_passed", "batches").alias("batch_pass_rate"),
        _share("batches_quarantined", "batches").alias("quarantine_rate"),
        _share("rows_published", "rows_checked").alias("integrity_score"),
    )


def _weighted(value: str, weight: str) -> pl.Expr:
    known = pl.col(value).is_not_null() & (pl.col(weight) > 0)
    total = pl.when(known).then(pl.col(weight)).sum()
    weighted = pl.when(known).then(pl.col(value) * pl.col(weight)).sum()
    return pl.when(total > 0).then(weighted / total).otherwise(None).alias(value)


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).otherwise(None)


@dataclass(frozen=True)
class KpiReport:
    """Everything ``integrity kpi`` shows, for one window of UTC days."""

    since: dt.date
    until: dt.date
    daily: pl.DataFrame
    indicators: pl.DataFrame
    failures: pl.DataFrame
    coverage: pl.DataFrame
    families: pl.DataFrame
    freshness: pl.DataFrame
    max_age: Mapping[str, float]
    """Each dataset's ``freshness.max_age`` in seconds, where its definition sets one."""

    @property
    def summary(self) -> pl.DataFrame:
        return summarize(self.daily)


def report(store: Store, *, dataset: str | None = None, days: int = 7,
           today: dt.date | None = None, max_age: Mapping[str, float] | None = None) -> KpiReport:
    """The KPI over the last ``days`` UTC days (today included) of one dataset or all."""
    until = today or today_utc()
    window: dict[str, Any] = {"dataset": dataset, "days": days, "today": until}
    return KpiReport(
        since=until - dt.timedelta(days=days - 1), until=until,
        daily=read_view(store, "daily", **window),
        indicators=read_view(store, "indicators", **window),
        failures=read_view(store, "failures", **window),
        coverage=read_view(store, "coverage", dataset=dataset),
        families=read_view(store, "coverage_families", dataset=dataset),
        freshness=read_view(store, "freshness", dataset=dataset),
        max_age=dict(max_age or {}),
    )


_ISO_DURATION = re.compile(r"P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                           r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_UNITS = (7 * 86400, 86400, 3600, 60, 1)


def max_age_seconds(dataset: Any) -> float | None:
    """A dataset definition's ``freshness.max_age`` in seconds, or None when it sets none.

    Read defensively: ``freshness`` may be a model or a mapping, ``max_age`` a timedelta, a number
    of seconds or an ISO-8601 duration (``PT6H``); anything else counts as not set."""
    freshness = getattr(dataset, "freshness", None)
    if freshness is None:
        return None
    value = freshness.get("max_age") if isinstance(freshness, Mapping) else getattr(
        freshness, "max_age", None)
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().upper()
        match = _ISO_DURATION.fullmatch(text)
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif match and text not in ("P", "PT") and not text.endswith("T"):
            seconds = sum(float(g) * u for g, u in zip(match.groups(), _UNITS, strict=True) if g)
        else:
            return None
    else:
        return None
    return seconds if seconds > 0 else None


def max_ages(datasets: Iterable[Any]) -> dict[str, float]:
    """``{name: max_age seconds}`` for the dataset definitions that set a freshness limit."""
    found = {getattr(d, "name", None): max_age_seconds(d) for d in datasets}
    return {name: age for name, age in found.items() if isinstance(name, str) and age is not None}
