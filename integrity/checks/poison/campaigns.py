"""Coordinated campaigns: floods of near-identical texts, and one account or source dominating.

``expect_column_near_duplicate_clusters_to_be_smaller_than`` groups near-identical texts
(:mod:`integrity.checks.poison.minhash`) and fails on a group written by more accounts than
``max_cluster_size`` (with ``distinct_by``; rows without it) or holding more than
``max_cluster_share`` of the batch. An outage storm is many customers writing *about* the same
thing, each in their own words: they share topic words, rarely 80% of their words, so their
texts stay apart while a flood's copies, which differ by a word, punctuation or an emoji, join.

``expect_column_top_value_share_to_be_less_than`` fails when a value (an account, a source)
holds more than ``max_share`` of the batch; it is one fused window expression.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from integrity.checks.base import (
    CONDITION,
    Arg,
    Check,
    Evaluator,
    Metric,
    Spec,
    Verdict,
    expectation,
)
from integrity.checks.families import column_values, in_domain, percent
from integrity.checks.poison.batch import (
    DETAIL_LIMIT,
    batch_check,
    positive_int,
    quote,
    share,
)
from integrity.checks.poison.folding import folded, text_of
from integrity.checks.poison.minhash import near_duplicate_groups
from integrity.errors import SuiteError


def _similarity(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 <= value <= 1:
        return (f"must be a number between 0.5 and 1 (the share of words two texts have in "
                f"common; 0.8 by default), got {value!r}")
    return None


@dataclass(frozen=True)
class Cluster:
    """One group of near-identical texts."""

    rows: npt.NDArray[np.int64]
    """Row positions in the batch, ascending."""
    accounts: int
    """Distinct ``distinct_by`` values among the rows (a row without one counts as its own)."""

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Finding:
    """The clusters of one batch and which of them are too large."""

    considered: int
    clusters: list[Cluster]
    """Every group of two or more rows, largest first."""
    flagged: list[Cluster]
    mask: npt.NDArray[np.bool_]


class _Clusters:
    """Clusters a batch once: the engine's pass and the gate's row mask read the same finding.

    The pass computes it when the suite is validated; the row mask (what ``quarantine_rows``
    holds) asks again for the same column and gets the finding back instead of clustering twice.
    """

    def __init__(self, similarity: float, min_tokens: int, max_size: int | None,
                 max_share: float | None, by_accounts: bool) -> None:
        self.similarity, self.min_tokens = similarity, min_tokens
        self.max_size, self.max_share, self.by_accounts = max_size, max_share, by_accounts
        self._lock = threading.Lock()
        self._last: tuple[pl.Series, Finding] | None = None

    def __call__(self, keys: pl.Series) -> Finding:
        with self._lock:
            if self._last is not None and self._last[0].equals(keys):
                return self._last[1]
        finding = self._find(keys)
        with self._lock:
            self._last = (keys, finding)
        return finding

    def mask(self, keys: pl.Series) -> pl.Series:
        return pl.Series(self(keys).mask, dtype=pl.Boolean)

    def _find(self, keys: pl.Series) -> Finding:
        parts = keys.struct.unnest()
        considered = parts["considered"].fill_null(False)
        text = parts.select(pl.when(pl.col("considered")).then(pl.col("text"))).to_series()
        labels = near_duplicate_groups(text, similarity=self.similarity,
                                       min_words=self.min_tokens)
        n = len(keys)
        total = int(considered.sum())
        mask = np.zeros(n, dtype=bool)
        grouped = np.flatnonzero(labels >= 0)
        if len(grouped) == 0:
            return Finding(total, [], [], mask)
        # A row without an account is nobody we know: it counts as an account of its own.
        account = pl.col("account")
        who = parts.select(pl.when(account.is_null())
                           .then(pl.lit("row:") + pl.int_range(n).cast(pl.String))
                           .otherwise(pl.lit("id:") + account.cast(pl.String))).to_series()
        frame = pl.DataFrame({"label": labels, "row": np.arange(n, dtype=np.int64),
                              "who": who}).filter(pl.col("label") >= 0)
        groups = (frame.group_by("label").agg(pl.col("row").sort(), pl.col("who").n_unique())
                  .sort([pl.col("row").list.len(), pl.col("row").list.first()],
                        descending=[True, False]))
        clusters = [Cluster(np.asarray(rows, dtype=np.int64), int(accounts))
                    for rows, accounts in groups.select("row", "who").iter_rows()]
        flagged = [c for c in clusters if self._too_large(c, total)]
        for cluster in flagged:
            mask[cluster.rows] = True
        return Finding(total, clusters, flagged, mask)

    def measure(self, cluster: Cluster) -> int:
        return cluster.accounts if self.by_accounts else cluster.size

    def _too_large(self, cluster: Cluster, total: int) -> bool:
        if self.max_size is not None and self.measure(cluster) > self.max_size:
            return True
        return self.max_share is not None and total > 0 and cluster.size / total > self.max_share


@expectation(
    "expect_column_near_duplicate_clusters_to_be_smaller_than",
    family="poison",
    column_args=("column", "distinct_by"),
    args=(
        Arg("column", (str,), required=True),
        Arg("similarity", (int, float), default=0.8, check=_similarity),
        Arg("min_tokens", (int,), default=8, check=positive_int),
        Arg("max_cluster_size", (int,), check=positive_int),
        Arg("max_cluster_share", (int, float), check=share),
        Arg("distinct_by", (str,)),
        *CONDITION,
    ),
)
def near_duplicate_clusters(spec: Spec) -> Check:
    """No cluster of near-identical texts is larger than max_cluster_size or max_cluster_share.

    Texts are folded (case, accents, punctuation, emoji, invisible characters and digits do not
    count) and two texts are near-identical when the share of the longer one's distinct words
    found in the other reaches ``similarity``; texts under ``min_tokens`` words are left out.
    With ``distinct_by`` a cluster's size is the number of distinct accounts that wrote it.
    """
    max_size, max_share = spec.get("max_cluster_size"), spec.get("max_cluster_share")
    if max_size is None and max_share is None:
        raise SuiteError("give max_cluster_size (accounts, or rows without distinct_by) or "
                         "max_cluster_share (a share of the batch's rows), or both",
                         argument="max_cluster_size")
    text = text_of(spec, "column")
    by = spec.get("distinct_by")
    account = pl.col(by) if by else pl.lit(None, dtype=pl.String)
    keys = pl.struct(folded(text, mask_digits=True).alias("text"), account.alias("account"),
                     in_domain(spec, text.is_not_null()).alias("considered"))
    clusters = _Clusters(float(spec.get("similarity", 0.8)), int(spec.get("min_tokens", 8)),
                         max_size, max_share, by is not None)

    def run(lf: pl.LazyFrame) -> tuple[Finding, list[Any]]:
        frame = lf.select(keys.alias("keys"), text.alias("text")).collect()
        finding = clusters(frame["keys"])
        texts = frame["text"]
        return finding, [texts[int(c.rows[0])] for c in finding.flagged[:DETAIL_LIMIT]]

    metric = Metric(run=run, reason="clusters near-identical texts (MinHash-LSH) over the column")
    rows = keys.map_batches(clusters.mask, return_dtype=pl.Boolean)
    return Check({"clusters": metric}, _judge_clusters(spec, clusters), rows=rows)


def _judge_clusters(spec: Spec, clusters: _Clusters) -> Evaluator:
    unit = "accounts" if clusters.by_accounts else "rows"

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        finding, examples = m["clusters"]
        flagged_positions = np.flatnonzero(finding.mask).tolist()
        largest = max(finding.clusters, key=clusters.measure, default=None)

        def describe(cluster: Cluster, example: Any = None) -> dict[str, Any]:
            out: dict[str, Any] = {"rows": cluster.size, "accounts": cluster.accounts,
                                   "share": round(cluster.size / max(finding.considered, 1), 6),
                                   "row_positions": cluster.rows[:DETAIL_LIMIT].tolist()}
            if example is not None:
                out["example"] = quote(example)
            return out

        count = len(flagged_positions)
        result: dict[str, Any] = {
            "observed_value": clusters.measure(largest) if largest else 0,
            "element_count": finding.considered,
            "unexpected_count": count,
            "unexpected_percent": percent(count, finding.considered),
            "partial_unexpected_index_list": flagged_positions[:spec.partial_limit],
            "unexpected_index_list": flagged_positions,
            "details": {
                "size_counts": unit,
                "clusters_found": len(finding.clusters),
                "largest_cluster": describe(largest) if largest else None,
                "flagged_clusters": [describe(c, e) for c, e in
                                     zip(finding.flagged[:DETAIL_LIMIT], examples, strict=False)],
                "why": (f"{len(finding.flagged)} cluster(s) of near-identical texts larger than "
                        + " or ".join(x for x in (
                            f"{clusters.max_size} {unit}" if clusters.max_size is not None else "",
                            f"{clusters.max_share:.2%} of the rows"
                            if clusters.max_share is not None else "") if x))
                if finding.flagged else "no cluster is too large",
            },
        }
        return Verdict(not finding.flagged, result)

    return evaluate


@expectation(
    "expect_column_top_value_share_to_be_less_than",
    family="poison",
    args=(Arg("column", (str,), required=True),
          Arg("max_share", (int, float), required=True, check=share), *CONDITION),
)
def top_value_share(spec: Spec) -> Check:
    """No single value (an account, a source) holds more than max_share of the batch's rows.

    Every row of a value above the share is listed; the observed value is the most common
    value and its share of the non-null rows.
    """
    column = pl.col(spec.kwargs["column"])
    max_share = float(spec.kwargs["max_share"])
    considered = in_domain(spec, column.is_not_null())
    rows_of_value = considered.cast(pl.Int64).sum().over(column)
    unexpected = rows_of_value > max_share * considered.cast(pl.Int64).sum()
    # Only values above the share are reported; at most 1 / max_share of them can be.
    limit = min(int(1 / max_share) + 1 if max_share > 0 else DETAIL_LIMIT, 1000)
    top = column_values(spec).value_counts(sort=True, name="count").head(limit).implode()

    def judge(m: Mapping[str, Any], result: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        considered_n = result["element_count"] - result["missing_count"]
        counts = [(row[spec.kwargs["column"]], int(row["count"])) for row in m["top"] or []]
        counts.sort(key=lambda pair: (-pair[1], str(pair[0])))
        over = [{"value": v, "rows": n, "share": round(n / considered_n, 6)}
                for v, n in counts if n > max_share * considered_n]
        if counts:
            value, n = counts[0]
            result["observed_value"] = {"value": value, "share": round(n / considered_n, 6),
                                        "rows": n}
        else:
            result["observed_value"] = None
        result["details"] = {
            "values_over_share": over[:DETAIL_LIMIT],
            "why": (f"{len(over)} value(s) hold more than {max_share:.2%} of the rows"
                    if over else f"no value holds more than {max_share:.2%} of the rows"),
        }
        return not over, result

    check = batch_check(spec, column, unexpected, missing=column.is_null(), judge=judge)
    return Check({**check.metrics, "top": Metric(top)}, check.evaluate, rows=check.rows)

