"""A validation context built from frames and profiles, for use without a results store.

:class:`FrameContext` is what a test, a notebook or a one-off comparison passes as ``context=``
to :func:`integrity.validate`: a baseline and earlier batches given as polars frames (profiled
here) or as profiles, a fixed time, and the folder reference files are relative to. The job
supplies a context backed by the results store instead; both satisfy
:class:`integrity.types.ValidationContext`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.stats.profile import build_profile

Source = pl.DataFrame | pl.LazyFrame | Mapping[str, Any]


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


class FrameContext:
    """A :class:`~integrity.types.ValidationContext` from frames and profiles.

    Args:
        dataset: the dataset's name, for messages.
        baseline: the baseline, as a frame or a profile (None: no baseline set).
        history: earlier published batches, oldest first: frames, profiles, or full entries
            ``{"batch_id", "completed_at", "row_count", "metrics", "profile"}``.
        now: the time checks see (default: the clock, in UTC); a naive time is UTC.
        root: the folder relative reference files are read from (default: the suite's folder,
            else the working directory).
    """

    def __init__(self, *, dataset: str | None = None, baseline: Source | None = None,
                 history: Iterable[Source] = (), now: dt.datetime | None = None,
                 root: str | Path | None = None) -> None:
        self._dataset = dataset
        self._baseline = as_profile(baseline) if baseline is not None else None
        self._history = [_entry(item, number) for number, item in enumerate(history, start=1)]
        self._now = now if now is None or now.tzinfo else now.replace(tzinfo=dt.UTC)
        self._root = Path(root) if root is not None else None

    @property
    def dataset(self) -> str | None:
        return self._dataset

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.UTC)

    def history(self, lookback: int) -> Sequence[Mapping[str, Any]]:
        return self._history[-lookback:] if lookback > 0 else []

    def baseline(self) -> Mapping[str, Any] | None:
        return self._baseline

    def resolve(self, path: str) -> Path:
        given = Path(path)
        return given if given.is_absolute() or self._root is None else self._root / given


def _entry(item: Source, number: int) -> dict[str, Any]:
    if isinstance(item, Mapping) and "profile" in item:
        return {"batch_id": f"batch-{number}", "completed_at": None, "row_count": None,
                "metrics": {}, **item}
    profile = as_profile(item)
    return {"batch_id": f"batch-{number}", "completed_at": None,
            "row_count": profile.get("rows"), "metrics": {}, "profile": profile}
