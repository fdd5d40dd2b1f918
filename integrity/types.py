"""Result types shared by every layer: plain frozen data with ``to_dict()`` in GX's shape."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import polars as pl


class ResultFormat(enum.StrEnum):
    """How much detail each expectation result carries (GX's result_format)."""

    BOOLEAN_ONLY = "BOOLEAN_ONLY"
    BASIC = "BASIC"
    SUMMARY = "SUMMARY"
    COMPLETE = "COMPLETE"

    @classmethod
    def parse(cls, value: object) -> ResultFormat:
        """Accept a string or GX's ``{"result_format": "..."}`` dict."""
        if isinstance(value, dict):
            value = value.get("result_format", "BASIC")
        if value is None:
            return cls.BASIC
        try:
            return cls(str(value).upper())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown result_format {value!r}; use one of {valid}") from None

    @staticmethod
    def partial_count(value: object, default: int = 20) -> int:
        """How many values the partial lists hold: GX's ``partial_unexpected_count`` in a
        ``{"result_format": ..., "partial_unexpected_count": N}`` dict, else ``default``."""
        if isinstance(value, dict):
            count = value.get("partial_unexpected_count")
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                return count
        return default

    def at_least(self, other: ResultFormat) -> bool:
        order = list(ResultFormat)
        return order.index(self) >= order.index(other)


class Outcome(enum.StrEnum):
    """What happened to one expectation."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True)
class ExpectationConfig:
    """One expectation as a suite declares it."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    notes: Any = None
    severity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "kwargs": dict(self.kwargs), "meta": dict(self.meta)}
        if self.id is not None:
            out["id"] = self.id
        if self.notes is not None:
            out["notes"] = self.notes
        if self.severity is not None:
            out["severity"] = self.severity
        return out


@dataclass(frozen=True)
class ExpectationResult:
    """The verdict on one expectation: GX's ExpectationValidationResult."""

    config: ExpectationConfig
    success: bool
    result: dict[str, Any]
    outcome: Outcome
    exception_info: dict[str, Any] = field(
        default_factory=lambda: {"raised_exception": False, "exception_message": None,
                                 "exception_traceback": None}
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "expectation_config": self.config.to_dict(),
            "result": self.result,
            "exception_info": self.exception_info,
            "meta": {},
        }


@dataclass(frozen=True)
class ValidationResult:
    """The verdict on a whole suite over one batch: GX's ExpectationSuiteValidationResult."""

    suite_name: str
    results: tuple[ExpectationResult, ...]
    queries: int = 1
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def statistics(self) -> dict[str, Any]:
        evaluated = len(self.results)
        ok = sum(1 for r in self.results if r.success)
        return {
            "evaluated_expectations": evaluated,
            "successful_expectations": ok,
            "unsuccessful_expectations": evaluated - ok,
            "success_percent": (100.0 * ok / evaluated) if evaluated else None,
            # Counted apart: they succeed (as GX counts them) but compared nothing (no history
            # or baseline yet); the CLI shows them apart from the passes.
            "not_evaluated_expectations": sum(1 for r in self.results
                                              if r.outcome is Outcome.NOT_EVALUATED),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "suite_name": self.suite_name,
            "statistics": self.statistics,
            "results": [r.to_dict() for r in self.results],
            "meta": dict(self.meta),
        }


@dataclass(frozen=True)
class BatchInfo:
    """What is known about one pulled batch (the LazyFrame travels beside it in a Batch)."""

    dataset: str
    batch_id: str
    """Deterministic: the same dataset, watermark range and content give the same id, so a re-run
    after a crash recognises what it already published."""
    source: str
    """Where the rows came from (a file list, a table, a URL), for people; never holds secrets."""
    watermark_from: Any
    watermark_to: Any
    pulled_at: str
    """ISO-8601 UTC timestamp."""
    row_count: int
    content_hash: str
    notes: dict[str, Any] = field(default_factory=dict)
    """What the pull noticed beside the rows, counted: NULL-cursor and late rows set apart, files
    waiting to settle or changed after they were taken, links refused (JSON-able)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "batch_id": self.batch_id, "source": self.source,
            "watermark_from": self.watermark_from, "watermark_to": self.watermark_to,
            "pulled_at": self.pulled_at, "row_count": self.row_count,
            "content_hash": self.content_hash, "notes": dict(self.notes),
        }


@runtime_checkable
class ValidationContext(Protocol):
    """What a check may know beyond the batch: the dataset's history, its baseline, the time.

    The job (or ``integrity validate --project DIR --dataset NAME``) supplies one backed by the
    results store; checks never import the store. Without a context, checks that need history or
    a baseline say ``not_evaluated`` with the reason, never a silent pass.

    Profiles are JSON-able mappings in the format of :mod:`integrity.checks.stats` (mergeable
    summaries: counts, fixed-bin histograms, quantile sketches, top-k values and tokens; never raw
    rows), so the store keeps them as opaque JSON.
    """

    @property
    def dataset(self) -> str | None:
        """The dataset being validated (None outside a project)."""
        ...

    def now(self) -> dt.datetime:
        """The current time, zone-aware (UTC unless the caller fixes it, e.g. for a backfill)."""
        ...

    def history(self, lookback: int) -> Sequence[Mapping[str, Any]]:
        """The latest ``lookback`` earlier published batches of the dataset, oldest first, each
        ``{"batch_id", "completed_at", "row_count", "metrics": {...}, "profile": {...}}``; the
        batch being validated is never among them."""
        ...

    def baseline(self) -> Mapping[str, Any] | None:
        """The dataset's stored baseline profile, or None when none was set yet."""
        ...

    def resolve(self, path: str) -> Path:
        """A reference file named in a suite, resolved against the suite file's folder."""
        ...


#: The column :meth:`PublishedRows.published` adds: the order of the earlier published batch a
#: row came from (0 the oldest returned, then 1, 2, ...).
PUBLISHED_BATCH_COLUMN = "_integrity_published_batch"
#: The column :meth:`PublishedRows.published` adds: the id of the published batch (a batch id, or
#: a released quarantine entry's id) a row came from.
PUBLISHED_ID_COLUMN = "_integrity_published_id"


@runtime_checkable
class PublishedRows(Protocol):
    """A validation context that can also hand checks the rows the dataset published before.

    Apart from :class:`ValidationContext` so that contexts made of given values (history items,
    profiles) still satisfy that one. Checks ask ``isinstance(context, PublishedRows)``.
    """

    def published(self, lookback: int | None = None) -> pl.LazyFrame | None:
        """The rows the dataset's earlier published batches published: the latest ``lookback``
        batches (None: all), oldest first, with :data:`PUBLISHED_BATCH_COLUMN` and
        :data:`PUBLISHED_ID_COLUMN` added. Rows a released quarantine entry published count with
        the batch they were pulled in; held or rejected rows never appear, nor does the batch
        being validated. None when they cannot be had (:meth:`unpublished_reason` says why)."""
        ...

    def baseline_rows(self) -> pl.LazyFrame | None:
        """The rows of the dataset's baseline: the published rows of its baseline batch, of the
        latest N published batches for a rolling one, or the baseline file; None when no
        baseline is set (or its rows cannot be read: :meth:`unpublished_reason` says why)."""
        ...

    def unpublished_reason(self) -> str:
        """Why :meth:`published` or :meth:`baseline_rows` gave None (one sentence)."""
        ...
