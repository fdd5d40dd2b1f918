"""Which rows a dataset has already taken: a compact ledger of row hashes, to tell late rows apart.

A row whose cursor is below the watermark, or NULL, was either taken by an earlier batch or is
*late* (it arrived after the watermark moved past it). Counting finds that something is late
cheaply (:mod:`integrity.connectors.late`); this ledger says which rows. It holds one 64-bit hash
per row taken (8 bytes a row), written by the job as one segment file per batch before the batch
is recorded, and read only when the counts say some rows below the watermark are new.

A segment counts only once its batch is completed in the results store (the ``completed``
callable answers that), so a run killed between writing a segment and recording its batch never
claims rows it did not take. Segments are merged into larger files as they accumulate.

Hashes come from polars' ``hash_rows``, stable within one polars version only; the ledger's
:class:`LedgerInfo` (kept in the watermark) names the version and the columns hashed, and a
ledger that no longer fits the rows (polars upgraded, a column dropped or retyped) is rebuilt
from the rows below the watermark the next time every count agrees (``late.py`` says when).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

Hashes = npt.NDArray[np.uint64]

HASH_KEY = f"polars {pl.__version__} hash_rows/1"
"""Names how row hashes are computed; a ledger written under another key cannot be compared."""

MERGE_AFTER = 64
"""Segments of one generation are merged into one file once there are more than this many."""

_SEED = 0x51ED2701
_SEGMENT = re.compile(r"g(\d+)-([0-9A-Za-z_.-]+)\.npy")
_MERGED = re.compile(r"g(\d+)-merged-[0-9a-f]+\.npz")


def hash_schema(frame: pl.DataFrame | pl.Schema) -> dict[str, str]:
    """The columns a ledger hashes, by name, with their dtypes after :func:`_normalised`."""
    schema = frame.schema if isinstance(frame, pl.DataFrame) else frame
    return {name: str(_normalised(dtype)) for name, dtype in schema.items()}


def row_hashes(frame: pl.DataFrame, columns: Collection[str]) -> Hashes:
    """One 64-bit hash per row over ``columns`` (read paths that differ in integer width or
    datetime unit give the same hash)."""
    if frame.height == 0:
        return np.empty(0, dtype=np.uint64)
    schema = frame.schema
    # By name, not by position: a query may reorder columns, and a PostgreSQL store's JSONB
    # gives the ledger's column names back in its own order.
    picked = frame.select([pl.col(c) if _normalised(schema[c]) == schema[c]
                           else pl.col(c).cast(_normalised(schema[c])) for c in sorted(columns)])
    return picked.hash_rows(seed=_SEED).to_numpy().astype(np.uint64, copy=False)


def _normalised(dtype: pl.DataType) -> pl.DataType:
    if dtype.is_integer() and dtype not in (pl.UInt64, pl.Int128):
        return pl.Int64()
    if dtype.is_float():
        return pl.Float64()
    if isinstance(dtype, pl.Datetime):
        return pl.Datetime("us", dtype.time_zone)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    return dtype


@dataclass(frozen=True)
class LedgerInfo:
    """What the watermark says about the dataset's ledger."""

    generation: int
    """Bumped when the ledger is rebuilt; only segments of this generation count."""
    key: str
    """:data:`HASH_KEY` at the time the generation began."""
    columns: dict[str, str]
    """The columns hashed, with their normalised dtypes."""
    rows: int
    """How many hashes the generation's completed segments hold (a lost file shows as a gap)."""

    def to_dict(self) -> dict[str, Any]:
        return {"generation": self.generation, "key": self.key,
                "columns": [[name, self.columns[name]] for name in sorted(self.columns)],
                "rows": self.rows}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> LedgerInfo | None:
        if not data:
            return None
        columns = data["columns"]
        pairs = columns.items() if isinstance(columns, Mapping) else columns
        return cls(int(data["generation"]), str(data["key"]), {str(n): str(d) for n, d in pairs},
                   int(data["rows"]))

    def fits(self, frame: pl.DataFrame) -> bool:
        """Whether hashes of ``frame``'s rows can be compared with this ledger's. A frame without
        rows cannot tell (a read path may type an empty column as Null), so it fits."""
        if self.key != HASH_KEY:
            return False
        if frame.height == 0:
            return True
        now = hash_schema(frame)
        return all(now.get(name) == dtype for name, dtype in self.columns.items())

    def grown(self, rows: int) -> LedgerInfo:
        return LedgerInfo(self.generation, self.key, self.columns, self.rows + rows)


