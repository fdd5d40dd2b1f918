"""expect_column_values_to_not_be_outliers: each value inside a window built from the column.

``iqr`` (the default) builds Tukey's fences, ``[Q1 - k*IQR, Q3 + k*IQR]`` with linearly
interpolated quartiles, and a value on a fence is inside; ``std`` builds ``mean +- k*sd`` (sample
standard deviation), and a value at the edge is an outlier (with ``k*sd == 0`` only the mean
itself is inside). A column that gives no window (no values, one value under ``std``, a statistic
that is not finite) has no outliers. As GX does, the statistics come from the non-null values in
the domain; NaN counts as missing there and is never an outlier.
"""

from __future__ import annotations

import polars as pl

from integrity.checks.arguments import one_of, resolve_parameter
from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.column_map import COLUMN, MAP, ColumnTypeError, column_dtype
from integrity.checks.families import column_map, in_domain
from integrity.errors import SuiteError

METHODS = ("iqr", "std")


def _method(value: object) -> str | None:
    return None if isinstance(value, dict) else one_of(*METHODS)(value)


def _multiplier(value: object) -> str | None:
    if isinstance(value, dict):
        return None  # a suite parameter, checked when evaluated
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return f"must be a number greater than or equal to 0, got {value!r}"
    return None


@expectation(
    "expect_column_values_to_not_be_outliers",
    family="column_map",
    args=(COLUMN, Arg("method", (str, dict), default="iqr", check=_method),
          Arg("multiplier", (int, float, dict), default=1.5, check=_multiplier), *MAP),
)
def not_be_outliers(spec: Spec) -> Check:
    """No value lies outside the column's iqr (Tukey) or std window, widened by multiplier."""
    column = spec.kwargs["column"]
    dtype = column_dtype(spec)
    if not (dtype.is_numeric() or dtype in (pl.Boolean, pl.Null)):
        raise ColumnTypeError(f"Cannot detect outliers in a non-numerical column: column "
                              f"{column!r} is {dtype}; choose a numeric column or cast it.",
                              argument="column")
    method = resolve_parameter(spec.get("method", "iqr"))
    multiplier = resolve_parameter(spec.get("multiplier", 1.5))
    problem = one_of(*METHODS)(method) or _multiplier(multiplier)
    if problem:  # a suite parameter that evaluated to something unusable
        raise SuiteError(problem, argument="method" if method not in METHODS else "multiplier")
    k = float(multiplier)

    def unexpected(col: pl.Expr) -> pl.Expr:
        x = col.cast(pl.Float64)
        number = x.is_not_nan()
        values = x.filter(in_domain(spec, col.is_not_null() & number))
        if method == "iqr":
            low, high = (values.quantile(q, interpolation="linear") for q in (0.25, 0.75))
            spread = high - low
            window = low.is_finite() & high.is_finite()
            outside = (x < low - k * spread) | (x > high + k * spread)
        else:
            mean, spread = values.mean(), values.std(ddof=1)
            window = mean.is_finite() & spread.is_finite()
            edge = k * spread
            outside = pl.when(edge <= 0).then(x != mean).otherwise((x - mean).abs() >= edge)
        return pl.when(window.fill_null(False) & number).then(outside).otherwise(False)

    return column_map(spec, unexpected, row_local=False)  # the window is the whole column's
