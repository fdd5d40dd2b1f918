"""Chunk-by-chunk forms of the common metrics, for batches validated in row chunks (low-memory).

Each constructor returns a :class:`~integrity.checks.base.Metric` whose ``expr`` is what the fused
query computes over the whole batch and whose :class:`~integrity.checks.base.Partial` computes the
same value from per-chunk aggregates: counts and sums add up, extremes take the extreme of the
extremes, means and variances merge their moments (Chan et al.), value counts add up per value,
and lists of unexpected values or row positions concatenate in row order (positions shifted by
the chunk's first row), cut at the list's limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import polars as pl

from integrity.checks.base import Metric, Partial

Chunks = list[tuple[int, tuple[Any, ...]]]


def summed(expr: pl.Expr) -> Metric:
    """A count (or an integer sum): the chunks' values add up."""
    return Metric(expr, partial=Partial((expr,), add_up))


def add_up(chunks: Chunks) -> int:
    """Merge: the chunks' counts added."""
    return sum(int(values[0] or 0) for _, values in chunks)


def extreme(expr: pl.Expr, which: str) -> Metric:
    """``values.min()`` or ``values.max()``: the extreme of the chunks' extremes, taken by polars
    again so that NaN and temporal values compare exactly as in the whole-batch aggregate."""

    def merge(chunks: Chunks) -> Any:
        found = pl.Series([values[0] for _, values in chunks], strict=False)
        return found.max() if which == "max" else found.min()

    return Metric(expr, partial=Partial((expr,), merge))


def total(values: pl.Expr, expr: pl.Expr) -> Metric:
    """``expr`` is the sum of ``values`` (0 when there are none): the chunks' sums add up."""

    def merge(chunks: Chunks) -> Any:
        counted = [v for _, (v, n) in chunks if n]
        return sum(counted) if counted else 0

    return Metric(expr, partial=Partial((values.sum(), values.count()), merge))


def mean_of(values: pl.Expr) -> Metric:
    """``values.mean()`` from each chunk's float sum and count."""

    def merge(chunks: Chunks) -> float | None:
        n = sum(int(c) for _, (_, c) in chunks)
        return math.fsum(float(s) for _, (s, c) in chunks if c) / n if n else None

    return Metric(values.mean(), partial=Partial((values.cast(pl.Float64).sum(), values.count()),
                                                 merge))


def std_of(values: pl.Expr, ddof: int = 1) -> Metric:
    """``values.std(ddof)`` from each chunk's count, mean and sum of squared deviations, merged
    pairwise (Chan, Golub and LeVeque), which stays accurate where sums of squares would not."""
    x = values.cast(pl.Float64)

    def merge(chunks: Chunks) -> float | None:
        n, mean, m2 = 0, 0.0, 0.0
        for _, (count, chunk_mean, chunk_var) in chunks:
            if not count:
                continue
            k = int(count)
            delta = chunk_mean - mean
            together = n + k
            m2 += chunk_var * k + delta * delta * n * k / together
            mean += delta * k / together
            n = together
        return math.sqrt(m2 / (n - ddof)) if n - ddof > 0 else None

    return Metric(values.std(ddof=ddof), partial=Partial((x.count(), x.mean(), x.var(ddof=0)),
                                                         merge))


def value_counts_of(expr: pl.Expr, count_name: str) -> Metric:
    """``values.value_counts(name=count_name).implode()``: the chunks' counts added per value."""

    def merge(chunks: Chunks) -> list[dict[str, Any]]:
        frames = [pl.DataFrame(values[0]) for _, values in chunks if values[0]]
        if not frames:
            return []
        counts = pl.concat(frames, how="vertical_relaxed")
        value = next(c for c in counts.columns if c != count_name)
        return counts.group_by(value).agg(pl.col(count_name).sum()).to_dicts()

    return Metric(expr, partial=Partial((expr,), merge))


def concatenated(limit: int | None, positions: bool = False) -> Callable[[Chunks], list[Any]]:
    """Merge: the chunks' lists (``implode``) in row order, the first ``limit`` of them (all:
    None); row positions are shifted by each chunk's first row."""

    def merge(chunks: Chunks) -> list[Any]:
        gathered: list[Any] = []
        for first, (values,) in chunks:
            gathered.extend((first + int(v) for v in values or []) if positions else values or [])
            if limit is not None and len(gathered) >= limit:
                return gathered[:limit]
        return gathered

    return merge
