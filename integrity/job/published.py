"""Reading back what a dataset published before, for checks that compare a batch with it.

The store knows which batches published rows (and which quarantine entries a steward released,
published under the entry's id); the dataset's sink holds the rows themselves. Held and rejected
rows never appear: they were never published, or were taken back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from integrity.errors import IntegrityError
from integrity.gate import Sink
from integrity.store import Store
from integrity.types import PUBLISHED_BATCH_COLUMN, PUBLISHED_ID_COLUMN

#: How many batches are looked through at most (a dataset's whole life at hourly runs: 100 years).
MAX_BATCHES = 1_000_000


class Unavailable(Exception):
    """The published rows cannot be had; the message says why (one sentence)."""


Unit = tuple[str, list[str]]
"""A published batch: its id, and the sink ids of its rows (its own id when it published rows,
then the ids of its released quarantine entries)."""


def published_units(store: Store, dataset: str, exclude: str | None) -> list[Unit]:
    """The dataset's earlier published batches, oldest first (see :data:`Unit`)."""
    released: dict[str, list[str]] = {}
    for entry in store.quarantine_entries(dataset, status="released"):
        released.setdefault(entry.batch_id, []).append(entry.id)
    units = []
    for batch in reversed(store.batches(dataset, limit=MAX_BATCHES)):
        if batch.batch_id == exclude or batch.status == "pending":
            continue
        ids = ([batch.batch_id] if batch.published_rows else []) + released.get(batch.batch_id, [])
        if ids:
            units.append((batch.batch_id, ids))
    return units


def read_units(sink: Sink, units: Sequence[Unit]) -> pl.LazyFrame | None:
    """The rows of ``units`` (oldest first) in one frame with the batch order and id columns;
    None when none of them left any row in the sink."""
    frames = []
    for order, (_batch, ids) in enumerate(units):
        for sink_id in ids:
            try:
                frame = sink.read(sink_id)
            except IntegrityError as exc:
                raise Unavailable(f"the publish target {sink!r} cannot be read back ({exc})"
                                  ) from None
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise Unavailable(f"batch {sink_id} cannot be read back from {sink!r} "
                                  f"({type(exc).__name__}: {exc})") from None
            if frame is None:
                continue
            frames.append(frame.with_columns(
                pl.lit(order, dtype=pl.Int64).alias(PUBLISHED_BATCH_COLUMN),
                pl.lit(sink_id, dtype=pl.String).alias(PUBLISHED_ID_COLUMN)))
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")


def read_file(path: Path) -> pl.LazyFrame:
    """A baseline file, read as ``integrity baseline set --file`` reads it."""
    from integrity.connectors import readers

    if not path.is_file():
        raise Unavailable(f"the baseline file {path} is gone; set the baseline again "
                          "(integrity baseline set)")
    try:
        return readers.scan(str(path))
    except Exception as exc:
        raise Unavailable(f"the baseline file {path} cannot be read ({exc})") from None
