"""expect_multicolumn_values_to_be_equal: in every considered row, the columns hold one value.

Equality is null-safe, as in GX: two nulls are equal, a null and a value are not. Columns of
types that cannot hold equal values (text and numbers) are equal only where both are null, as
pandas' ``==`` finds (``1 == "1"`` is False), rather than an error.
"""

from __future__ import annotations

import polars as pl

from integrity.checks.arguments import string_list
from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.multicolumn import ARGS, COLUMNS, multicolumn_check


def _two_or_more(value: object) -> str | None:
    problem = string_list(value)
    if problem is None and isinstance(value, list) and len(value) < 2:
        return f"column_list must contain at least two columns, got {value!r}"
    return problem


def _comparable(a: pl.DataType, b: pl.DataType) -> bool:
    numeric = (a.is_numeric() or a == pl.Boolean) and (b.is_numeric() or b == pl.Boolean)
    return a == b or numeric or a.base_type() == b.base_type() or pl.Null in (a, b)


def _same(spec: Spec, first: str, other: str) -> pl.Expr:
    a, b = pl.col(first), pl.col(other)
    if _comparable(spec.dtype(first), spec.dtype(other)):
        return a.eq_missing(b)
    return a.is_null() & b.is_null()


@expectation(
    "expect_multicolumn_values_to_be_equal",
    family="multicolumn",
    column_args=COLUMNS,
    args=(Arg("column_list", required=True, check=_two_or_more), *ARGS[1:]),
)
def multicolumn_values_equal(spec: Spec) -> Check:
    """Every column of column_list holds the same value in each row (nulls equal each other)."""
    first, *rest = spec.kwargs["column_list"]
    return multicolumn_check(spec, ~pl.all_horizontal([_same(spec, first, c) for c in rest]))
