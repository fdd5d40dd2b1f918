"""The share of a column's values that are present (GX 1.x: column.non_null_proportion).

One ratio of two counts, both computed in the fused query (and merged chunk by chunk in a
low-memory run): the non-null values in the domain over the rows in the domain.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from integrity.checks.aggregate import COLUMN, range_check
from integrity.checks.base import CONDITION, Arg, Check, Metric, Partial, Spec, expectation
from integrity.checks.families import domain_count, in_domain
from integrity.checks.partials import Chunks

_RATIO = (int, float, dict)
"""A proportion, or a GX suite parameter ({"$PARAMETER": ...})."""


def _ratio(present: int, rows: int) -> float:
    """GX's rule: no rows (an empty batch, a condition selecting none) is a proportion of 0."""
    return present / rows if rows else 0.0


@expectation(
    "expect_column_proportion_of_non_null_values_to_be_between",
    family="column_aggregate",
    args=(COLUMN, Arg("min_value", _RATIO), Arg("max_value", _RATIO),
          Arg("strict_min", (bool,), default=False), Arg("strict_max", (bool,), default=False),
          *CONDITION),
)
def proportion_of_non_null_between(spec: Spec) -> Check:
    """Non-null values divided by rows (0 when there are none) lies between min_value and max_value."""
    present = in_domain(spec, pl.col(spec.kwargs["column"]).is_not_null()).sum().cast(pl.Int64)
    rows = domain_count(spec)

    def merge(chunks: Chunks) -> Any:
        return _ratio(sum(int(p or 0) for _, (p, _n) in chunks),
                      sum(int(n or 0) for _, (_p, n) in chunks))

    proportion = pl.when(rows > 0).then(present / rows).otherwise(0.0)
    return range_check(spec, Metric(proportion, partial=Partial((present, rows), merge)))
