"""The newest point in time a column holds, whatever its type: zoned or naive datetimes, dates, text.

Naive values (a naive datetime, a date, text without an offset) are read in a time zone, UTC unless
the dataset or the expectation names another; a date counts as its first instant (00:00). Text is
parsed by polars in the fused query, in the format it infers from the first value (zone offsets
such as ``Z`` or ``+02:00`` are honoured row by row). Only when some values do not parse that way
(mixed formats) does a guarded follow-up parse them against the ISO-8601 forms in
:data:`ISO_FORMATS`; values neither reads are counted and one is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from integrity.checks.base import Metric
from integrity.checks.partials import extreme, summed

#: (format, carries a zone offset): the ISO-8601 forms mixed-format text is read in, in order.
ISO_FORMATS: tuple[tuple[str, bool], ...] = (
    ("%Y-%m-%dT%H:%M:%S%.f%#z", True), ("%Y-%m-%d %H:%M:%S%.f%#z", True),
    ("%Y-%m-%dT%H:%M%#z", True), ("%Y-%m-%d %H:%M%#z", True),
    ("%Y-%m-%dT%H:%M:%S%.f", False), ("%Y-%m-%d %H:%M:%S%.f", False),
    ("%Y-%m-%dT%H:%M", False), ("%Y-%m-%d %H:%M", False), ("%Y-%m-%d", False),
)
TIME_TYPES = "a datetime, a date, or text holding ISO-8601 timestamps"


def time_kind(dtype: pl.DataType) -> str | None:
    """``"datetime"``, ``"date"`` or ``"text"`` for a column that can hold points in time, else None."""
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Date:
        return "date"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    return None


def newest_metrics(values: pl.Expr, dtype: pl.DataType, zone: str) -> dict[str, Metric]:
    """Aggregate metrics that find the newest instant among ``values`` (non-null, of ``dtype``).

    Read the result with :func:`newest_of`. Raises ValueError for a type that holds no time."""
    kind = time_kind(dtype)
    if kind is None:
        raise ValueError(f"{dtype} holds no points in time")
    if kind != "text":
        return {"newest": extreme(values.max(), "max")}
    text = values.cast(pl.String)
    fast = _inferred(text, zone)
    parsed_all = fast.is_null().sum() == 0
    slow = _iso_forms(text, zone)
    missed = fast.is_null() & slow.is_null()
    return {
        "newest": extreme(fast.max(), "max"),
        "unparsed": summed(fast.is_null().sum().cast(pl.Int64)),
        # Only when the inferred format missed values: the ISO forms, one by one.
        "newest_iso": Metric(slow.max(), skip_when=parsed_all, skipped=None),
        "unparsed_iso": Metric(missed.sum().cast(pl.Int64), skip_when=parsed_all, skipped=0),
        "unparsed_example": Metric(text.filter(missed).first(), skip_when=parsed_all,
                                   skipped=None),
    }


@dataclass(frozen=True)
class Newest:
    """The newest instant found (aware, UTC; None when no value could be read)."""

    value: dt.datetime | None
    unparsed: int = 0
    """Text values that are not a time in any form read."""
    example: str | None = None
    """One of them, to show."""


def newest_of(m: Mapping[str, Any], zone: str) -> Newest:
    """The newest instant from the values of :func:`newest_metrics`."""
    if "unparsed" not in m:
        return Newest(as_utc(m["newest"], zone))
    if not m["unparsed"]:
        return Newest(as_utc(m["newest"], zone))
    found = [v for v in (as_utc(m["newest"], zone), as_utc(m["newest_iso"], zone)) if v is not None]
    return Newest(max(found) if found else None, int(m["unparsed_iso"] or 0), m["unparsed_example"])


def newest_in(frame: pl.LazyFrame, column: str, zone: str) -> Newest:
    """The newest instant of ``column`` in ``frame`` (its fused metrics, the guarded ones only when
    needed). Raises ValueError when the column holds no points in time."""
    dtype = frame.collect_schema()[column]
    metrics = newest_metrics(pl.col(column).drop_nulls(), dtype, zone)
    first = {k: m for k, m in metrics.items() if m.skip_when is None}
    values = frame.select([m.expr.alias(k) for k, m in first.items()
                           if m.expr is not None]).collect().row(0, named=True)
    if values.get("unparsed"):
        rest = [m.expr.alias(k) for k, m in metrics.items() if k not in first and m.expr is not None]
        values.update(frame.select(rest).collect().row(0, named=True))
    else:
        values.update({k: m.skipped for k, m in metrics.items() if k not in first})
    return newest_of(values, zone)


def as_utc(value: Any, zone: str) -> dt.datetime | None:
    """A datetime or date from a column as an aware UTC datetime; naive ones are in ``zone``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
        return aware.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    raise TypeError(f"{value!r} is not a point in time")


def _localized(naive: pl.Expr, zone: str) -> pl.Expr:
    # A wall-clock time the zone skips (spring forward) is unreadable; a repeated one is the first.
    return naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null") \
        .dt.convert_time_zone("UTC")


def _inferred(text: pl.Expr, zone: str) -> pl.Expr:
    """``text`` parsed in the format polars infers from its first value; offsets are honoured and
    naive values read in ``zone``."""
    zoned = text.str.to_datetime(strict=False, time_zone="UTC", time_unit="us")
    if zone == "UTC":
        return zoned
    # Without a time zone, polars reads no offsets: naive text only, localized; offsets after.
    naive = _localized(text.str.to_datetime(strict=False, time_unit="us"), zone)
    return pl.coalesce(naive, zoned)


def _iso_forms(text: pl.Expr, zone: str) -> pl.Expr:
    parsed = []
    for fmt, has_offset in ISO_FORMATS:
        if has_offset:
            parsed.append(text.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us"))
        else:
            parsed.append(_localized(text.str.to_datetime(fmt, strict=False, time_unit="us"), zone))
    return pl.coalesce(parsed)