@dataclass
class Ledger:
    """One dataset's ledger folder.

    Args:
        folder: Where the segment files live (created privately on first write).
        completed: Returns the ids of the dataset's completed batches (not pending, not failed);
            called only when the ledger is read or merged.
    """

    folder: Path
    completed: Callable[[], Collection[str]]
    _cache: dict[int, Hashes | None] = field(default_factory=dict, repr=False)

    def write(self, batch_id: str, generation: int, hashes: Hashes) -> Path:
        """Write one batch's segment atomically (temp file, rename), replacing an earlier one.

        Not fsynced, to keep it off a run's critical path: a killed process loses nothing, and a
        segment lost to a power cut shows as a gap against :attr:`LedgerInfo.rows`, so the rows
        below the watermark are then held as unknown, never published twice."""
        _make_private(self.folder)
        final = self.folder / f"g{generation}-{batch_id}.npy"
        tmp = self.folder / f".{final.name}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, np.ascontiguousarray(hashes, dtype=np.uint64))
            os.replace(tmp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._cache.clear()
        return final

    def taken(self, info: LedgerInfo) -> Hashes | None:
        """The sorted hashes of every row taken under ``info``'s generation, or None when the files
        do not add up to ``info.rows`` (deleted or damaged): then nothing can be told apart."""
        if info.generation not in self._cache:
            self._cache[info.generation] = self._load(info)
        return self._cache[info.generation]

    def _load(self, info: LedgerInfo) -> Hashes | None:
        merged, segments = self._files(info.generation)
        parts: list[Hashes] = []
        seen: set[str] = set()
        try:
            for path in merged:
                with np.load(path) as data:
                    parts.append(data["hashes"].astype(np.uint64, copy=False))
                    seen.update(str(b) for b in data["batches"])
            done = set(self.completed()) if segments else set()
            for batch_id, path in segments.items():
                if batch_id in done and batch_id not in seen:
                    parts.append(np.load(path).astype(np.uint64, copy=False))
        except (OSError, ValueError, KeyError):
            return None
        hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        if hashes.size != info.rows:
            return None
        hashes.sort()
        return hashes

    def merge(self, generation: int) -> None:
        """Merge the generation's completed segments into one file once there are many, and
        delete segments that no longer count (older generations, batches never completed)."""
        merged, segments = self._files(generation)
        stale = [p for p in self.folder.glob("g*-*.np[yz]") if _generation(p.name) not in
                 (None, generation)]
        if len(segments) <= MERGE_AFTER and not stale:
            return
        done = set(self.completed())
        seen: set[str] = set()
        for path in merged:
            with np.load(path) as data:
                seen.update(str(b) for b in data["batches"])
        keep = {b: p for b, p in segments.items() if b in done and b not in seen}
        if len(keep) > MERGE_AFTER:
            ids = sorted(keep)
            hashes = np.concatenate([np.load(keep[b]) for b in ids]).astype(np.uint64)
            final = self.folder / f"g{generation}-merged-{uuid.uuid4().hex}.npz"
            tmp = self.folder / f".{final.name}.tmp"
            with tmp.open("wb") as handle:
                np.savez(handle, hashes=hashes, batches=np.array(ids))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, final)
            _fsync_dir(self.folder)
            seen.update(ids)
        # Only now: a crash above leaves segments that the merged file's batch list overrides.
        for batch_id, path in segments.items():
            if batch_id in seen or batch_id not in done:
                path.unlink(missing_ok=True)
        for path in stale:
            path.unlink(missing_ok=True)
        self._cache.clear()

    def _files(self, generation: int) -> tuple[list[Path], dict[str, Path]]:
        if not self.folder.is_dir():
            return [], {}
        merged: list[Path] = []
        segments: dict[str, Path] = {}
        for path in sorted(self.folder.iterdir()):
            if (m := _MERGED.fullmatch(path.name)) and int(m.group(1)) == generation:
                merged.append(path)
            elif (m := _SEGMENT.fullmatch(path.name)) and int(m.group(1)) == generation:
                segments[m.group(2)] = path
        return merged, segments


def untaken(candidates: Hashes, taken: Hashes) -> npt.NDArray[np.bool_]:
    """Which candidate rows the ledger (sorted) does not account for, counting repeats: with ``k``
    rows of one hash taken, the first ``k`` candidates with that hash are old, the rest new."""
    n = candidates.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    # Sorted needles keep the binary searches cache-friendly (4x faster on millions of rows).
    order = np.argsort(candidates, kind="stable")
    needles = candidates[order]
    index = np.arange(n)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(needles[1:], needles[:-1], out=starts[1:])
    occurrence = index - np.maximum.accumulate(np.where(starts, index, 0))
    known = np.searchsorted(taken, needles, "right") - np.searchsorted(taken, needles, "left")
    result = np.empty(n, dtype=bool)
    result[order] = occurrence >= known
    return result


def _generation(name: str) -> int | None:
    m = _MERGED.fullmatch(name) or _SEGMENT.fullmatch(name)
    return int(m.group(1)) if m else None


def _make_private(folder: Path) -> None:
    """Create ``folder`` and its missing parents as 0700 whatever the umask."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        os.chmod(created, 0o700)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
