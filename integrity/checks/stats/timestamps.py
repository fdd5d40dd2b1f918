"""The newest point in time a column holds, whatever its type: zoned or naive datetimes, dates, text.

Naive values (a naive datetime, a date, text without an offset) are read in a time zone, UTC unless
the dataset or the expectation names another; a date counts as its first instant (00:00). Text is
read inside the suite's fused query by Arrow's ISO-8601 cast (about twenty times faster than
polars' format parsing: 1M timestamps in 0.05 s against 1 s), which takes a column whose values all
carry a zone offset (``Z``, ``+02:00``, honoured row by row) or all carry none. A column that mixes
the two, or holds other forms, is read by polars instead: first in the format it infers from the
first value, then against the ISO-8601 forms in :data:`ISO_FORMATS`; values neither reads are
counted and one is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from integrity.checks.base import Metric
from integrity.checks.partials import extreme

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
    read = values.cast(pl.String).map_batches(partial(_newest_text, zone=zone),
                                             return_dtype=_FOUND, returns_scalar=True)
    return {"newest": Metric(read)}


_FOUND = pl.Struct({"newest": pl.Datetime("us", "UTC"), "unparsed": pl.Int64,
                    "example": pl.String})


def _newest_text(series: pl.Series, zone: str) -> pl.Series:
    """The newest instant of text timestamps, how many values are no time, and one of them."""
    values = series.drop_nulls()
    parsed = _by_arrow(values, zone)
    if parsed is None:
        frame = pl.DataFrame({"v": values})
        parsed = frame.select(_inferred(pl.col("v"), zone)).to_series()
        if parsed.null_count():
            parsed = frame.select(pl.coalesce(_inferred(pl.col("v"), zone),
                                              _iso_forms(pl.col("v"), zone))).to_series()
    missed = values.filter(parsed.is_null())
    return pl.Series([{"newest": parsed.max(), "unparsed": missed.len(),
                       "example": missed[0] if missed.len() else None}], dtype=_FOUND)


def _by_arrow(values: pl.Series, zone: str) -> pl.Series | None:
    """``values`` read by Arrow's ISO-8601 cast, all with a zone offset or all without one (then
    in ``zone``); None when neither reads every value."""
    import pyarrow as pa

    array = values.to_arrow()
    for target in (pa.timestamp("ns", "UTC"), pa.timestamp("ns")):
        try:
            cast = array.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        parsed = pl.Series(cast).dt.cast_time_unit("us")
        return parsed if target.tz else pl.select(_localized(pl.lit(parsed), zone)).to_series()
    return None


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
    found = m["newest"]
    if not isinstance(found, Mapping):
        return Newest(as_utc(found, zone))
    return Newest(as_utc(found["newest"], zone), int(found["unparsed"] or 0), found["example"])


def newest_in(frame: pl.LazyFrame, column: str, zone: str) -> Newest:
    """The newest instant of ``column`` in ``frame``. Raises ValueError when the column holds no
    points in time."""
    dtype = frame.collect_schema()[column]
    (metric,) = newest_metrics(pl.col(column).drop_nulls(), dtype, zone).values()
    assert metric.expr is not None
    return newest_of(frame.select(metric.expr.alias("newest")).collect().row(0, named=True), zone)


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
