"""Query expectations: a SQL query that selects the rows that should not exist.

The query names the batch as ``{batch}`` (GX's placeholder) and may name the other tables given to the
engine. It runs through polars' SQL context as its own pass over the batch; any row it returns is
unexpected. It must be one read-only SELECT (:mod:`integrity.sqlguard`): anything else is refused
when the suite loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Metric, Spec, Verdict, expectation
from integrity.errors import SuiteError, first_line
from integrity.types import ResultFormat

#: The name the batch is registered under; ``{batch}`` in the query is replaced with it.
BATCH_TABLE = "integrity_batch"


def _context(batch: pl.LazyFrame, tables: Mapping[str, pl.LazyFrame]) -> pl.SQLContext[Any]:
    return pl.SQLContext({**tables, BATCH_TABLE: batch})


@expectation(
    "unexpected_rows_expectation",
    family="query",
    column_args=(),
    args=(Arg("unexpected_rows_query", (str,), required=True),),
)
def unexpected_rows(spec: Spec) -> Check:
    """The SQL query unexpected_rows_query returns no rows."""
    from integrity.sqlguard import FIX, read_only_problem

    written: str = spec.kwargs["unexpected_rows_query"]
    query = written.replace("{batch}", BATCH_TABLE)
    # What the query's text alone shows is checked before the batch or the tables are looked at,
    # so the suite is refused when it loads.
    if "{" in query or "}" in query:
        raise SuiteError(f"the query {written!r} has a brace that is not part of {{batch}}; name "
                         "the batch as {batch} exactly", argument="unexpected_rows_query")
    # polars' SQL is PostgreSQL's, with some DuckDB spellings. {batch} becomes a name of the same
    # length, so the line and column of a parse error point into the query as written.
    problem = read_only_problem(written.replace("{batch}", "_batch_"), ("postgres", "duckdb"))
    if problem:
        raise SuiteError(f"the query {problem}. {FIX} Select the rows that should not exist and "
                         "name the batch {batch}.", argument="unexpected_rows_query")
    tables = dict(spec.tables)
    names = ("name the batch {batch}; other tables come from --table NAME=PATH (tables={...} in "
             "Python)" + (f"; given: {', '.join(sorted(tables))}" if tables else "; none given"))
    # Plan the query over empty frames of the same schemas, so a bad query fails at load time.
    empty = {name: pl.LazyFrame(schema=lf.collect_schema()) for name, lf in tables.items()}
    try:
        _context(pl.LazyFrame(schema=spec.schema), empty).execute(query).collect_schema()
    except Exception as exc:
        shown = written if len(written) <= 80 else written[:79] + "…"
        raise SuiteError(f"the query {shown!r} cannot run: {first_line(exc)}. Write it in polars "
                         f"SQL and {names}.", argument="unexpected_rows_query") from None
    limit = None if spec.result_format.at_least(ResultFormat.COMPLETE) else spec.partial_limit

    def run(batch: pl.LazyFrame) -> tuple[int, list[dict[str, Any]]]:
        rows = _context(batch, tables).execute(query, eager=False)
        shown = rows if limit is None else rows.head(limit)
        count, sample = pl.collect_all([rows.select(pl.len()), shown])
        return int(count.item()), sample.to_dicts()

    metric = Metric(run=run, reason="runs its SQL query")

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        count, sample = m["rows"]
        return Verdict(
            count == 0,
            {
                "observed_value": f"{count} unexpected {'row' if count == 1 else 'rows'}",
                "unexpected_count": count,
                "details": {"unexpected_rows": sample},
            },
        )

    return Check({"rows": metric}, evaluate)
