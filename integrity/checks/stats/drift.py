"""Distribution drift: a column, or the share of a table's columns, against a reference.

The reference is ``"baseline"`` (the dataset's stored baseline profile), ``"previous_batch"`` (the
profile of the newest earlier published batch) or a Parquet/CSV/NDJSON file relative to the suite
file (see :mod:`~integrity.checks.stats.reference`). Without a baseline or an earlier batch yet,
the expectation passes with ``details.not_evaluated`` saying why, and its outcome is
``not_evaluated``, never a silent pass. How a column is compared: :mod:`~integrity.checks.stats.
compare`; the figures: docs/performance.md ("Drift").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import polars as pl

from integrity.checks.base import CONDITION, Arg, Check, Spec, Verdict, expectation
from integrity.checks.stats import compare as cmp
from integrity.checks.stats import features as f
from integrity.checks.stats import outcome
from integrity.checks.stats import reference as ref
from integrity.errors import SuiteError, did_you_mean

NUMBER = (int, float)


def _reference(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else (
        "must be 'baseline', 'previous_batch' or the path of a Parquet or CSV file")


def _method(value: Any) -> str | None:
    if value in cmp.METHODS:
        return None
    return (f"unknown method {value!r}.{did_you_mean(str(value), cmp.METHODS)} Use one of "
            f"{', '.join(cmp.METHODS)}, or leave it out for the default")


def non_negative(value: Any) -> str | None:
    return None if not isinstance(value, bool) and value >= 0 else (
        f"must be a number of at least 0, not {value!r}")


def _bins(value: Any) -> str | None:
    if isinstance(value, bool):
        return "must be a number of bins (2 or more) or a list of increasing bin edges"
    if isinstance(value, int):
        return None if value >= 2 else f"must be at least 2 bins, not {value}"
    if isinstance(value, list) and value and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        if all(b > a for a, b in itertools.pairwise(value)):
            return None
        return "bin edges must be strictly increasing"
    return "must be a number of bins (2 or more) or a list of increasing bin edges"


def _share(value: Any) -> str | None:
    return None if not isinstance(value, bool) and 0 <= value <= 1 else (
        f"must be a share between 0 and 1, not {value!r}")


REFERENCE = Arg("reference", (str,), required=True, check=_reference)


def unevaluated(reason: str, **details: Any) -> Verdict:
    """Success that compared nothing, and why (``details.not_evaluated`` and ``reason``, as
    :func:`~integrity.checks.stats.outcome.not_evaluated` writes them)."""
    return outcome.not_evaluated(reason, {"observed_value": None, "details": details})


def not_evaluated(reason: str, **details: Any) -> Check:
    """A check that compares nothing and says why (see :func:`unevaluated`)."""
    verdict = unevaluated(reason, **details)
    return Check({}, lambda _: verdict)


def rows_of(spec: Spec, column: str) -> pl.Expr:
    """The column (nulls kept) on the expectation's rows."""
    expr = pl.col(column)
    return expr if spec.domain is None else expr.filter(spec.domain)


def kind_checked(spec: Spec, column: str, method: str | None = None) -> str:
    """The column's kind; a SuiteError when its type has no distribution or the method needs
    ordered values it does not have."""
    dtype = spec.dtype(column)
    kind = f.kind_of(dtype)
    if kind is None:
        raise SuiteError(f"column {column!r} holds {dtype}; distributions are compared for "
                         "numbers, dates and times, booleans and text", argument="column")
    if method in cmp.ORDERED and kind not in (f.NUMERIC, f.TEMPORAL):
        raise SuiteError(f"method {method!r} needs ordered values, but column {column!r} holds "
                         f"{dtype}; use psi, jensen_shannon, hellinger or chi2",
                         argument="method")
    return kind


def reference_entry(spec: Spec, source: ref.Source, column: str) -> Mapping[str, Any] | str:
    """The reference's entry for ``column``, or why there is none to compare with."""
    entry = source.column(column, spec.dtype(column))
    if isinstance(entry, ref.Missing):
        return entry.reason
    if not int(entry.get("sample") or 0):
        return f"{source.label} holds no values of column {column!r}"
    return entry


