"""Table expectations: row counts, column counts and column names.

Column facts come from the batch schema and need no query; row counts are aggregate expressions fused
into the suite's one select (the other table of a cross-table count gets its own pass).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest
from typing import Any

import polars as pl

from integrity.checks.arguments import gx_integer, resolve_parameter
from integrity.checks.base import (
    CONDITION,
    Arg,
    Check,
    Metric,
    Spec,
    Verdict,
    expectation,
    require,
)
from integrity.checks.families import aggregate_check, between, domain_count
from integrity.checks.partials import summed

Validator = Callable[[Any], str | None]


def _is_parameter(value: Any) -> bool:
    return isinstance(value, dict) and "$PARAMETER" in value


def _bound(counting: str, types: tuple[type, ...]) -> Validator:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, types):
            return f"min_value and max_value must be integers (a {counting} count), got {value!r}"
        return None

    return check


ROW_BOUND, COLUMN_BOUND = _bound("row", (int,)), _bound("column", (int, float))


def _or_parameter(check: Validator) -> Validator:
    """Accept a GX suite parameter at load time; :func:`_resolved` checks its value at build time."""
    return lambda value: None if _is_parameter(value) else check(value)


def _resolved(spec: Spec, name: str, check: Validator) -> Any:
    """Argument ``name`` with any suite parameter evaluated, validated by ``check``."""
    value = resolve_parameter(spec.kwargs.get(name))
    problem = None if value is None else check(value)
    require(problem is None, problem or "", name)
    return value


def _bounds(spec: Spec, check: Validator, message: str) -> tuple[Any, Any]:
    lo, hi = _resolved(spec, "min_value", check), _resolved(spec, "max_value", check)
    require(
        lo is None or hi is None or lo <= hi,
        f"{message}: min_value {lo} > max_value {hi}; swap them",
        "min_value",
    )
    return lo, hi


def _static(success: bool, result: dict[str, Any]) -> Check:
    """A check decided at plan time from the schema (no metric, no query)."""
    verdict = Verdict(success, result)
    return Check({}, lambda _: verdict)


@expectation(
    "expect_table_row_count_to_be_between",
    family="table",
    column_args=(),
    args=(
        Arg("min_value", check=_or_parameter(ROW_BOUND)),
        Arg("max_value", check=_or_parameter(ROW_BOUND)),
        Arg("strict_min", (bool,), default=False),
        Arg("strict_max", (bool,), default=False),
        *CONDITION,
    ),
)
def row_count_between(spec: Spec) -> Check:
    """The batch has between min_value and max_value rows (exclusive where strict)."""
    lo, hi = _bounds(spec, ROW_BOUND, "Minimum Threshold cannot be larger than Maximum Threshold")
    strict = bool(spec.kwargs.get("strict_min")), bool(spec.kwargs.get("strict_max"))
    return aggregate_check(
        spec,
        {"observed_value": summed(domain_count(spec))},
        lambda m: (between(m["observed_value"], lo, hi, *strict),
                   {"observed_value": m["observed_value"]}),
    )


@expectation(
    "expect_table_row_count_to_equal",
    family="table",
    column_args=(),
    args=(Arg("value", required=True, check=_or_parameter(gx_integer)), *CONDITION),
)
def row_count_equal(spec: Spec) -> Check:
    """The batch has exactly ``value`` rows."""
    value = _resolved(spec, "value", gx_integer)
    return aggregate_check(
        spec,
        {"observed_value": summed(domain_count(spec))},
        lambda m: (m["observed_value"] == value, {"observed_value": m["observed_value"]}),
    )


@expectation(
    "expect_table_row_count_to_equal_other_table",
    family="table",
    column_args=(),
    args=(Arg("other_table_name", (str,), required=True), *CONDITION),
)
def row_count_equal_other_table(spec: Spec) -> Check:
    """The batch has as many rows as the table named other_table_name."""
    name = spec.kwargs["other_table_name"]
    other = spec.tables.get(name)
    if other is None:
        known = ", ".join(repr(t) for t in sorted(spec.tables)) or "none"
        require(
            False,
            f"no table named {name!r} was given to compare with (known tables: {known}); "
            f"give it with --table {name}=PATH (tables={{...}} in Python)",
            "other_table_name",
        )
    assert other is not None

    def count_other(_: pl.LazyFrame) -> int:
        return int(other.select(pl.len()).collect().item())

    metrics = {
        "self": summed(domain_count(spec)),
        "other": Metric(
            run=count_other,
            reason=f"counts the rows of table {name!r}",
            key=f"table_row_count:{name}",
        ),
    }
    return aggregate_check(
        spec,
        metrics,
        lambda m: (
            m["self"] == m["other"],
            {"observed_value": {"self": m["self"], "other": m["other"]}},
        ),
    )


@expectation(
    "expect_table_column_count_to_be_between",
    family="table",
    column_args=(),
    args=(
        Arg("min_value", check=_or_parameter(COLUMN_BOUND)),
        Arg("max_value", check=_or_parameter(COLUMN_BOUND)),
    ),
)
def column_count_between(spec: Spec) -> Check:
    """The batch has between min_value and max_value columns."""
    count = len(spec.schema)  # first: swapped bounds fail this expectation, not the suite's load
    lo, hi = _bounds(spec, COLUMN_BOUND, "min_value cannot be greater than max_value")
    return _static(between(count, lo, hi), {"observed_value": count})


@expectation(
    "expect_table_column_count_to_equal",
    family="table",
    column_args=(),
    args=(Arg("value", required=True, check=_or_parameter(gx_integer)),),
)
def column_count_equal(spec: Spec) -> Check:
    """The batch has exactly ``value`` columns."""
    count = len(spec.schema)
    return _static(count == _resolved(spec, "value", gx_integer), {"observed_value": count})


@expectation(
    "expect_table_columns_to_match_ordered_list",
    family="table",
    column_args=(),
    args=(Arg("column_list", (list,)),),
)
def columns_match_ordered_list(spec: Spec) -> Check:
    """The batch's columns are exactly column_list, in that order."""
    actual = list(spec.schema.names())
    expected = spec.kwargs.get("column_list")
    if expected is None or list(expected) == actual:
        return _static(True, {"observed_value": actual})
    mismatched = [
        {"Expected Column Position": i, "Expected": want, "Found": found}
        for i, (want, found) in enumerate(zip_longest(expected, actual))
        if want != found
    ]
    return _static(False, {"observed_value": actual, "details": {"mismatched": mismatched}})


