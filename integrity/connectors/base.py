"""The connector protocol, batches and watermarks.

A connector is a small object with ``pull(since, until) -> Batch`` and ``close()`` (and is a context
manager). It returns the rows whose cursor is at or past the watermark; :func:`make_batch` then drops
the rows at the boundary value that an earlier batch already took (dlt-style boundary
de-duplication), computes the next watermark and a deterministic batch id. With a tracked
watermark (the job's), rows with a NULL cursor and late rows are not dropped but set apart in
:attr:`Batch.late` (:mod:`integrity.connectors.late`), so none is skipped without a word.

Built-in connectors are looked up by type name; third-party ones register a factory under the
``integrity.connectors`` entry-point group (``mypkg.module:make_connector``), called with the
resolved params dict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, Self, runtime_checkable

import polars as pl

from integrity.connectors import late as late_rows
from integrity.connectors.late import LATE_COLUMN, SourceCounts, Split
from integrity.connectors.ledger import Hashes, Ledger, LedgerInfo
from integrity.errors import ConfigError, did_you_mean
from integrity.jsonable import jsonable
from integrity.types import BatchInfo


@dataclass(frozen=True)
class Watermark:
    """How far a dataset has been pulled, and what it has taken that a cursor alone does not say."""

    value: Any = None
    """The greatest cursor value taken so far (JSON-able: numbers, strings, ISO datetimes)."""
    boundary: tuple[str, ...] = ()
    """Hashes of the rows whose cursor equals ``value``, already taken; rows arriving later with
    the same cursor value are still pulled, the ones already taken are not."""
    files: tuple[str, ...] = ()
    """For file sources without a cursor column: the files already taken (resolved paths)."""
    below: int | None = None
    """Rows taken whose cursor is below ``value``. None: not tracked, so rows below the watermark
    and NULL cursors are filtered out without a count (backfills, hand-made watermarks); the job
    always tracks (see :mod:`integrity.connectors.late`)."""
    nulls: int = 0
    """Rows taken whose cursor is NULL."""
    ledger: LedgerInfo | None = None
    """The ledger of taken rows' hashes this watermark goes with (None: nothing hashed yet)."""
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """For file sources without a cursor column: size, mtime and content hash of each file taken,
    to see a file that changes after it was taken."""
    taken: Ledger | None = field(default=None, compare=False, repr=False)
    """Where the ledger's hashes are read from (attached by the job; not stored)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": jsonable(self.value), "boundary": list(self.boundary),
                               "files": list(self.files)}
        if self.below is not None:
            out.update(below=self.below, nulls=self.nulls)
        if self.ledger is not None:
            out["ledger"] = self.ledger.to_dict()
        if self.marks:
            out["marks"] = {path: dict(mark) for path, mark in self.marks.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, taken: Ledger | None = None) -> Watermark:
        """A stored watermark, tracked (an older one without counts starts counting on its next
        pull); ``taken`` is the dataset's ledger."""
        if not data:
            return cls(below=0, taken=taken)
        return cls(data.get("value"), tuple(data.get("boundary") or ()), tuple(data.get("files") or ()),
                   below=int(data.get("below") or 0), nulls=int(data.get("nulls") or 0),
                   ledger=LedgerInfo.from_dict(data.get("ledger")),
                   marks={str(k): dict(v) for k, v in (data.get("marks") or {}).items()}, taken=taken)


@dataclass
class Batch:
    """Rows pulled from a source, with what is known about them and the watermark they lead to."""

    frame: pl.DataFrame
    info: BatchInfo
    next_watermark: Watermark
    late: pl.DataFrame | None = None
    """Rows set apart from ``frame``: NULL cursors and late rows, each with its kind in
    :data:`~integrity.connectors.late.LATE_COLUMN`; the job applies the dataset's ``late_rows``."""
    taken: Hashes | None = None
    """Hashes of the rows this batch takes, for the ledger (generation in ``next_watermark``)."""

    @property
    def lazy(self) -> pl.LazyFrame:
        return self.frame.lazy()


@runtime_checkable
class Connector(Protocol):
    """What every connector implements."""

    def pull(self, since: Watermark, until: Any = None) -> Batch: ...

    def close(self) -> None: ...

    def __enter__(self) -> Connector: ...

    def __exit__(self, *exc: object) -> None: ...


