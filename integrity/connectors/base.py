"""The connector protocol, batches and watermarks.

A connector is a small object with ``pull(since, until) -> Batch`` and ``close()`` (and is a context
manager). It returns the rows whose cursor is at or past the watermark; :func:`make_batch` then drops
the rows at the boundary value that an earlier batch already took (dlt-style boundary
de-duplication), computes the next watermark and a deterministic batch id.

Built-in connectors are looked up by type name; third-party ones register a factory under the
``integrity.connectors`` entry-point group (``mypkg.module:make_connector``), called with the
resolved params dict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable

import polars as pl

from integrity.errors import ConfigError, did_you_mean
from integrity.jsonable import jsonable
from integrity.types import BatchInfo


@dataclass(frozen=True)
class Watermark:
    """How far a dataset has been pulled."""

    value: Any = None
    """The greatest cursor value taken so far (JSON-able: numbers, strings, ISO datetimes)."""
    boundary: tuple[str, ...] = ()
    """Hashes of the rows whose cursor equals ``value``, already taken; rows arriving later with
    the same cursor value are still pulled, the ones already taken are not."""
    files: tuple[str, ...] = ()
    """For file sources without a cursor column: the files already taken."""

    def to_dict(self) -> dict[str, Any]:
        return {"value": jsonable(self.value), "boundary": list(self.boundary), "files": list(self.files)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Watermark:
        if not data:
            return cls()
        return cls(data.get("value"), tuple(data.get("boundary") or ()), tuple(data.get("files") or ()))


@dataclass
class Batch:
    """Rows pulled from a source, with what is known about them and the watermark they lead to."""

    frame: pl.DataFrame
    info: BatchInfo
    next_watermark: Watermark

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
) -> Batch:
    """Finish a pull: apply the watermark (``cursor >= since``, ``<= until``), drop boundary rows
    already taken, sort by the cursor, and compute the next watermark and the batch id."""
    if cursor is not None:
        if cursor not in frame.columns:
            raise ConfigError(f"dataset {dataset!r}: cursor column {cursor!r} is not in the pulled "
                              f"rows.{did_you_mean(cursor, frame.columns)} Columns: "
                              f"{', '.join(frame.columns)}.")
        dtype = frame.schema[cursor]
        lo = cursor_literal(dtype, since.value)
        hi = cursor_literal(dtype, until)
        if lo is not None:
            frame = frame.filter(pl.col(cursor) >= lo)
        if hi is not None:
            frame = frame.filter(pl.col(cursor) <= hi)
        frame = frame.filter(pl.col(cursor).is_not_null())
        if not frame[cursor].is_sorted():  # SQL sources already ORDER BY the cursor
            frame = frame.sort(cursor, maintain_order=True)
        if lo is not None and since.boundary:
            taken = set(since.boundary)
            at_boundary = frame.filter(pl.col(cursor) == lo)
            drop = [i for i, row in enumerate(at_boundary.iter_rows(named=True)) if row_hash(row) in taken]
            if drop:
                keep = pl.Series([i not in set(drop) for i in range(at_boundary.height)])
                frame = pl.concat([frame.filter(pl.col(cursor) != lo), at_boundary.filter(keep)])
                frame = frame.sort(cursor, maintain_order=True)
        if frame.height:
            top = frame[cursor].max()
            top_rows = frame.filter(pl.col(cursor) == top)
            boundary = tuple(row_hash(r) for r in top_rows.iter_rows(named=True))
            if top == lo:
                boundary = tuple(dict.fromkeys(since.boundary + boundary))
            next_mark = Watermark(jsonable(top), boundary, since.files)
        else:
            next_mark = since
    else:
        next_mark = Watermark(since.value, since.boundary, tuple(dict.fromkeys(since.files + files)))
    chash = content_hash(frame)
    ident = json.dumps([dataset, since.to_dict(), jsonable(until), next_mark.to_dict(), chash],
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
    )
    return Batch(frame, info, next_mark)


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
