"""Shared machinery of the expectation families: map (row-wise) checks and aggregate checks.

A column-map expectation only says which non-null rows are unexpected (a boolean expression); this
module turns that into GX's metrics (element, missing and unexpected counts, the partial and full
unexpected lists and their row positions) as aggregate expressions the engine fuses into one query.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from integrity.checks.arguments import resolve_parameter
from integrity.checks.base import Check, Metric, Partial, Spec, Verdict
from integrity.checks.partials import Chunks, add_up, concatenated, summed
from integrity.errors import SuiteError
from integrity.types import ResultFormat

ROW_POSITION = pl.int_range(pl.len(), dtype=pl.UInt64)


def in_domain(spec: Spec, mask: pl.Expr) -> pl.Expr:
    """``mask`` restricted to the rows the row_condition selects."""
    return mask if spec.domain is None else (spec.domain & mask)


def domain_count(spec: Spec) -> pl.Expr:
    return pl.len().cast(pl.Int64) if spec.domain is None else spec.domain.sum().cast(pl.Int64)


def mostly_success(considered: int, unexpected: int, mostly: float | None) -> bool:
    """GX's rule: vacuously true on no rows; else the share of expected rows must reach ``mostly``."""
    if considered == 0:
        return True
    if mostly is None:
        return unexpected == 0
    return (considered - unexpected) / considered >= mostly - 1e-12


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def map_check(
    spec: Spec,
    values: pl.Expr | Sequence[str],
    unexpected: pl.Expr,
    *,
    missing: pl.Expr,
    skip_missing: bool = True,
    value_of: Callable[[Any], Any] | None = None,
    unless: pl.Expr | None = None,
    row_local: bool = True,
) -> Check:
    """Build a row-wise check.

    Args:
        spec: the expectation spec.
        values: the column expression whose values the unexpected lists report, or column names
            (then each unexpected value is a dict of those columns, as GX reports multicolumn rows).
        unexpected: boolean expression, True where a considered row violates the expectation.
        missing: boolean expression, True where a row counts as missing (null).
        skip_missing: missing rows are not considered (GX's default); False counts them as considered
            and leaves the missing figures out of the result (GX's null expectations).
        value_of: converts each reported value (e.g. struct dicts to tuples).
        unless: an aggregate boolean that, when True, proves no row is unexpected; the engine then
            skips the mask and the metrics that read it (see :attr:`Metric.skip_when`).
        row_local: each row's verdict depends on that row alone, so the metrics can be computed
            chunk by chunk; False when ``unexpected`` compares rows with each other (repeats,
            the previous row, the column's mean).
    """
    considered_rows = in_domain(spec, ~missing) if skip_missing else in_domain(spec, pl.lit(True))
    rows = considered_rows & unexpected.fill_null(False)
    # A column named twice (GX allows it) is reported once: a struct's fields must differ.
    shown = values if isinstance(values, pl.Expr) else pl.struct(
        [pl.col(c) for c in dict.fromkeys(values)])
    fmt = spec.result_format
    # The mask becomes one helper column, shared by the count, the lists and the positions.
    mask = row_column(rows)
    bad = pl.col(mask[0])

    def over_mask(expr: pl.Expr, skipped: Any = None, merge: Callable[[Chunks], Any] | None = None,
                  ) -> Metric:
        """A metric of the mask; under ``unless`` it is skipped, taking ``skipped`` (default []).
        Otherwise, with ``merge`` and a row-local mask, it also has its chunk form."""
        if unless is None:
            partial = Partial((expr,), merge) if merge is not None and row_local else None
            return Metric(expr, inputs=(mask,), partial=partial)
        return Metric(expr, inputs=(mask,), skip_when=unless,
                      skipped=[] if skipped is None else skipped)

    def listing(expr: pl.Expr, limit: int | None, positions: bool = False) -> Metric:
        return over_mask(expr, merge=concatenated(limit, positions))

    metrics: dict[str, Metric] = {
        "element_count": summed(domain_count(spec)),
        "missing_count": summed(in_domain(spec, missing).sum().cast(pl.Int64)),
        "unexpected_count": over_mask(bad.sum().cast(pl.Int64), skipped=0, merge=add_up),
    }
    limit = spec.partial_limit
    if fmt.at_least(ResultFormat.BASIC):
        metrics["partial_unexpected_list"] = listing(shown.filter(bad).head(limit).implode(), limit)
    if fmt.at_least(ResultFormat.SUMMARY):
        metrics["partial_unexpected_index_list"] = listing(
            ROW_POSITION.filter(bad).head(limit).implode(), limit, positions=True)
        # Top counts do not merge from chunks' top counts: this one needs the whole mask.
        metrics["unexpected_values_for_counts"] = over_mask(
            shown.filter(bad).value_counts(sort=True, name="count").head(limit).implode()
        )
    if fmt.at_least(ResultFormat.COMPLETE):
        metrics["unexpected_list"] = listing(shown.filter(bad).implode(), None)
        metrics["unexpected_index_list"] = listing(ROW_POSITION.filter(bad).implode(), None,
                                                   positions=True)

    mostly = spec.kwargs.get("mostly")
    convert = value_of or (lambda v: v)

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        element = int(m["element_count"])
        missing_n = int(m["missing_count"])
        unexpected_n = int(m["unexpected_count"])
        considered = element - missing_n if skip_missing else element
        result: dict[str, Any] = {
            "element_count": element,
            "unexpected_count": unexpected_n,
            "unexpected_percent": percent(unexpected_n, considered),
            "partial_unexpected_list": [convert(v) for v in m.get("partial_unexpected_list") or []],
            "missing_count": missing_n,
            "missing_percent": percent(missing_n, element),
            "unexpected_percent_total": percent(unexpected_n, element),
            "unexpected_percent_nonmissing": percent(unexpected_n, considered),
        }
        if not skip_missing:
            # Null checks count every row: GX reports no missing figures for them.
            for key in ("missing_count", "missing_percent", "unexpected_percent_total",
                        "unexpected_percent_nonmissing"):
                del result[key]
        if "partial_unexpected_index_list" in m:
            result["partial_unexpected_index_list"] = list(m["partial_unexpected_index_list"])
            counted = [(convert(_value_of_count(row)), int(row["count"]))
                       for row in m["unexpected_values_for_counts"]]
            # GX orders them by count, then by value (nulls last here, where GX cannot compare).
            counted.sort(key=lambda pair: (-pair[1], *_sortable(pair[0])))
            result["partial_unexpected_counts"] = [{"value": v, "count": n} for v, n in counted]
        if "unexpected_list" in m:
            result["unexpected_list"] = [convert(v) for v in m["unexpected_list"]]
            result["unexpected_index_list"] = list(m["unexpected_index_list"])
        return Verdict(mostly_success(considered, unexpected_n, mostly), result)

    return Check(metrics, evaluate, rows=rows)