class ConnectorBase:
    """Context-manager plumbing shared by the built-in connectors."""

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_hash(row: Mapping[str, Any]) -> str:
    """A stable hash of one row's values (for boundary de-duplication)."""
    text = json.dumps({k: jsonable(v) for k, v in row.items()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def content_hash(frame: pl.DataFrame) -> str:
    """A hash of the batch content: the same rows in the same order give the same hash."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(frame.columns)).encode())
    if frame.height:
        # polars' row hash is stable for one polars version, which is all a re-run needs.
        row_hashes = frame.hash_rows(seed=0)
        digest.update(row_hashes.to_numpy().tobytes())
    return digest.hexdigest()


def cursor_literal(dtype: pl.DataType, value: Any) -> Any:
    """A stored watermark value (JSON) converted back to compare with the cursor column."""
    if value is None:
        return None
    if isinstance(dtype, pl.Datetime) and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        if dtype.time_zone is None:
            return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        from zoneinfo import ZoneInfo

        # Compare in the column's own zone: polars refuses mixed zones.
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        return aware.astimezone(ZoneInfo(dtype.time_zone))
    if dtype == pl.Date and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def make_batch(
    dataset: str,
    source: str,
    frame: pl.DataFrame,
    *,
    cursor: str | None,
    since: Watermark,
    until: Any = None,
    files: tuple[str, ...] = (),
    unpulled: SourceCounts | None = None,
    repulled: pl.DataFrame | None = None,
    marks: Mapping[str, Mapping[str, Any]] | None = None,
    notes: Mapping[str, Any] | None = None,
) -> Batch:
    """Finish a pull: apply the watermark (``cursor >= since``, ``<= until``), drop boundary rows
    already taken, sort by the cursor, and compute the next watermark and the batch id.

    With a tracked ``since`` (``since.below`` not None), rows with a NULL cursor and late rows
    are not dropped but set apart in :attr:`Batch.late` (see :mod:`integrity.connectors.late`).

    Args:
        frame: The rows read. Rows below the watermark may be in it (connectors that read
            everything) or left at the source and counted in ``unpulled``.
        files: Files without a cursor column: the files read (resolved paths).
        unpulled: Rows the connector filtered out at the source by the watermark, counted.
        repulled: Files without a cursor column: rows of files taken before that changed since;
            only the rows the ledger does not hold are taken.
        marks: Files without a cursor column: the marks of every file taken, this batch's included.
        notes: What the connector noticed (files waiting, links refused), recorded with the batch.
    """
    late: pl.DataFrame | None = None
    info_notes: dict[str, Any] = dict(notes or {})
    whole = frame
    split: Split | None = None
    if cursor is not None:
        if cursor not in frame.columns:
            raise ConfigError(f"dataset {dataset!r}: cursor column {cursor!r} is not in the pulled "
                              f"rows.{did_you_mean(cursor, frame.columns)} Columns: "
                              f"{', '.join(frame.columns)}.")
        dtype = frame.schema[cursor]
        lo = cursor_literal(dtype, since.value)
        hi = cursor_literal(dtype, until)
        if hi is not None:
            frame = frame.filter(pl.col(cursor).is_null() | (pl.col(cursor) <= hi))
            whole = frame
        if since.below is not None:
            split = late_rows.split(frame, cursor, lo, since, unpulled)
            frame, late = split.rest, split.late
            info_notes.update(split.notes)
        else:
            if lo is not None:
                frame = frame.filter(pl.col(cursor) >= lo)
            frame = frame.filter(pl.col(cursor).is_not_null())
        if not frame[cursor].is_sorted():  # SQL sources already ORDER BY the cursor
            frame = frame.sort(cursor, maintain_order=True)
        dropped = 0
        if lo is not None and since.boundary:
            taken = set(since.boundary)
            at_boundary = frame.filter(pl.col(cursor) == lo)
            drop = {i for i, row in enumerate(at_boundary.iter_rows(named=True)) if row_hash(row) in taken}
            if drop:
                dropped = len(drop)
                keep = pl.Series([i not in drop for i in range(at_boundary.height)])
                frame = pl.concat([frame.filter(pl.col(cursor) != lo), at_boundary.filter(keep)])
                frame = frame.sort(cursor, maintain_order=True)
        next_mark = _next_cursor_mark(frame, cursor, lo, since, split, dropped)
    else:
        if repulled is not None and repulled.height:
            fresh, unknown = late_rows.repulled(since, repulled)
            frame = pl.concat([frame, fresh], how="vertical_relaxed") if frame.width else fresh
            late = unknown
        next_mark = replace(since, files=tuple(dict.fromkeys(since.files + files)),
                            marks={k: dict(v) for k, v in marks.items()} if marks is not None
                            else since.marks)
    taken_hashes = None
    if since.below is not None:
        ledger, taken_hashes = late_rows.ledger_after(since, whole, frame, late,
                                                      split.rebuild if split else False)
        next_mark = replace(next_mark, ledger=ledger)
        if split is not None and split.rebuild and since.ledger is not None:
            info_notes.setdefault("ledger", "rebuilt")
    if late is not None:
        kinds = late[LATE_COLUMN].value_counts()
        info_notes.update({late_rows.NOTE_KEYS[kind]: n for kind, n in kinds.iter_rows()})
        info_notes.update(cursor=cursor, watermark=jsonable(since.value))
    chash = content_hash(frame)
    ident = json.dumps([dataset, since.to_dict(), jsonable(until), next_mark.to_dict(), chash]
                       + ([content_hash(late)] if late is not None else []),
                       sort_keys=True, default=str)
    info = BatchInfo(
        dataset=dataset,
        batch_id=hashlib.sha256(ident.encode()).hexdigest()[:20],
        source=source,
        watermark_from=jsonable(since.value),
        watermark_to=next_mark.value if cursor is not None else list(files),
        pulled_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        row_count=frame.height,
        content_hash=chash,
        notes=jsonable(info_notes),
    )
    return Batch(frame, info, next_mark, late, taken_hashes)


def _next_cursor_mark(frame: pl.DataFrame, cursor: str, lo: Any, since: Watermark,
                      split: Split | None, dropped: int) -> Watermark:
    """The watermark after taking ``frame`` (sorted, boundary rows already taken removed).

    Tracked counts: the rows below the new value are those below the old one (all taken now,
    late ones included), the boundary rows taken before (``dropped``: they are still at the
    source) and this batch's rows below its top."""
    top = frame[cursor].max() if frame.height else None
    advanced = top is not None and (lo is None or top != lo)
    below = split.below if split else None
    if advanced:
        top_rows = frame.filter(pl.col(cursor) == top)
        boundary = tuple(row_hash(r) for r in top_rows.iter_rows(named=True))
        if below is not None:
            below += dropped + frame.height - top_rows.height
        mark = replace(since, value=jsonable(top), boundary=boundary)
    elif top is not None:
        new = tuple(row_hash(r) for r in frame.iter_rows(named=True))
        mark = replace(since, boundary=tuple(dict.fromkeys(since.boundary + new)))
    else:
        mark = since
    if split is None:
        return mark
    return replace(mark, below=below, nulls=split.nulls)


ConnectorFactory = Callable[..., Connector]


@dataclass
class ConnectorRegistry:
    """Connector factories by type name: the built-ins plus the ``integrity.connectors`` entry points."""

    factories: dict[str, ConnectorFactory] = field(default_factory=dict)

    def add(self, name: str, factory: ConnectorFactory) -> None:
        self.factories[name] = factory

    def create(self, type_name: str, dataset: str, cursor: str | None,
               params: Mapping[str, Any]) -> Connector:
        factory = self.factories.get(type_name) or _entry_point(type_name)
        if factory is None:
            known = sorted(set(self.factories) | _entry_point_names())
            raise ConfigError(f"dataset {dataset!r}: unknown connector type {type_name!r}."
                              f"{did_you_mean(type_name, known)} Known: {', '.join(known)}.")
        try:
            return factory(dataset=dataset, cursor=cursor, **params)
        except TypeError as exc:
            raise ConfigError(f"dataset {dataset!r}: connector {type_name!r} parameters: {exc}") from None


def _entry_point(name: str) -> ConnectorFactory | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="integrity.connectors"):
        if ep.name == name:
            factory: ConnectorFactory = ep.load()
            return factory
    return None


def _entry_point_names() -> set[str]:
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group="integrity.connectors")}


class MemoryConnector(ConnectorBase):
    """Rows held in memory: the test double, and a way to feed frames built in Python."""

    def __init__(self, *, dataset: str, cursor: str | None = None,
                 frame: pl.DataFrame | None = None, rows: list[dict[str, Any]] | None = None) -> None:
        self.dataset = dataset
        self.cursor = cursor
        self.frame = frame if frame is not None else pl.DataFrame(rows or [])

    def pull(self, since: Watermark, until: Any = None) -> Batch:
        return make_batch(self.dataset, "memory", self.frame, cursor=self.cursor, since=since, until=until)
