"""A validation context made of given values, for callers that keep history elsewhere (a notebook,
another scheduler, tests); the job's own context reads the results store (``integrity.job.context``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
