"""What a batch leaves for the history checks and baselines of later batches.

Computed over the rows the batch published, never the held ones, and only what its suite asks for:
the metrics its ``expect_column_metric_to_be_within_history`` expectations compare, the newest value
of the dataset's time column when it has a ``freshness`` rule, and the profile of the columns its
drift expectations compare. When every row was published, the suite's own fused query already
computed those metrics over exactly these rows (they are the history checks' observed values), so
the batch is not read again for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from integrity.checks.stats.metrics import METRICS, applies, metric_of
from integrity.checks.stats.timestamps import newest_in, time_kind
from integrity.config import DatasetConfig
from integrity.store import BatchHistory
from integrity.suites import Suite
from integrity.types import Outcome, ValidationResult

METRIC_HISTORY = "expect_column_metric_to_be_within_history"
DRIFT_COLUMN = ("expect_column_distribution_to_match_reference",
                "expect_column_text_distribution_to_match_reference")
DRIFT_SHARE = "expect_table_drift_share_to_be_less_than"


def recorded_metrics(suite: Suite) -> dict[str, list[str]]:
    """``{column: [metric, ...]}`` the suite's history expectations compare."""
    wanted: dict[str, list[str]] = {}
    for config in suite.expectations:
        column, metric = config.kwargs.get("column"), config.kwargs.get("metric")
        if config.type == METRIC_HISTORY and isinstance(column, str) and metric in METRICS:
            names = wanted.setdefault(column, [])
            if metric not in names:
                names.append(str(metric))
    return wanted


def drift_columns(suite: Suite) -> tuple[list[str], bool]:
    """The columns the suite's drift expectations name, and whether one of them compares every
    column (a drift share without ``columns``)."""
    named: list[str] = []
    every = False
    for config in suite.expectations:
        listed: Any = []
        if config.type in DRIFT_COLUMN:
            listed = [config.kwargs.get("column")]
        elif config.type == DRIFT_SHARE:
            listed = config.kwargs.get("columns")
            every = every or not listed
        for column in listed or []:
            if isinstance(column, str) and column not in named:
                named.append(column)
    return named, every


def profiled_columns(suite: Suite, columns: Sequence[str]) -> list[str]:
    """The columns (of ``columns``) the suite's drift expectations compare with a reference."""
    named, every = drift_columns(suite)
    return list(columns) if every else [c for c in named if c in columns]


def batch_history(dataset: DatasetConfig, suite: Suite, result: ValidationResult | None,
                  published: pl.DataFrame, *, whole: bool) -> BatchHistory | None:
    """The batch's :class:`BatchHistory` (None when it published nothing).

    ``whole``: ``published`` is every row the suite was validated on, so the history checks'
    observed values are reused instead of computed again."""
    if published.height == 0:
        return None
    schema = published.schema
    metrics: dict[str, dict[str, Any]] = {}
    if whole and result is not None:
        for r in result.results:
            kwargs = r.config.kwargs
            if (r.config.type == METRIC_HISTORY and not kwargs.get("row_condition")
                    and r.outcome is not Outcome.ERROR and "observed_value" in r.result):
                metrics.setdefault(kwargs["column"], {})[kwargs["metric"]] = r.result["observed_value"]
    missing = [(column, name) for column, names in recorded_metrics(suite).items()
               for name in names if column in schema and applies(name, schema[column])
               and name not in metrics.get(column, {})]
    if missing:
        exprs = [metric_of(name, column, schema[column]).expr for column, name in missing]
        row = published.lazy().select([e.alias(f"m{i}") for i, e in enumerate(exprs)
                                       if e is not None]).collect().row(0)
        for (column, name), value in zip(missing, row, strict=True):
            metrics.setdefault(column, {})[name] = value
    return BatchHistory(row_count=published.height, metrics=metrics,
                        newest_at=_newest(dataset, published), profile=_profile(suite, published))


def _newest(dataset: DatasetConfig, published: pl.DataFrame) -> Any:
    """The newest value of the dataset's time column among the published rows (None when it has
    no freshness rule, or the column is not there or holds no time)."""
    if dataset.freshness is None:
        return None
    column = dataset.freshness.column or (dataset.cursor.column if dataset.cursor else None)
    if column is None or column not in published.columns \
            or time_kind(published.schema[column]) is None:
        return None
    return newest_in(published.lazy(), column, dataset.timezone).value


def _profile(suite: Suite, published: pl.DataFrame) -> dict[str, Any] | None:
    columns = profiled_columns(suite, published.columns)
    if not columns:
        return None
    try:
        from integrity.checks.stats.profile import (  # type: ignore[import-not-found,unused-ignore]
            build_profile,
        )
    except ImportError:  # the drift checks (and their profiles) are not in this build
        return None
    profile: dict[str, Any] = build_profile(published.lazy(), columns)
    return profile
