"""Rows a watermark alone would skip: NULL cursor values and late rows, found, counted and set apart.

A cursor watermark pulls the rows at or past it. Two kinds of rows never get there: rows whose
cursor is NULL, and *late* rows, whose cursor is below the watermark but which arrived after it
moved (a long transaction committing late, a file landing after a newer one, a back-dated record).
:func:`split` finds both and returns them apart from the batch's rows, so the job can apply the
dataset's ``late_rows`` policy (quarantine, warn or drop) and nothing is skipped without a word.

Finding them must not cost a normal pull anything noticeable, so it counts first. A tracked
watermark (:attr:`Watermark.below` not None) remembers how many rows below it, and with a NULL
cursor, the dataset has taken. The rows below the watermark at the source now are either those or
late ones: when both counts agree, nothing is late and no row below the watermark is even hashed.
When they differ, each candidate row is hashed and looked up in the dataset's
:class:`~integrity.connectors.ledger.Ledger` (counting repeats); the rows the ledger does not
account for are the late ones. A source that deletes old rows shows a smaller count: the same
look-up runs, finds nothing new, and the counts start from what is there now. Only a source that
deletes exactly as many old rows as late ones arrive between two runs hides them from the count.

Connectors that read everything (files, HTTP, memory) hand the whole frame to ``make_batch``.
A connector that filters by the watermark at the source (SQL) counts what it left out
(:class:`SourceCounts`) and asks :func:`needs_rows_below` whether it must pull those rows too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from integrity.connectors.ledger import (
    HASH_KEY,
    Hashes,
    LedgerInfo,
    hash_schema,
    row_hashes,
    untaken,
)

if TYPE_CHECKING:
    from integrity.connectors.base import Watermark

LATE_COLUMN = "_integrity_late"
"""Added to the rows :func:`split` sets apart: ``null`` (the cursor is NULL), ``late`` (below the
watermark and not taken before) or ``unknown`` (below the watermark; the ledger could not tell
whether it was taken, so it must never be published without a steward)."""

NULL, LATE, UNKNOWN = "null", "late", "unknown"
NOTE_KEYS = {NULL: "null_cursor_rows", LATE: "late_rows", UNKNOWN: "unknown_rows"}
"""How many rows of each kind a batch set apart, as recorded in ``BatchInfo.notes``."""


@dataclass(frozen=True)
class SourceCounts:
    """Rows a connector counted at the source but did not pull, because it filtered by the
    watermark there: ``below`` the connector's lower bound, and with a NULL cursor."""

    below: int
    nulls: int


@dataclass(frozen=True)
class Split:
    """A pulled frame divided by :func:`split`."""

    rest: pl.DataFrame
    """Rows at or past the watermark (boundary rows already taken are still in)."""
    late: pl.DataFrame | None
    """The NULL-cursor and late rows, with :data:`LATE_COLUMN`; None when there are none."""
    below: int
    """Rows below the watermark at the source, all of them taken once this batch is."""
    nulls: int
    """Rows with a NULL cursor at the source, all of them taken once this batch is."""
    rebuild: bool
    """The ledger must start a new generation from every row in the frame."""
    notes: dict[str, Any] = field(default_factory=dict)


def needs_rows_below(since: Watermark, cursor: str, frame: pl.DataFrame,
                     counted: SourceCounts) -> bool:
    """Whether a connector that filtered by the watermark at the source must pull the rows it
    left out (below its bound and NULL cursors), given what it counted there and what it read."""
    if since.below is None or since.value is None:
        return False
    if since.ledger is None:
        return True  # tracking starts: the rows below are hashed into the ledger once
    lo = _bound(frame, cursor, since.value)
    below = frame.filter(pl.col(cursor) < lo).height if lo is not None and frame.height else 0
    nulls = frame[cursor].null_count() if frame.height else 0
    if counted.below + below != since.below or counted.nulls + nulls != since.nulls:
        return True
    return not since.ledger.fits(frame)