@expectation(
    "expect_table_columns_to_match_set",
    family="table",
    column_args=(),
    args=(Arg("column_set", (list,)), Arg("exact_match", (bool,), default=True)),
)
def columns_match_set(spec: Spec) -> Check:
    """The batch's columns are column_set (or, with exact_match false, include it).

    As in GX, a missing column_set is the empty set (every column is unexpected) and an explicit
    exact_match of null means false."""
    actual = list(spec.schema.names())
    expected = set(spec.kwargs.get("column_set") or ())
    if expected == set(actual):
        return _static(True, {"observed_value": actual})
    unexpected = sorted(set(actual) - expected)
    missing = sorted(expected - set(actual))
    mismatched = {k: v for k, v in (("unexpected", unexpected), ("missing", missing)) if v}
    exact = spec.kwargs.get("exact_match", True)
    success = False if exact else not missing
    return _static(
        success, {"observed_value": sorted(actual), "details": {"mismatched": mismatched}}
    )


@expectation(
    "expect_column_to_exist",
    family="table",
    needs_columns=False,
    args=(
        Arg("column", (str,), required=True),
        Arg("column_index", check=_or_parameter(gx_integer)),
    ),
)
def column_exists(spec: Spec) -> Check:
    """The column exists (at column_index, 0-based, when given)."""
    actual = list(spec.schema.names())
    column, index = spec.kwargs["column"], _resolved(spec, "column_index", gx_integer)
    if column not in actual:
        return _static(False, {})
    return _static(index is None or actual.index(column) == index, {})