def row_column(expr: pl.Expr) -> tuple[str, pl.Expr]:
    """Name a row-wise expression by its content, so identical masks share one column."""
    import hashlib

    try:
        text = expr.meta.serialize(format="json")
    except Exception:  # not serializable: keep it private to this check
        text = f"{id(expr)}"
    return f"__integrity_{hashlib.sha1(text.encode()).hexdigest()[:16]}", expr


def _value_of_count(row: Mapping[str, Any]) -> Any:
    return next(v for k, v in row.items() if k != "count")


def _sortable(value: Any) -> tuple[int, str, Any]:
    """A sort key for values of any type: nulls last, then grouped by type, then by value."""
    if isinstance(value, dict | list | tuple):
        items = value.values() if isinstance(value, dict) else value
        return 0, "sequence", tuple(_sortable(v) for v in items)
    kind = "number" if isinstance(value, bool | int | float) else type(value).__name__
    return (1, "", 0) if value is None else (0, kind, value)


def column_map(spec: Spec, unexpected: Callable[[pl.Expr], pl.Expr], *,
               skip_missing: bool = True, unless: pl.Expr | None = None,
               row_local: bool = True) -> Check:
    """A single-column map check: ``unexpected(col)`` is True for a bad non-null value."""
    column = pl.col(spec.kwargs["column"])
    return map_check(spec, column, unexpected(column), missing=column.is_null(),
                     skip_missing=skip_missing, unless=unless, row_local=row_local)


# Uniqueness. polars' is_duplicated builds a hash table of row indices (about 1 s per 5M rows).
# Sorting integers and finding equal neighbours is four times cheaper, so integers and temporals
# are marked that way at once. Other types first count distinct hashes (ten times cheaper; almost
# always all distinct on clean data) and mark the repeated rows only when that guard fails.

_SEED = 0x5EED
"""Seed of the 64-bit hashes that distinct counts and repeated rows compare."""


def _hashable_only(dtype: pl.DataType) -> bool:
    """Types compared through a 64-bit hash first (slow to sort or to hash-table by value)."""
    return not (dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean)