def split(frame: pl.DataFrame, cursor: str, lo: Any, since: Watermark,
          unpulled: SourceCounts | None) -> Split:
    """Divide ``frame`` into the rows at or past ``lo`` and the NULL-cursor and late rows.

    ``lo`` is the watermark as a literal of the cursor's dtype; ``since`` is tracked.
    """
    assert since.below is not None
    col = pl.col(cursor)
    n_nulls = frame[cursor].null_count()
    n_below = int(frame.select((col < lo).sum()).item() or 0) if lo is not None and frame.height else 0
    if n_nulls == 0 and n_below == 0:  # what a SQL pull usually gets: no copy of the rows
        nulls = below = frame.clear()
        rest = frame
    else:
        nulls = frame.filter(col.is_null())
        below = frame.filter(col < lo) if lo is not None else frame.clear()
        rest = frame.filter(col >= lo) if lo is not None else frame.filter(col.is_not_null())
    total_below = below.height + (unpulled.below if unpulled else 0)
    total_nulls = nulls.height + (unpulled.nulls if unpulled else 0)
    info = since.ledger
    notes: dict[str, Any] = {}

    def done(late: list[tuple[pl.DataFrame, str]], rebuild: bool) -> Split:
        parts = [f.with_columns(pl.lit(kind).alias(LATE_COLUMN)) for f, kind in late if f.height]
        # A ledger whose hashes no longer fit the rows starts again from every row in the frame:
        # it holds every row below the watermark (connectors that filter pull them when asked).
        rebuild = rebuild or (info is not None and not info.fits(frame))
        return Split(rest, pl.concat(parts) if parts else None, total_below, total_nulls,
                     rebuild and frame.height > 0, notes)

    if since.value is not None and info is None:
        # Tracking starts on a watermark that never counted: what is below it now is taken; NULL
        # cursors were never pulled before, so they are new.
        if unpulled is not None and unpulled.below:
            raise ValueError("make_batch: the rows below the watermark must be pulled when "
                             "tracking starts (see needs_rows_below)")
        if total_below:
            notes["assumed_taken"] = total_below
        fresh = nulls if total_nulls != since.nulls else nulls.clear()
        return done([(fresh, NULL)], rebuild=True)
    if total_below == since.below and total_nulls == since.nulls:
        return done([], rebuild=False)
    if unpulled is not None and (unpulled.below or unpulled.nulls):
        raise ValueError("make_batch: the counts differ, so the rows below the watermark must be "
                         "pulled (see needs_rows_below)")
    if below.height == 0 and nulls.height == 0:
        return done([], rebuild=False)  # fewer rows than taken: deleted at the source
    taken = _taken(since, frame)
    if taken is None:
        notes["ledger"] = "unreadable" if info is not None and info.fits(frame) else "outdated"
        return done([(nulls, UNKNOWN), (below, UNKNOWN)], rebuild=True)
    columns = list(info.columns) if info is not None else frame.columns
    new_nulls = nulls.filter(pl.Series(untaken(row_hashes(nulls, columns), taken)))
    new_below = below.filter(pl.Series(untaken(row_hashes(below, columns), taken)))
    return done([(new_nulls, NULL), (new_below, LATE)], rebuild=False)


def repulled(since: Watermark, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Rows read again from a file taken before (it changed since): the ones the ledger does not
    hold, which are new; when the ledger cannot tell, none, and every row set apart as unknown."""
    taken = _taken(since, frame)
    if taken is None:
        return frame.clear(), frame.with_columns(pl.lit(UNKNOWN).alias(LATE_COLUMN))
    columns = list(since.ledger.columns) if since.ledger is not None else frame.columns
    return frame.filter(pl.Series(untaken(row_hashes(frame, columns), taken))), None


def _taken(since: Watermark, frame: pl.DataFrame) -> Hashes | None:
    """The ledger's hashes, an empty set before anything was taken, None when unknowable."""
    info = since.ledger
    if info is None:
        nothing_yet = since.value is None and not since.nulls and not since.below and not since.files
        return np.empty(0, dtype=np.uint64) if nothing_yet else None
    if since.taken is None or not info.fits(frame):
        return None
    return since.taken.taken(info)


def ledger_after(since: Watermark, whole: pl.DataFrame, rest: pl.DataFrame, late: pl.DataFrame | None,
                 rebuild: bool) -> tuple[LedgerInfo | None, Hashes | None]:
    """The watermark's next :class:`LedgerInfo` and the hashes this batch adds to the ledger:
    the rows taken (new and late), or every row of ``whole`` when the ledger is rebuilt."""
    info = since.ledger
    if rebuild:
        generation = info.generation + 1 if info is not None else 1
        columns = hash_schema(whole)
        hashes = row_hashes(whole, columns)
        return LedgerInfo(generation, HASH_KEY, columns, int(hashes.size)), hashes
    taken = [f for f in [rest, late.drop(LATE_COLUMN) if late is not None else None]
             if f is not None and f.height]
    if not taken:
        return info, None
    if info is None:
        info = LedgerInfo(1, HASH_KEY, hash_schema(taken[0]), 0)
    elif not all(info.fits(f) for f in taken):
        # Files without a cursor whose columns changed: their rows cannot collide with the
        # ledger's, and a file read again later that does not fit is held as unknown.
        return info, None
    parts = [row_hashes(f, list(info.columns)) for f in taken]
    hashes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return info.grown(int(hashes.size)), hashes


def _bound(frame: pl.DataFrame, cursor: str, value: Any) -> Any:
    from integrity.connectors.base import cursor_literal

    return cursor_literal(frame.schema[cursor], value) if cursor in frame.columns else None
