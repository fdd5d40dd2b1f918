"""expect_query_results_to_match_comparison: the batch's query returns the rows another source's does.

``base_query`` runs over the batch (named ``{batch}``, as in GX); ``comparison_query`` runs over
the table given to the engine as ``comparison_data_source_name`` (``tables={name: frame}``, or
``--table NAME=PATH``), which it names by that name. Rows are compared as value tuples, counting
repeats, as GX does: a row matches as many times as it occurs in both; ``unexpected_count`` is the
larger result's size minus the matches, and the expectation holds when the matched share reaches
``mostly``. COMPLETE results list the comparison rows the batch lacks (``missing_rows``) and the
batch rows the comparison lacks (``unexpected_rows``). Both queries run in one pass of their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import polars as pl

from integrity.checks.arguments import gx_mostly, resolve_parameter
from integrity.checks.base import Arg, Check, Metric, Spec, Verdict, expectation
from integrity.checks.query import BATCH_TABLE
from integrity.errors import SuiteError
from integrity.types import ResultFormat

_SELECT = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(select|with)\b", re.I | re.S)


def _query(spec: Spec, name: str) -> str:
    text = resolve_parameter(spec.kwargs[name])
    if not isinstance(text, str) or not _SELECT.match(text):
        raise SuiteError(f"must be a SELECT query (read only), got {text!r}", argument=name)
    return text


def _planned(query: str, tables: Mapping[str, pl.LazyFrame], argument: str,
             names: str) -> pl.LazyFrame:
    """The query over ``tables``, planned on empty frames first so a bad query fails early."""
    empty = {n: pl.LazyFrame(schema=lf.collect_schema()) for n, lf in tables.items()}
    try:
        pl.SQLContext(empty).execute(query).collect_schema()
    except Exception as exc:
        raise SuiteError(f"the query {query!r} cannot run: {str(exc).splitlines()[0]}. Write it "
                         f"in polars SQL over {names}", argument=argument) from None
    return pl.SQLContext(dict(tables)).execute(query, eager=False)


def _rows(frame: pl.DataFrame) -> Counter[tuple[Any, ...]]:
    try:
        return Counter(frame.rows())
    except TypeError:  # a list or struct value: GX refuses to compare those too
        nested = next(c for c, t in frame.schema.items() if t.is_nested() or t == pl.Object)
        raise ValueError(f"column {nested!r} holds values that cannot be compared as rows "
                         "(lists or structs); select plain columns") from None


def _listed(columns: list[str], counts: Counter[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as dicts, nulls first then ascending, for a stable report (GX's order)."""
    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is not None, str(type(v)), v if v is not None else 0) for v in row)

    return [dict(zip(columns, row, strict=False)) for row in sorted(counts.elements(), key=key)]


@expectation(
    "expect_query_results_to_match_comparison",
    family="query",
    column_args=(),
    args=(Arg("base_query", (str, dict), required=True),
          Arg("comparison_data_source_name", (str, dict), required=True),
          Arg("comparison_query", (str, dict), required=True),
          Arg("mostly", (int, float), default=1.0, check=gx_mostly)),
)
def query_results_match_comparison(spec: Spec) -> Check:
    """base_query over the batch returns the same rows as comparison_query over the named source."""
    source = str(resolve_parameter(spec.kwargs["comparison_data_source_name"]))
    other = spec.tables.get(source)
    if other is None:
        known = ", ".join(repr(t) for t in sorted(spec.tables)) or "none"
        raise SuiteError(f"no table named {source!r} was given to compare with (known tables: "
                         f"{known}); pass it with --table {source}=PATH or tables={{...}}",
                         argument="comparison_data_source_name")
    base_query = _query(spec, "base_query").replace("{batch}", BATCH_TABLE)
    comparison_query = _query(spec, "comparison_query")
    tables = dict(spec.tables)
    _planned(base_query, {**tables, BATCH_TABLE: pl.LazyFrame(schema=spec.schema)}, "base_query",
             "the batch, named {batch}")
    _planned(comparison_query, {source: other}, "comparison_query", f"the table {source!r}")
    mostly = float(spec.get("mostly", 1.0))
    complete = spec.result_format.at_least(ResultFormat.COMPLETE)

    def run(batch: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        base = pl.SQLContext({**tables, BATCH_TABLE: batch}).execute(base_query, eager=False)
        compared = pl.SQLContext({source: other}).execute(comparison_query, eager=False)
        found, wanted = pl.collect_all([base, compared])
        return found, wanted

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        found, wanted = m["results"]
        base, comparison = _rows(found), _rows(wanted)
        larger = max(found.height, wanted.height)
        matched = sum((base & comparison).values())
        unexpected = larger - matched
        share = matched / larger if larger else 1.0
        result: dict[str, Any] = {"unexpected_count": unexpected,
                                  "unexpected_percent": (1 - share) * 100}
        if complete:
            result["details"] = {"missing_rows": _listed(wanted.columns, comparison - base),
                                 "unexpected_rows": _listed(found.columns, base - comparison)}
        return Verdict(share * 100 >= mostly * 100 - 1e-9, result)

    metric = Metric(run=run, reason="runs its two SQL queries (the batch's and the comparison's)")
    return Check({"results": metric}, evaluate)
