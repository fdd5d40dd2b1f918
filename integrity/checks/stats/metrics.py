"""The column metrics a batch's history keeps and ``expect_column_metric_to_be_within_history`` compares.

Each is one aggregate polars expression over the whole column, so it joins the suite's fused query
(and, where it merges chunk by chunk, a low-memory run's chunk pass). The job computes the same
expressions over the rows it published, to record them for later batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from integrity.checks.aggregate import middle_of
from integrity.checks.base import Metric
from integrity.checks.families import distinct_non_null
from integrity.checks.partials import extreme, mean_of, std_of, summed, total
from integrity.errors import did_you_mean


@dataclass(frozen=True)
class ColumnMetric:
    """One metric: which columns it applies to and how it is computed."""

    kind: str
    """``any`` type, ``numeric`` (numbers and booleans) or ``text``."""
    build: Callable[[pl.Expr, pl.DataType, str], Metric]
    """(column, its type, the polars engine) -> the metric."""
    description: str


def _fraction(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """``part / whole`` as a float, null when ``whole`` is 0 (no rows: no fraction)."""
    return pl.when(whole > 0).then(part.cast(pl.Float64) / whole.cast(pl.Float64))


def _median(values: pl.Expr, engine: str) -> Metric:
    # Selection is linear in memory but crawls when streamed (see aggregate.median_between).
    floats = values.cast(pl.Float64)
    return Metric(middle_of(floats) if engine == "in-memory" else floats.median())


def _lengths(column: pl.Expr) -> pl.Expr:
    return column.drop_nulls().cast(pl.String).str.len_chars()


METRICS: dict[str, ColumnMetric] = {
    "null_count": ColumnMetric(
        "any", lambda c, _t, _e: summed(c.null_count().cast(pl.Int64)), "rows where it is null"),
    "null_fraction": ColumnMetric(
        "any", lambda c, _t, _e: Metric(_fraction(c.null_count(), pl.len())),
        "share of rows where it is null"),
    "distinct_count": ColumnMetric(
        "any", lambda c, t, _e: Metric(distinct_non_null(c, t)), "distinct non-null values"),
    "distinct_fraction": ColumnMetric(
        "any", lambda c, t, _e: Metric(_fraction(distinct_non_null(c, t), c.count())),
        "distinct non-null values per non-null value"),
    "mean": ColumnMetric("numeric", lambda c, _t, _e: mean_of(c.drop_nulls()), "mean"),
    "median": ColumnMetric("numeric", lambda c, _t, e: _median(c.drop_nulls(), e), "median"),
    "stdev": ColumnMetric("numeric", lambda c, _t, _e: std_of(c.drop_nulls(), ddof=1),
                          "sample standard deviation"),
    "min": ColumnMetric("numeric", lambda c, _t, _e: extreme(c.drop_nulls().min(), "min"),
                        "smallest value"),
    "max": ColumnMetric("numeric", lambda c, _t, _e: extreme(c.drop_nulls().max(), "max"),
                        "largest value"),
    "sum": ColumnMetric("numeric", lambda c, _t, _e: total(c.drop_nulls(), c.drop_nulls().sum()),
                        "total"),
    "mean_length": ColumnMetric("text", lambda c, _t, _e: mean_of(_lengths(c)),
                                "mean length in characters"),
    "min_length": ColumnMetric("text", lambda c, _t, _e: extreme(_lengths(c).min(), "min"),
                               "shortest length in characters"),
    "max_length": ColumnMetric("text", lambda c, _t, _e: extreme(_lengths(c).max(), "max"),
                               "longest length in characters"),
}


def metric_problem(name: object) -> str | None:
    """Why ``name`` is not a metric this module knows (listing the ones it does), or None."""
    if isinstance(name, str) and name in METRICS:
        return None
    return (f"unknown metric {name!r}.{did_you_mean(str(name), METRICS)} Metrics: "
            f"{', '.join(METRICS)}")


def applies(name: str, dtype: pl.DataType) -> bool:
    """Whether metric ``name`` can be computed on a column of ``dtype``."""
    kind = METRICS[name].kind
    if kind == "numeric":
        return dtype.is_numeric() or dtype == pl.Boolean
    if kind == "text":
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    return True


def fitting(name: str, dtype: pl.DataType) -> str:
    """What metric ``name`` needs and which metrics a ``dtype`` column offers, for messages."""
    offered = [m for m in METRICS if applies(m, dtype)]
    needs = {"numeric": "a numeric column", "text": "a text column"}[METRICS[name].kind]
    return f"metric {name!r} needs {needs}; a {dtype} column offers {', '.join(offered)}"


def metric_of(name: str, column: str, dtype: pl.DataType, engine: str = "in-memory") -> Metric:
    """Metric ``name`` of ``column`` (over every row of the batch; nulls as each metric says)."""
    expr = pl.col(column)
    if dtype == pl.Boolean and METRICS[name].kind == "numeric":
        expr = expr.cast(pl.Int8)
    return METRICS[name].build(expr, dtype, engine)
