"""The validation context the job (and ``integrity validate --project --dataset``) hands the checks.

Checks never import the store: what they need beyond the batch (its dataset's earlier published
batches, the baseline, the time, files a suite names) comes through this object, which implements
:class:`integrity.types.ValidationContext` over the results store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from integrity.job.project import Project
from integrity.store import Store
from integrity.store.connect import StoreMissingError


class StoreContext:
    """A :class:`~integrity.types.ValidationContext` reading one dataset's history from a store.

    ``exclude_batch`` (the batch being validated) is never part of its own history or rolling
    baseline. Without a store (none exists yet) the history is empty and there is no baseline.
    Reads are cached: every check of a suite sees the same history.
    """

    def __init__(self, store: Store | None, dataset: str | None, *, suite_path: str | None = None,
                 now: dt.datetime | None = None, timezone: str = "UTC",
                 exclude_batch: str | None = None) -> None:
        self._store = store
        self._dataset = dataset
        self._folder = Path(suite_path).parent if suite_path else Path.cwd()
        fixed = now or dt.datetime.now(dt.UTC)
        self._now = fixed if fixed.tzinfo is not None else fixed.replace(tzinfo=dt.UTC)
        self.timezone = timezone
        """The zone of the dataset's naive timestamps (checks read it when they are given none)."""
        self._exclude = exclude_batch
        self._history: dict[int, list[dict[str, Any]]] = {}
        self._baseline: tuple[Mapping[str, Any] | None] | None = None

    @property
    def dataset(self) -> str | None:
        return self._dataset

    def now(self) -> dt.datetime:
        """The run's time (fixed when the context is made), so every check ages from one instant."""
        return self._now

    def history(self, lookback: int) -> Sequence[Mapping[str, Any]]:
        if lookback not in self._history:
            found: list[dict[str, Any]] = []
            if self._store is not None and self._dataset is not None:
                found = self._store.history(self._dataset, lookback, exclude=self._exclude)
            self._history[lookback] = found
        return self._history[lookback]

    def baseline(self) -> Mapping[str, Any] | None:
        if self._baseline is None:
            self._baseline = (self._read_baseline(),)
        return self._baseline[0]

    def _read_baseline(self) -> Mapping[str, Any] | None:
        if self._store is None or self._dataset is None:
            return None
        record = self._store.baseline(self._dataset)
        if record is None:
            return None
        if record.kind != "rolling":
            return record.profile
        profiles = [h["profile"] for h in self.history(record.rolling or 0) if h.get("profile")]
        return merged(profiles)

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self._folder / candidate


def merged(profiles: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The profiles merged into one (None when there are none)."""
    if not profiles:
        return None
    if len(profiles) == 1:
        return profiles[0]
    from integrity.checks.stats.profile import merge_profiles  # type: ignore[import-not-found,unused-ignore]

    result: dict[str, Any] = merge_profiles(profiles)
    return result


@contextlib.contextmanager
def project_context(root: Path | str, dataset: str, suite_path: str | None,
                    now: dt.datetime | None = None) -> Iterator[StoreContext]:
    """The context of ``dataset`` in the project at ``root``, for ``integrity validate``: its store
    opened for reading (none is created; a project without one gives an empty history)."""
    project = Project.load(root)
    definition = project.dataset(dataset)
    try:
        store: Store | None = Store.open(project.store_url, create=False)
    except StoreMissingError:
        store = None
    try:
        yield StoreContext(store, dataset, suite_path=suite_path, now=now,
                           timezone=definition.timezone)
    finally:
        if store is not None:
            store.close()