def distinct_non_null(key: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Aggregate: how many distinct non-null values ``key`` has (Int64).

    Numbers, temporals and booleans are counted exactly. Other types (text above all, where
    polars' n_unique is ten times slower) count distinct 64-bit hashes: two different values
    share a hash with probability about n^2 / 2^65 (under 1e-7 for a million distinct values),
    which would undercount by one.
    """
    counted = distinct_key(key, dtype)
    return (counted.n_unique() - key.null_count().gt(0).cast(pl.UInt32)).cast(pl.Int64)


def distinct_key(key: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """What distinct counts compare (see :func:`distinct_non_null`): the value itself, or its
    64-bit hash for the types that are hashed first (a null value hashes to a non-null hash)."""
    return key.hash(seed=_SEED) if _hashable_only(dtype) else key


def all_distinct(key: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Aggregate: True when no non-null value of ``key`` appears twice.

    Exact even where :func:`distinct_non_null` hashes: equal values always hash equally, so
    all-distinct hashes prove all-distinct values (a collision only means the exact
    repeated-row pass runs).
    """
    return distinct_non_null(key, dtype) == key.count().cast(pl.Int64)


def sorts_cheaply(dtype: pl.DataType) -> bool:
    """Integers, temporals and booleans: finding repeats by sorting costs what counting distinct
    values costs (polars counts them by sorting too), so no all-distinct guard is worth adding."""
    return dtype.is_integer() or dtype.is_temporal() or dtype == pl.Boolean


def repeated(key: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Row-wise: True where the non-null ``key`` value appears more than once (exact; null is False).

    Integers and temporals: sort and keep values equal to their neighbour. Floats keep polars'
    is_duplicated (NaN equals NaN, -0.0 equals 0.0). Everything else: rows whose 64-bit hash
    repeats are candidates, and is_duplicated confirms them on the values among candidates only.
    """
    if sorts_cheaply(dtype):
        ordered = key.drop_nulls().sort()
        twice = ordered.filter(ordered == ordered.shift(1)).implode()
        return key.is_in(twice).fill_null(False)
    if dtype.is_float():
        return key.is_duplicated() & key.is_not_null()
    hashed = key.hash(seed=_SEED)
    candidate = repeated(pl.when(key.is_not_null()).then(hashed), pl.UInt64())
    return candidate & pl.when(candidate).then(key).is_duplicated()


def aggregate_check(
    spec: Spec,
    metrics: Mapping[str, pl.Expr | Metric],
    judge: Callable[[Mapping[str, Any]], tuple[bool, dict[str, Any]]],
) -> Check:
    """An aggregate check: ``judge`` receives the metric values and returns (success, result)."""
    planned = {k: (v if isinstance(v, Metric) else Metric(v)) for k, v in metrics.items()}

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        success, result = judge(m)
        return Verdict(success, result)

    return Check(planned, evaluate)


def in_domain_or_null(spec: Spec, column: str | None = None) -> pl.Expr:
    """``column`` with the rows outside the row_condition's domain set to null (same length as the
    batch), for metrics that must not mix those rows in (distinct counts, repeated values)."""
    expr = pl.col(column or spec.kwargs["column"])
    return expr if spec.domain is None else pl.when(spec.domain).then(expr)


def column_values(spec: Spec, column: str | None = None) -> pl.Expr:
    """The non-null values of ``column`` in the expectation's domain, for aggregates."""
    expr = pl.col(column or spec.kwargs["column"])
    if spec.domain is not None:
        expr = expr.filter(spec.domain)
    return expr.drop_nulls()


def between(value: Any, min_value: Any, max_value: Any, strict_min: bool = False,
            strict_max: bool = False) -> bool:
    """GX's range test: a None bound is open; a None or NaN observed value fails.

    A float statistic within a relative 1e-12 of an inclusive bound counts as equal to it: engines
    sum in different orders (polars is not numpy's pairwise summation), so a mean that a profiler
    wrote down from pandas as its own bound differs here in the last digits (docs/conformance.md,
    deliberate differences)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if min_value is not None:
        lo = coerce_like(min_value, value)
        if (value < lo and not _same_float(value, lo)) or (strict_min and value == lo):
            return False
    if max_value is not None:
        hi = coerce_like(max_value, value)
        if (value > hi and not _same_float(value, hi)) or (strict_max and value == hi):
            return False
    return True


def _same_float(value: Any, bound: Any) -> bool:
    """Equal but for the rounding of the engine that computed ``value`` (a float)."""
    return (isinstance(value, float) and isinstance(bound, int | float)
            and not isinstance(bound, bool) and math.isclose(value, bound, rel_tol=1e-12))


def range_judge(spec: Spec, key: str = "observed_value") -> Callable[[Mapping[str, Any]], tuple[bool, dict[str, Any]]]:
    """A judge comparing metric ``key`` with the spec's min_value/max_value (and strictness)."""

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        observed = m[key]
        ok = between(observed, spec.kwargs.get("min_value"), spec.kwargs.get("max_value"),
                     bool(spec.kwargs.get("strict_min")), bool(spec.kwargs.get("strict_max")))
        return ok, {"observed_value": observed}

    return judge


def check_bounds(spec: Spec) -> None:
    """min_value must not exceed max_value (GX raises the same)."""
    lo, hi = spec.kwargs.get("min_value"), spec.kwargs.get("max_value")
    if lo is None and hi is None:
        return
    if lo is not None and hi is not None:
        try:
            if lo > hi:
                raise SuiteError("min_value cannot be greater than max_value", argument="min_value")
        except TypeError:
            pass


def parse_datetime(text: str) -> dt.datetime:
    from dateutil import parser

    return parser.parse(text)


def coerce_like(bound: Any, value: Any) -> Any:
    """Coerce a bound as GX serializes it (ISO strings for datetimes) to the observed value's type."""
    if isinstance(value, dt.datetime) and isinstance(bound, str):
        parsed = parse_datetime(bound)
        if value.tzinfo is None and parsed.tzinfo is not None:
            parsed = parsed.replace(tzinfo=None)
        elif value.tzinfo is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=value.tzinfo)
        return parsed
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and isinstance(bound, str):
        return parse_datetime(bound).date()
    return bound


def literal_for(dtype: pl.DataType, value: Any) -> Any:
    """A kwargs value converted to compare against a column of ``dtype`` (ISO strings to datetimes)."""
    if value is None:
        return None
    if dtype.is_temporal() and isinstance(value, str):
        parsed = parse_datetime(value)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None and parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            elif dtype.time_zone is not None and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed
        if dtype == pl.Date:
            return parsed.date()
    return value


def is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric()


# --- table/pair/multicolumn helpers ---


def rows_to_ignore(columns: Sequence[str], ignore_row_if: str) -> pl.Expr:
    """True where GX's ``ignore_row_if`` drops a row of a multi-column check.

    ``both_values_are_missing``/``all_values_are_missing`` drop rows whose values are all null,
    ``either_value_is_missing``/``any_value_is_missing`` rows with any null, ``neither``/``never`` none.
    """
    nulls = [pl.col(c).is_null() for c in columns]
    if ignore_row_if in ("both_values_are_missing", "all_values_are_missing"):
        return pl.all_horizontal(nulls)
    if ignore_row_if in ("either_value_is_missing", "any_value_is_missing"):
        return pl.any_horizontal(nulls)
    return pl.lit(False)


def comparable(spec: Spec, columns: Sequence[str]) -> list[pl.Expr]:
    """The columns as expressions that compare with each other (as text when types disagree)."""
    dtypes = [spec.dtype(c) for c in columns]
    if (
        len(set(dtypes)) <= 1
        or all(d.is_numeric() for d in dtypes)
        or all(d.is_temporal() for d in dtypes)
    ):
        return [pl.col(c) for c in columns]
    return [pl.col(c).cast(pl.String) for c in columns]


# --- column map helpers ---

def bound_literal(dtype: pl.DataType, value: Any) -> Any:
    """A bound from kwargs (suite parameter, ISO string or datetime) ready to compare with ``dtype``."""
    value = literal_for(dtype, resolve_parameter(value))
    if isinstance(dtype, pl.Datetime) and isinstance(value, dt.datetime):
        if dtype.time_zone is None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        elif dtype.time_zone is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
    return value


def per_unique(values: pl.Expr, test: Callable[[Any], bool]) -> pl.Expr:
    """Boolean expression applying the Python predicate ``test`` once per distinct non-null value.

    For checks polars cannot vectorise (dateutil, jsonschema, strptime); nulls stay null.
    """
    return per_unique_batch(values, lambda distinct: [bool(test(v)) for v in distinct])


def per_unique_batch(values: pl.Expr, test: Callable[[list[Any]], list[bool]]) -> pl.Expr:
    """Like :func:`per_unique`, but ``test`` judges all the distinct values of a batch in one
    call (e.g. in another process), returning one verdict per value, in order."""

    def run(series: pl.Series) -> pl.Series:
        distinct = series.drop_nulls().unique()
        verdicts = pl.Series(test(distinct.to_list()), dtype=pl.Boolean)
        return series.replace_strict(distinct, verdicts, default=None, return_dtype=pl.Boolean)

    return values.map_batches(run, return_dtype=pl.Boolean)
