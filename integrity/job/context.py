"""The validation context the job (and ``integrity validate --project --dataset``) hands the checks.

Checks never import the store: what they need beyond the batch (its dataset's earlier published
batches, the baseline, the time, files a suite names) comes through this object, which implements
:class:`integrity.types.ValidationContext` over the results store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.stats.profile import merge_profiles
from integrity.gate import Sink
from integrity.job.project import Project
from integrity.job.published import Unavailable, Unit, published_units, read_file, read_units
from integrity.store import Store
from integrity.store.connect import StoreMissingError


class StoreContext:
    """A :class:`~integrity.types.ValidationContext` reading one dataset's history from a store.

    ``exclude_batch`` (the batch being validated) is never part of its own history or rolling
    baseline. Without a store (none exists yet) the history is empty and there is no baseline.
    Reads are cached: every check of a suite sees the same history.

    With the dataset's ``sink`` it also implements :class:`~integrity.types.PublishedRows`: the
    rows earlier batches published, read back from the sink (lazily: a check scans only the
    columns it selects).
    """

    def __init__(self, store: Store | None, dataset: str | None, *, suite_path: str | None = None,
                 now: dt.datetime | None = None, timezone: str = "UTC",
                 exclude_batch: str | None = None, sink: Sink | None = None) -> None:
        self._store = store
        self._sink = sink
        self._units: list[Unit] | None = None
        self._rows: dict[object, pl.LazyFrame | None] = {}
        self._reason = ""
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

    def published(self, lookback: int | None = None) -> pl.LazyFrame | None:
        key = ("published", lookback)
        if key not in self._rows:
            self._rows[key] = self._read(lambda units: units[-lookback:] if lookback else
                                         (units if lookback is None else []))
        return self._rows[key]

    def baseline_rows(self) -> pl.LazyFrame | None:
        if "baseline" not in self._rows:
            self._rows["baseline"] = self._read_baseline_rows()
        return self._rows["baseline"]

    def unpublished_reason(self) -> str:
        return self._reason or "no published rows were asked for"

    def _read_baseline_rows(self) -> pl.LazyFrame | None:
        if self._store is None or self._dataset is None:
            return self._read(lambda units: units)  # says why
        record = self._store.baseline(self._dataset)
        if record is None:
            self._reason = (f"dataset {self._dataset!r} has no baseline set (integrity baseline "
                            "set --from-batch ID, --rolling N or --file PATH)")
            return None
        if record.kind == "file":
            try:
                return read_file(Path(record.source or ""))
            except Unavailable as exc:
                self._reason = str(exc)
                return None
        if record.kind == "rolling":
            return self.published(record.rolling or 1)
        return self._read(lambda units: [u for u in units if u[0] == record.source])

    def _read(self, choose: Callable[[list[Unit]], list[Unit]]) -> pl.LazyFrame | None:
        """The rows of the published batches ``choose`` picks, or None with ``_reason`` set."""
        if self._store is None or self._dataset is None:
            self._reason = ("validated without a project's results store, so there are no "
                            "earlier published rows to compare with (run it as a job, or give "
                            "integrity validate --project DIR --dataset NAME)")
            return None
        if self._sink is None:
            self._reason = (f"dataset {self._dataset!r}: no publish target was given to read "
                            "earlier published rows from")
            return None
        if self._units is None:
            self._units = published_units(self._store, self._dataset, self._exclude)
        chosen = choose(self._units)
        try:
            rows = read_units(self._sink, chosen) if chosen else None
        except Unavailable as exc:
            self._reason = f"dataset {self._dataset!r}: {exc}"
            return None
        if rows is None:
            self._reason = (f"dataset {self._dataset!r} has published no rows before this batch"
                            if not self._units else
                            f"dataset {self._dataset!r}: the published rows asked for are no "
                            f"longer in {self._sink!r}")
        return rows


def merged(profiles: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The profiles merged into one (None when there are none)."""
    if not profiles:
        return None
    if len(profiles) == 1:
        return profiles[0]
    return merge_profiles(profiles)


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
                           timezone=definition.timezone, sink=project.sink(definition))
    finally:
        if store is not None:
            store.close()
