"""A burst of never-seen values: ``expect_new_value_share_to_be_within_history``.

A flood of fresh accounts (or sources) is how a campaign gets past per-account limits. The share
of the batch's rows whose ``column`` value no earlier published batch had is compared with the
same share of each earlier batch relative to the batches before it: one group-by over the
published column (rows per value and batch) gives each value's first batch, hence every earlier
batch's share of new rows. The score is ``(share - centre) / scale`` with the centre and scale of
the history's shares (``mad``: median and 1.4826 x MAD; ``zscore``: mean and standard deviation;
the same fallbacks for a zero scale as the other history checks); the batch fails when the score
exceeds ``threshold``. Only a burst fails: fewer new values than usual is not an attack. The
first published batch has no batches before it (every value is new), so it is not part of the
history. With fewer than ``min_history`` earlier shares, or without published rows, the result is
``not_evaluated`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from integrity.checks.base import CONDITION, Arg, Check, Spec, Verdict, expectation, require
from integrity.checks.families import in_domain
from integrity.checks.poison.batch import DETAIL_LIMIT, batch_check, quote
from integrity.checks.poison.published import BATCH, published_rows
from integrity.checks.stats.history import HISTORY_ARGS, spread
from integrity.checks.stats.outcome import not_evaluated


def _history_shares(rows: pl.LazyFrame, column: str) -> tuple[pl.Series, list[float]]:
    """The values published before (as text) and each earlier batch's share of new rows (oldest
    first, the very first batch left out)."""
    counts = (rows.select(pl.col(column).cast(pl.String).alias("value"), pl.col(BATCH))
              .drop_nulls("value").group_by("value", BATCH).agg(pl.len().alias("rows"))
              .collect())
    first = counts.with_columns((pl.col(BATCH) == pl.col(BATCH).min().over("value")).alias("new"))
    per_batch = (first.group_by(BATCH)
                 .agg(pl.col("rows").sum().alias("rows"),
                      pl.col("rows").filter(pl.col("new")).sum().alias("new"))
                 .sort(BATCH))
    oldest = per_batch[BATCH].min() if per_batch.height else None
    shares = [new / total for batch, total, new in per_batch.select(BATCH, "rows", "new").iter_rows()
              if batch != oldest and total]
    return counts["value"].unique(), shares


@expectation(
    "expect_new_value_share_to_be_within_history",
    family="poison",
    args=(Arg("column", (str,), required=True), *HISTORY_ARGS, *CONDITION),
)
def new_value_share_within_history(spec: Spec) -> Check:
    """The share of rows whose value no earlier published batch had is within ``threshold``
    scales of the same share of the earlier batches (a burst of new accounts or sources fails)."""
    lookback, min_history = int(spec.get("lookback", 14)), int(spec.get("min_history", 7))
    method, threshold = str(spec.get("method", "mad")), float(spec.get("threshold", 3.5))
    require(min_history <= lookback,
            f"min_history {min_history} is more than lookback {lookback}, so the history could "
            "never be long enough; lower min_history or raise lookback", "min_history")
    column = spec.kwargs["column"]
    rows, why = published_rows(spec, None)
    if rows is not None and column not in rows.collect_schema().names():
        rows, why = None, f"the earlier published rows have no column {column!r}"
    if rows is None:
        return Check({}, lambda m: not_evaluated(why, {"observed_value": None}))
    dtype = spec.dtype(column)
    if dtype.is_nested() or dtype == pl.Object:
        require(False, f"column {column!r} is {dtype}; give a column of plain values (an "
                "account id, a source name)", "column")
    seen, shares = _history_shares(rows, column)
    shares = shares[-lookback:]
    value = pl.col(column)
    missing = value.is_null()
    unexpected = in_domain(spec, ~missing & ~value.cast(pl.String).is_in(seen.implode()))

    def new_values(bad: pl.Expr) -> pl.Expr:
        counted = value.cast(pl.String).filter(bad).value_counts(sort=True, name="rows")
        return counted.head(DETAIL_LIMIT).implode()

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        judged = result["element_count"] - result["missing_count"]
        share = result["unexpected_count"] / judged if judged else 0.0
        result["observed_value"] = round(share, 6)
        details: dict[str, Any] = {"share": share, "new_rows": result["unexpected_count"],
                                   "judged_rows": judged, "history": shares,
                                   "lookback": lookback, "method": method,
                                   "threshold": threshold}
        if len(shares) < min_history:
            verdict: Verdict = not_evaluated(
                f"history too short: {len(shares)} earlier published batches (after the first) "
                f"to compare the new-value share with, and min_history is {min_history}",
                {**result, "details": details, "unexpected_index_list": []})
            return verdict.success, verdict.result
        measured = spread(shares, method)
        score = (share - measured.center) / measured.scale
        details.update(score=score, scale_from=measured.scale_from,
                       **({"median": measured.center, "mad_scale": measured.scale}
                          if method == "mad" else
                          {"mean": measured.center, "sd": measured.scale}),
                       expected_at_most=measured.center + threshold * measured.scale)
        ok = score <= threshold
        if ok:
            result["unexpected_index_list"] = []
            details["why"] = "the share of never-seen values is within the history"
        else:
            details["new_values"] = [{"value": quote(v[column]), "rows": v["rows"]}
                                     for v in m["new_values"] or []]
            details["why"] = (f"{share:.2%} of the rows have a {column} value never published "
                              f"before; the history's is {measured.center:.2%} "
                              f"(score {score:.1f} > {threshold})")
        result["details"] = details
        return ok, result

    return batch_check(spec, value, unexpected, missing=missing, judge=judge,
                       extra={"new_values": new_values})


