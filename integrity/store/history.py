"""The store's statistical memory: each published batch's metrics and profile, and baselines.

A batch's :class:`BatchHistory` is written in the same transaction that completes the batch
(:meth:`Store.complete_batch`), so a batch is in the history exactly once, or not at all, whatever
crashes. Only batches that published rows have one, computed over the rows they published: rows
held in quarantine never enter a history or a baseline. Profiles are the checks' mergeable JSON
summaries (:mod:`integrity.checks.stats`), kept as opaque JSON: counts, bins, sketches, never rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from integrity.store import schema as t
from integrity.store.records import iso, json_dumps, utcnow

BASELINE_KINDS = ("batch", "file", "rolling")


@dataclass(frozen=True)
class BatchHistory:
    """What a batch leaves for the history checks and baselines of later batches."""

    row_count: int
    """Rows published (held rows are not part of a history)."""
    metrics: dict[str, dict[str, Any]]
    """``{column: {metric: value}}``: what the suite's history checks compare."""
    newest_at: dt.datetime | None = None
    """The newest value of the dataset's time column among the published rows (aware)."""
    profile: dict[str, Any] | None = None
    """The mergeable profile of the published rows (for drift checks and baselines)."""


@dataclass(frozen=True)
class BaselineRecord:
    """A baseline as set for a dataset."""

    id: int
    dataset: str
    kind: str
    """One of :data:`BASELINE_KINDS`."""
    source: str | None
    """The batch id (``batch``) or the file (``file``) it was profiled from."""
    rolling: int | None
    """``rolling``: how many of the latest published batches are merged."""
    profile: dict[str, Any] | None
    """The stored profile (None for ``rolling``: merged from the batches when asked)."""
    created_at: str
    created_by: str
    note: str | None

    @property
    def size_bytes(self) -> int:
        """The stored profile's size as JSON."""
        return len(json_dumps(self.profile).encode()) if self.profile is not None else 0


class HistoryStore:
    """The history and baseline methods of :class:`~integrity.store.Store` (a mixin)."""

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    @staticmethod
    def _record_history(conn: Connection, batch_id: str, dataset: str, at: dt.datetime,
                        history: BatchHistory) -> None:
        """Insert a batch's history row (inside :meth:`Store.complete_batch`'s transaction)."""
        conn.execute(sa.insert(t.batch_metrics).values(
            batch_id=batch_id, dataset=dataset, completed_at=at, row_count=history.row_count,
            newest_at=history.newest_at, metrics=history.metrics, profile=history.profile))

    def history(self, dataset: str, lookback: int, *,
                exclude: str | None = None) -> list[dict[str, Any]]:
        """The latest ``lookback`` batches of ``dataset`` that published rows, oldest first, each
        ``{"batch_id", "completed_at", "row_count", "newest_at", "metrics", "profile"}``;
        ``exclude`` leaves out one batch (the one being validated)."""
        if lookback <= 0:
            return []
        m = t.batch_metrics
        query = (sa.select(m).where(m.c.dataset == dataset)
                 .order_by(m.c.completed_at.desc(), m.c.batch_id.desc()).limit(lookback))
        if exclude is not None:
            query = query.where(m.c.batch_id != exclude)
        with self._read() as conn:
            found = list(conn.execute(query))
        return [_history_item(row) for row in reversed(found)]

    def batch_history(self, batch_id: str) -> dict[str, Any] | None:
        """One batch's history item (see :meth:`history`), or None when it published nothing."""
        with self._read() as conn:
            row = conn.execute(sa.select(t.batch_metrics)
                               .where(t.batch_metrics.c.batch_id == batch_id)).first()
        return _history_item(row) if row is not None else None

    def newest_published(self, dataset: str) -> dict[str, Any]:
        """When ``dataset`` last delivered: the newest published value of its time column
        (``newest_at``), the completion of its latest batch that published rows
        (``last_published_at``), both aware or None, and how many such batches (``batches``)."""
        m = t.batch_metrics
        query = sa.select(sa.func.max(m.c.newest_at), sa.func.max(m.c.completed_at),
                          sa.func.count()).where(m.c.dataset == dataset)
        with self._read() as conn:  # max() keeps the column's type: aware UTC datetimes
            newest, last, count = conn.execute(query).one()
        return {"newest_at": newest, "last_published_at": last, "batches": int(count)}

    def set_baseline(self, dataset: str, *, kind: str, source: str | None, rolling: int | None,
                     profile: dict[str, Any] | None, actor: str,
                     note: str | None = None) -> BaselineRecord:
        """Record a new baseline for ``dataset`` (the latest one is in force) and its audit row,
        in one transaction."""
        if kind not in BASELINE_KINDS:
            raise ValueError(f"baseline kind {kind!r} is unknown; use one of "
                             f"{', '.join(BASELINE_KINDS)}")
        now = utcnow()
        with self._write() as conn:
            key = conn.execute(sa.insert(t.baselines).values(
                dataset=dataset, kind=kind, source=source, rolling=rolling, profile=profile,
                created_at=now, created_by=actor, note=note)).inserted_primary_key
            assert key is not None
            conn.execute(sa.insert(t.audit).values(
                at=now, dataset=dataset, action="baseline.set", subject=str(key[0]), actor=actor,
                note=note, details={"kind": kind, "source": source, "rolling": rolling}))
            row = conn.execute(sa.select(t.baselines).where(t.baselines.c.id == key[0])).one()
        return _baseline(row)

    def baseline(self, dataset: str) -> BaselineRecord | None:
        """The baseline in force for ``dataset`` (the latest set), or None."""
        found = self.baselines(dataset, limit=1)
        return found[0] if found else None

    def baselines(self, dataset: str, limit: int = 100) -> list[BaselineRecord]:
        """The baselines set for ``dataset``, newest first."""
        query = (sa.select(t.baselines).where(t.baselines.c.dataset == dataset)
                 .order_by(t.baselines.c.id.desc()).limit(limit))
        with self._read() as conn:
            return [_baseline(r) for r in conn.execute(query)]


def _history_item(row: sa.Row[Any]) -> dict[str, Any]:
    return {"batch_id": row.batch_id, "completed_at": iso(row.completed_at),
            "row_count": int(row.row_count), "newest_at": iso(row.newest_at),
            "metrics": dict(row.metrics or {}),
            "profile": dict(row.profile) if row.profile is not None else None}


def _baseline(row: sa.Row[Any]) -> BaselineRecord:
    return BaselineRecord(id=row.id, dataset=row.dataset, kind=row.kind, source=row.source,
                          rolling=row.rolling,
                          profile=dict(row.profile) if row.profile is not None else None,
                          created_at=iso(row.created_at) or "", created_by=row.created_by,
                          note=row.note)
