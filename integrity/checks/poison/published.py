"""What the history-based poisoning indicators read from the validation context: the rows the
dataset published before (see :class:`integrity.types.PublishedRows`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.base import Spec
from integrity.checks.stats.outcome import NO_CONTEXT
from integrity.types import PUBLISHED_BATCH_COLUMN, PUBLISHED_ID_COLUMN, PublishedRows

BATCH = PUBLISHED_BATCH_COLUMN
BATCH_ID = PUBLISHED_ID_COLUMN


def published_rows(spec: Spec, lookback: int | None) -> tuple[pl.LazyFrame | None, str]:
    """The dataset's earlier published rows (latest ``lookback`` batches, None: all) with the
    batch order column :data:`BATCH`, or None and why there are none."""
    context = spec.context
    if context is None or context.dataset is None:
        return None, NO_CONTEXT
    if not isinstance(context, PublishedRows):
        return None, ("the validation context cannot hand over the dataset's earlier published "
                      "rows (it holds metrics and profiles only)")
    rows = context.published(lookback)
    return (rows, "") if rows is not None else (None, context.unpublished_reason())


def set_baseline_rows(spec: Spec) -> pl.LazyFrame | None:
    """The rows of the dataset's baseline (its baseline batch, rolling window or file), or None
    when none is set (or there is no context that knows)."""
    context = spec.context
    if isinstance(context, PublishedRows) and context.dataset is not None:
        return context.baseline_rows()
    return None


def baseline_rows(spec: Spec) -> tuple[pl.LazyFrame | None, str]:
    """The rows of the dataset's baseline, else its published rows, and where they came from;
    None and why when there are none."""
    rows = set_baseline_rows(spec)
    if rows is not None:
        return rows, "the dataset's baseline"
    found, why = published_rows(spec, None)
    return found, ("the dataset's published rows" if found is not None else why)


class FrameContext:
    """A validation context over given frames, for callers that keep published data elsewhere (a
    notebook, another scheduler, tests): ``batches`` are the earlier published batches' rows,
    oldest first; ``baseline`` the baseline's rows (None: none set)."""

    def __init__(self, batches: Sequence[pl.DataFrame | pl.LazyFrame] = (), *,
                 baseline: pl.DataFrame | pl.LazyFrame | None = None,
                 dataset: str | None = "dataset", clock: dt.datetime | None = None,
                 folder: Path | None = None, timezone: str = "UTC") -> None:
        self._batches = [b.lazy() for b in batches]
        self._baseline = baseline.lazy() if baseline is not None else None
        self._dataset = dataset
        fixed = clock or dt.datetime.now(dt.UTC)
        self._clock = fixed if fixed.tzinfo is not None else fixed.replace(tzinfo=dt.UTC)
        self._folder = folder or Path.cwd()
        self.timezone = timezone

    @property
    def dataset(self) -> str | None:
        return self._dataset

    def now(self) -> dt.datetime:
        return self._clock

    def history(self, lookback: int) -> Sequence[Mapping[str, Any]]:
        return []

    def baseline(self) -> Mapping[str, Any] | None:
        return None

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self._folder / candidate

    def published(self, lookback: int | None = None) -> pl.LazyFrame | None:
        start = 0 if lookback is None else max(0, len(self._batches) - lookback)
        chosen = [frame.with_columns(pl.lit(order, pl.Int64).alias(BATCH),
                                     pl.lit(f"batch-{order}", pl.String).alias(BATCH_ID))
                  for order, frame in enumerate(self._batches) if order >= start]
        if not chosen or lookback == 0:
            return None
        return pl.concat(chosen, how="diagonal_relaxed")

    def baseline_rows(self) -> pl.LazyFrame | None:
        return self._baseline

    def unpublished_reason(self) -> str:
        return "no earlier published batches were given"
