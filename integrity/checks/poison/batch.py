"""What the batch-level poisoning indicators share: argument shapes and the result around a mask.

A batch-level indicator judges the batch as a whole (a cluster too large, a value too common, too
many labels against their text), but its finding is made of rows, and those rows are what
``quarantine_rows`` holds. So each indicator still says, row by row, which rows are behind the
finding (a boolean mask), and its result lists them in ``unexpected_index_list`` at every result
format (GX lists them only with COMPLETE; here the rows *are* the finding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from integrity.checks.base import Check, Metric, Spec, Verdict
from integrity.checks.families import ROW_POSITION, map_check, row_column

#: How many rows, clusters or values a result's details describe at most.
DETAIL_LIMIT = 20
#: How many characters of a text a result quotes (the rest is in the batch itself).
QUOTE_CHARS = 160

Judge = Callable[[Mapping[str, Any], dict[str, Any]], tuple[bool, dict[str, Any]]]


def share(value: Any) -> str | None:
    """A share between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return f"must be a number between 0 and 1 (a share: 0.05 means 5%), got {value!r}"
    return None


def positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be a whole number of at least 1, got {value!r}"
    return None


def quote(text: Any) -> Any:
    """``text`` cut to :data:`QUOTE_CHARS` characters (results quote customers, never at length)."""
    if isinstance(text, str) and len(text) > QUOTE_CHARS:
        return text[:QUOTE_CHARS] + "…"
    return text


def batch_check(spec: Spec, values: pl.Expr, unexpected: pl.Expr, *, missing: pl.Expr,
                judge: Judge, extra: Mapping[str, Callable[[pl.Expr], pl.Expr]] | None = None,
                ) -> Check:
    """A batch-level check over a row mask computed in the engine's fused query.

    ``unexpected`` is True on the rows behind the finding; ``missing`` on rows not considered.
    ``extra`` metrics are aggregates of the mask (they receive it as a column expression), e.g.
    the flagged rows' texts for the details. ``judge(metrics, result)`` receives GX's counts and
    lists in ``result`` and returns the verdict and the result to report.
    """
    inner = map_check(spec, values, unexpected, missing=missing, row_local=False)
    assert inner.rows is not None
    mask = row_column(inner.rows)
    bad = pl.col(mask[0])
    metrics = dict(inner.metrics)
    metrics["unexpected_index_list"] = Metric(ROW_POSITION.filter(bad).implode(), inputs=(mask,))
    for name, build in (extra or {}).items():
        metrics[name] = Metric(build(bad), inputs=(mask,))

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        result = dict(inner.evaluate(m).result)
        result["unexpected_index_list"] = list(m["unexpected_index_list"])
        success, result = judge(m, result)
        return Verdict(success, result)

    return Check(metrics, evaluate, rows=inner.rows)


def flagged_rows(bad: pl.Expr, **columns: pl.Expr) -> pl.Expr:
    """Aggregate: the flagged rows (position and ``columns``) as a list of structs."""
    return pl.struct(ROW_POSITION.alias("row"), *(e.alias(k) for k, e in columns.items())
                     ).filter(bad).implode()
