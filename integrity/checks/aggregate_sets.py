"""Set expectations over a column's distinct values and its most common value.

All of them share one metric, the value counts of the column's non-null values in the domain, so a
suite asking several of these questions about one column computes the counts once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from integrity.checks.aggregate import COLUMN
from integrity.checks.base import CONDITION, Arg, Check, Metric, Spec, expectation
from integrity.checks.families import aggregate_check, column_values, literal_for
from integrity.checks.partials import value_counts_of
from integrity.errors import SuiteError

#: Name of the count field in value-count structs (unlikely to collide with a column's name).
COUNT = "__integrity_count"

VALUE_SET = Arg("value_set", (list, set, tuple))


def value_counts(spec: Spec) -> Metric:
    """Counts of the column's distinct non-null values in the domain, as one list of structs."""
    return value_counts_of(column_values(spec).value_counts(name=COUNT).implode(), COUNT)


def counts_of(rows: list[dict[str, Any]] | None) -> list[tuple[Any, int]]:
    """(value, count) pairs from a value-counts metric, sorted by value."""
    pairs = [(next(v for k, v in row.items() if k != COUNT), int(row[COUNT])) for row in rows or []]
    return sorted(pairs, key=lambda pair: pair[0])


def value_set_of(spec: Spec, *, required: bool) -> set[Any] | None:
    """The value_set kwarg with each member converted to the column's type (ISO strings to dates)."""
    values = spec.kwargs.get("value_set")
    if values is None:
        if required:
            raise SuiteError(
                f"{spec.type} needs a value_set (a list of values)", argument="value_set"
            )
        return None
    dtype = spec.dtype(spec.kwargs["column"])
    try:
        return {literal_for(dtype, v) for v in values}
    except (TypeError, ValueError) as exc:
        raise SuiteError(
            f"cannot compare its members with column {spec.kwargs['column']!r} "
            f"of type {dtype}: {exc}",
            argument="value_set",
        ) from None


def distinct_check(spec: Spec, decide: Callable[[set[Any]], bool], *,
                   allowed: set[Any] | None = None, wanted: set[Any] | None = None) -> Check:
    """Judge the set of distinct values with ``decide``; report them and their counts.

    Beside the observed set and its counts (GX's test definitions), report what GX 1.x reports:
    with ``allowed``, the distinct values outside it (``unexpected_count``,
    ``partial_unexpected_list``); with ``wanted``, its members the column lacks
    (``missing_count``, ``partial_missing_list``)."""

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        pairs = counts_of(m["value_counts"])
        observed = [value for value, _ in pairs]
        result: dict[str, Any] = {
            "observed_value": observed,
            "details": {"value_counts": [{"value": v, "count": n} for v, n in pairs]},
        }
        if allowed is not None:
            outside = [v for v in observed if v not in allowed]
            result["unexpected_count"] = len(outside)
            result["partial_unexpected_list"] = outside[: spec.partial_limit]
        if wanted is not None:
            seen = set(observed)
            lacking = sorted((v for v in wanted if v not in seen), key=_order)
            result["missing_count"] = len(lacking)
            result["partial_missing_list"] = lacking[: spec.partial_limit]
        return decide(set(observed)), result

    return aggregate_check(spec, {"value_counts": value_counts(spec)}, judge)


def _order(value: Any) -> tuple[str, Any]:
    """Sorts values of mixed types (a value_set may hold several) by type name, then value."""
    return type(value).__name__, value


@expectation(
    "expect_column_distinct_values_to_be_in_set",
    family="column_aggregate",
    args=(COLUMN, VALUE_SET, *CONDITION),
)
def distinct_values_in_set(spec: Spec) -> Check:
    """Every distinct value is in value_set (value_set null: any values pass)."""
    if spec.kwargs.get("value_set") == []:
        # GX 1.x refuses it too: an empty allow-list would fail every non-empty column.
        raise SuiteError("value_set is empty; list the allowed values, or drop value_set",
                         argument="value_set")
    allowed = value_set_of(spec, required=False)
    return distinct_check(spec, lambda observed: allowed is None or observed <= allowed,
                          allowed=allowed)


@expectation(
    "expect_column_distinct_values_to_contain_set",
    family="column_aggregate",
    args=(COLUMN, VALUE_SET, *CONDITION),
)
def distinct_values_contain_set(spec: Spec) -> Check:
    """Every member of value_set occurs among the distinct values."""
    wanted = value_set_of(spec, required=True) or set()
    return distinct_check(spec, lambda observed: wanted <= observed, wanted=wanted)


@expectation(
    "expect_column_distinct_values_to_equal_set",
    family="column_aggregate",
    args=(COLUMN, VALUE_SET, *CONDITION),
)
def distinct_values_equal_set(spec: Spec) -> Check:
    """The distinct values are exactly value_set."""
    wanted = value_set_of(spec, required=True) or set()
    return distinct_check(spec, lambda observed: observed == wanted, allowed=wanted, wanted=wanted)


@expectation(
    "expect_column_most_common_value_to_be_in_set",
    family="column_aggregate",
    args=(COLUMN, VALUE_SET, Arg("ties_okay", (bool,), default=False), *CONDITION),
)
def most_common_value_in_set(spec: Spec) -> Check:
    """The most common value is in value_set; with ties_okay, one of several tied modes suffices."""
    allowed = value_set_of(spec, required=True) or set()
    ties_okay = bool(spec.kwargs.get("ties_okay"))

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        pairs = counts_of(m["value_counts"])
        top = max((n for _, n in pairs), default=0)
        modes = [v for v, n in pairs if n == top]
        hits = sum(1 for v in modes if v in allowed)
        success = hits > 0 if ties_okay else (len(modes) == 1 and hits == 1)
        return success, {"observed_value": modes}

    return aggregate_check(spec, {"value_counts": value_counts(spec)}, judge)
