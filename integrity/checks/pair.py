"""Column pair expectations: a yes/no question for every row of two columns, column_A and column_B.

Rows are dropped per ``ignore_row_if`` (both values missing by default); a comparison with a null on
a row that is kept counts as unexpected, as in GX. Unexpected values are reported as ``[A, B]`` pairs.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from integrity.checks.arguments import gx_mostly, one_of
from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.families import comparable, literal_for, map_check, rows_to_ignore

PAIR = ("column_A", "column_B")
ARGS = (
    Arg("column_A", (str,), required=True),
    Arg("column_B", (str,), required=True),
    Arg("mostly", default=1.0, check=gx_mostly),
    Arg(
        "ignore_row_if",
        (str,),
        default="both_values_are_missing",
        check=one_of("both_values_are_missing", "either_value_is_missing", "neither"),
    ),
    Arg("row_condition", (str,)),
    Arg("condition_parser", (str,)),
)


def pair_check(spec: Spec, expected: pl.Expr) -> Check:
    """A pair map check: ``expected`` is True where a row's pair is fine (null counts as not fine)."""
    a, b = (spec.kwargs[c] for c in PAIR)
    # Aliased fields: column_A and column_B may name the same column.
    shown = pl.struct(pl.col(a).alias("A"), pl.col(b).alias("B"))
    ignored = rows_to_ignore([a, b], spec.get("ignore_row_if", "both_values_are_missing"))
    return map_check(spec, shown, ~expected.fill_null(False), missing=ignored, value_of=_as_pair)


def _as_pair(value: Any) -> Any:
    return [value["A"], value["B"]] if isinstance(value, dict) else value


@expectation(
    "expect_column_pair_values_to_be_equal", family="column_pair", column_args=PAIR, args=ARGS
)
def pair_equal(spec: Spec) -> Check:
    """Values in column_A equal those in column_B, row by row."""
    a, b = comparable(spec, [spec.kwargs[c] for c in PAIR])
    return pair_check(spec, a == b)


@expectation(
    "expect_column_pair_values_a_to_be_greater_than_b",
    family="column_pair",
    column_args=PAIR,
    args=(*ARGS, Arg("or_equal", (bool,), default=False)),
)
def pair_a_greater_than_b(spec: Spec) -> Check:
    """Values in column_A are greater than (or_equal: at least) those in column_B."""
    a, b = pl.col(spec.kwargs["column_A"]), pl.col(spec.kwargs["column_B"])
    return pair_check(spec, (a >= b) if spec.kwargs.get("or_equal") else (a > b))


def _value_pairs(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(p, list | tuple) and len(p) == 2 for p in value
    ):
        return f"must be a list of [value_A, value_B] pairs, got {value!r}"
    return None


@expectation(
    "expect_column_pair_values_to_be_in_set",
    family="column_pair",
    column_args=PAIR,
    args=(*ARGS, Arg("value_pairs_set", required=True, check=_value_pairs)),
)
def pair_in_set(spec: Spec) -> Check:
    """Each (column_A, column_B) pair is one of value_pairs_set."""
    names = [spec.kwargs[c] for c in PAIR]
    a, b = pl.col(names[0]), pl.col(names[1])
    dtype_a, dtype_b = (spec.dtype(n) for n in names)
    allowed = pl.lit(False)
    for value_a, value_b in spec.kwargs["value_pairs_set"]:
        allowed = allowed | (
            a.eq_missing(literal_for(dtype_a, value_a))
            & b.eq_missing(literal_for(dtype_b, value_b))
        )
    return pair_check(spec, allowed)
