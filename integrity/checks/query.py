"""Query expectations: a SQL query that selects the rows that should not exist.

The query names the batch as ``{batch}`` (GX's placeholder) and may name the other tables given to the
engine. It runs through polars' SQL context as its own pass over the batch; any row it returns is
unexpected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Metric, Spec, Verdict, expectation
from integrity.errors import SuiteError
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
    query = spec.kwargs["unexpected_rows_query"].replace("{batch}", BATCH_TABLE)
    tables = dict(spec.tables)
    # Plan the query over empty frames of the same schemas, so a bad query fails at load time.
    empty = {name: pl.LazyFrame(schema=lf.collect_schema()) for name, lf in tables.items()}
    try:
        _context(pl.LazyFrame(schema=spec.schema), empty).execute(query).collect_schema()
    except Exception as exc:
        cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # not polars' plan dump
        raise SuiteError(
            f"the query {spec.kwargs['unexpected_rows_query']!r} cannot run: {cause}. Write it in "
            "polars SQL and name the batch {batch}; other tables come from --table NAME=PATH "
            "(tables={...} in Python)"
            + (f"; given: {', '.join(sorted(tables))}" if tables else "; none given"),
            argument="unexpected_rows_query",
        ) from None
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