@expectation(
    "expect_column_distribution_to_match_reference",
    family="drift",
    args=(
        Arg("column", (str,), required=True),
        REFERENCE,
        Arg("method", (str,), check=_method),
        Arg("threshold", NUMBER, check=non_negative),
        Arg("bins", (int, list), check=_bins),
        *CONDITION,
    ),
)
def distribution_matches_reference(spec: Spec) -> Check:
    """The column's distribution has not drifted from the reference's (baseline, previous batch
    or a file): not both significantly different (p < 0.001) and farther than ``threshold`` by
    ``method``. Without a reference yet: not evaluated, saying why."""
    column = spec.kwargs["column"]
    method = spec.kwargs.get("method")
    bins = spec.kwargs.get("bins")
    kind = kind_checked(spec, column, method)
    if isinstance(bins, list) and kind not in (f.NUMERIC, f.TEMPORAL):
        raise SuiteError(f"bin edges need a numeric column, but column {column!r} holds "
                         f"{spec.dtype(column)}; give a number of categories instead",
                         argument="bins")
    source = ref.source(spec, spec.kwargs["reference"])
    if isinstance(source, ref.Missing):
        return not_evaluated(source.reason)
    entry = reference_entry(spec, source, column)
    if isinstance(entry, str):
        return not_evaluated(entry, reference=source.label)
    comparison = cmp.compare(rows_of(spec, column), spec.dtype(column), entry, method=method,
                             threshold=spec.kwargs.get("threshold"), bins=bins)

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        judged = comparison.judge(m["drift"])
        if "not_evaluated" in judged:
            return unevaluated(judged["not_evaluated"], reference=source.label)
        verdict = {"reference": source.label, **judged["verdict"]}
        return Verdict(not verdict["drifted"], {"observed_value": verdict,
                                                "details": judged["details"]})

    return Check({"drift": comparison.metric}, evaluate)


@expectation(
    "expect_table_drift_share_to_be_less_than",
    family="drift",
    args=(
        Arg("columns", (list,)),
        REFERENCE,
        Arg("max_share", NUMBER, required=True, check=_share),
        *CONDITION,
    ),
    column_args=("columns",),
)
def drift_share_less_than(spec: Spec) -> Check:
    """Fewer than ``max_share`` of the columns (default: every column the reference has) drifted
    from the reference, each judged by its type's default method and threshold."""
    given = spec.kwargs.get("columns")
    if given is not None and not all(isinstance(c, str) for c in given):
        raise SuiteError("columns must be a list of column names", argument="columns")
    names = list(given) if given is not None else [
        c for c in spec.schema.names() if f.kind_of(spec.dtype(c)) is not None]
    for column in given or ():
        kind_checked(spec, column)
    source = ref.source(spec, spec.kwargs["reference"])
    if isinstance(source, ref.Missing):
        return not_evaluated(source.reason)
    max_share = float(spec.kwargs["max_share"])
    comparisons: dict[str, cmp.Comparison] = {}
    skipped: dict[str, str] = {}
    for column in names:
        kind_checked(spec, column)
        if given is None and not source.has(column):
            skipped[column] = f"{source.label} has no column {column!r}"
            continue
        entry = reference_entry(spec, source, column)
        if isinstance(entry, str):
            skipped[column] = entry
            continue
        comparisons[column] = cmp.compare(rows_of(spec, column), spec.dtype(column), entry)

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        judged: dict[str, Any] = {}
        not_judged = dict(skipped)
        for column, comparison in comparisons.items():
            judged_one = comparison.judge(m[column])
            if "not_evaluated" in judged_one:
                not_judged[column] = judged_one["not_evaluated"]
                continue
            v = judged_one["verdict"]
            judged[column] = {k: v[k] for k in ("method", "statistic", "threshold", "p_value",
                                                  "drifted")}
            if v.get("new_values"):
                judged[column]["new_values"] = v["new_values"]
        if not judged:
            return unevaluated("no column could be compared with the reference",
                               reference=source.label, columns_not_evaluated=not_judged)
        drifted = [c for c, v in judged.items() if v["drifted"]]
        share = len(drifted) / len(judged)
        observed = {"reference": source.label, "share": share, "max_share": max_share,
                    "drifted": drifted, "columns": judged}
        return Verdict(share < max_share, {"observed_value": observed, "details": {
            "columns_not_evaluated": not_judged}})

    return Check({column: c.metric for column, c in comparisons.items()}, evaluate)
