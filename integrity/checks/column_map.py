"""Column map expectations: a yes/no question for every row of one column.

Each is one builder plus its ``@expectation`` line. The builder only says which non-null values are
unexpected; :func:`integrity.checks.families.column_map` turns that into GX's counts and lists.
"""

from __future__ import annotations

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.families import check_bounds, column_map, literal_for, map_check

NUMBER = (int, float)
COLUMN = Arg("column", (str,), required=True)
MAP = (Arg("mostly", NUMBER, default=1.0, check=lambda v: None if 0 <= v <= 1 else
           "mostly must be between 0 and 1"),
       Arg("row_condition", (str,)), Arg("condition_parser", (str,)))
BOUNDS = (Arg("min_value"), Arg("max_value"), Arg("strict_min", (bool,), default=False),
          Arg("strict_max", (bool,), default=False))


@expectation("expect_column_values_to_not_be_null", family="column_map", args=(COLUMN, *MAP))
def not_be_null(spec: Spec) -> Check:
    """Every value is present."""
    column = pl.col(spec.kwargs["column"])
    return map_check(spec, column, column.is_null(), missing=pl.lit(False), skip_missing=False)


@expectation("expect_column_values_to_be_null", family="column_map", args=(COLUMN, *MAP))
def be_null(spec: Spec) -> Check:
    """Every value is null."""
    column = pl.col(spec.kwargs["column"])
    return map_check(spec, column, column.is_not_null(), missing=pl.lit(False), skip_missing=False)


@expectation("expect_column_values_to_be_between", family="column_map",
             args=(COLUMN, *MAP, *BOUNDS))
def be_between(spec: Spec) -> Check:
    """Every value lies between min_value and max_value."""
    check_bounds(spec)
    dtype = spec.dtype(spec.kwargs["column"])
    lo = literal_for(dtype, spec.kwargs.get("min_value"))
    hi = literal_for(dtype, spec.kwargs.get("max_value"))

    def unexpected(col: pl.Expr) -> pl.Expr:
        bad = pl.lit(False)
        if lo is not None:
            bad = bad | ((col <= lo) if spec.kwargs.get("strict_min") else (col < lo))
        if hi is not None:
            bad = bad | ((col >= hi) if spec.kwargs.get("strict_max") else (col > hi))
        return bad

    return column_map(spec, unexpected)
