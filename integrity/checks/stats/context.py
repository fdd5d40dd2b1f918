"""A validation context made of given values, for callers that keep history elsewhere (a notebook,
another scheduler, tests); the job's own context reads the results store (``integrity.job.context``).

:func:`frame_context` builds one from polars frames (profiled here) or profiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.stats.profile import build_profile

Source = pl.DataFrame | pl.LazyFrame | Mapping[str, Any]
"""A baseline or an earlier batch: a frame, or its profile."""


@dataclass(frozen=True)
class StaticContext:
    """A :class:`~integrity.types.ValidationContext` over fixed values.

    ``history`` holds the earlier published batches, oldest first, each ``{"row_count": ...,
    "metrics": {column: {metric: value}}, "profile": {...}}``."""

    dataset: str | None = "dataset"
    history_items: Sequence[Mapping[str, Any]] = ()
    baseline_profile: Mapping[str, Any] | None = None
    clock: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    folder: Path = field(default_factory=Path.cwd)
    timezone: str = "UTC"
    """The zone naive timestamps are read in."""

    def now(self) -> dt.datetime:
        return self.clock if self.clock.tzinfo is not None else self.clock.replace(tzinfo=dt.UTC)

    def history(self, lookback: int) -> Sequence[Mapping[str, Any]]:
        return list(self.history_items[-lookback:]) if lookback > 0 else []

    def baseline(self) -> Mapping[str, Any] | None:
        return self.baseline_profile

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.folder / candidate


def as_profile(source: Source) -> dict[str, Any]:
    """A profile: ``source`` itself when it is one, else the profile of the frame."""
    if isinstance(source, pl.DataFrame):
        return build_profile(source.lazy())
    if isinstance(source, pl.LazyFrame):
        return build_profile(source)
    if "version" not in source or "columns" not in source:
        raise ValueError("a baseline or history entry must be a polars frame or a profile "
                         "(a mapping with 'version' and 'columns', see integrity.checks.stats."
                         "profile)")
    return dict(source)


def frame_context(*, dataset: str | None = None, baseline: Source | None = None,
                  history: Iterable[Source] = (), now: dt.datetime | None = None,
                  root: str | Path | None = None) -> StaticContext:
    """A :class:`StaticContext` from frames and profiles.

    Args:
        dataset: the dataset's name, for messages.
        baseline: the baseline, as a frame or a profile (None: no baseline set).
        history: earlier published batches, oldest first: frames, profiles, or full entries
            ``{"batch_id", "completed_at", "row_count", "metrics", "profile"}``.
        now: the time checks see (default: the clock); a naive time is UTC.
        root: the folder relative reference files are read from (default: the working
            directory).
    """
    items = [_entry(item, number) for number, item in enumerate(history, start=1)]
    return StaticContext(
        dataset=dataset, history_items=items,
        baseline_profile=as_profile(baseline) if baseline is not None else None,
        clock=now or dt.datetime.now(dt.UTC),
        folder=Path(root) if root is not None else Path.cwd())


def _entry(item: Source, number: int) -> dict[str, Any]:
    if isinstance(item, Mapping) and "profile" in item:
        return {"batch_id": f"batch-{number}", "completed_at": None, "row_count": None,
                "metrics": {}, **item}
    profile = as_profile(item)
    return {"batch_id": f"batch-{number}", "completed_at": None,
            "row_count": profile.get("rows"), "metrics": {}, "profile": profile}
