"""Backfills (``integrity run DATASET --from A --to B``): re-validate a cursor range, never publish twice.

What a backfill does, and why:

- It pulls the rows whose cursor is in ``[from, to]``, validates them with the current suite and
  records the results (the expectation history then covers the range). It never moves the regular
  watermark, so the next incremental run carries on where it was.
- Rows are **owned** by whoever takes them first. The regular runs own every cursor value from
  ``cursor.initial`` on (all of them when ``initial`` is not set): they have taken those rows
  already or will take them on their next run. A completed backfill owns its ``[from, to]``.
- A backfill publishes (or quarantines) only the rows nobody owns yet: history before
  ``cursor.initial``, loaded once. Owned rows are *re-validated only*: their failures are reported
  (exit code 1) and recorded, but they are neither published nor quarantined again, because they
  already went through the gate once and publishing them again would hand a consumer duplicates.
- The same backfill run twice is recognised by its batch id (derived from the range and the
  content) and is reported, not processed again.

The plan (the range and the owned ranges at the time) is stored with the pending batch, so a
backfill interrupted by a crash is finished by the next run with the same split.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import polars as pl

from integrity.connectors.base import Batch, cursor_literal
from integrity.errors import ConfigError
from integrity.store import BatchRecord

PLAN_KEY = "backfill"
"""Key of the backfill plan inside a batch's stored ``watermark_before``."""

_DONE = ("published", "quarantined", "partial", "empty", "revalidated")


def check_range(dataset: str, cursor: str | None, start: Any, end: Any) -> None:
    """Refuse a backfill that cannot be done safely, with the reason and the fix."""
    if cursor is None:
        raise ConfigError(
            f"dataset {dataset!r} has no cursor column, so --from/--to cannot select a range (and "
            "re-reading every file would publish rows twice). Add `cursor: {column: ...}` to "
            f"connectors/{dataset}.yaml, or run without --from/--to.")
    if start is not None and end is not None:
        try:
            backwards = start > end
        except TypeError:
            raise ConfigError(f"dataset {dataset!r}: --from {start!r} and --to {end!r} are not "
                              "comparable; give both as numbers or both as ISO dates.") from None
        if backwards:
            raise ConfigError(f"dataset {dataset!r}: --from {start!r} is after --to {end!r}; "
                              "swap them.")


def batch_id(regular_id: str) -> str:
    """The backfill's own batch id: never equal to an incremental batch's id for the same rows."""
    return "backfill-" + hashlib.sha256(f"backfill:{regular_id}".encode()).hexdigest()[:16]


def relabel(batch: Batch) -> Batch:
    return Batch(batch.frame, replace(batch.info, batch_id=batch_id(batch.info.batch_id)),
                 batch.next_watermark)


def make_plan(start: Any, end: Any, initial: Any, history: list[BatchRecord]) -> dict[str, Any]:
    """The range and every range already owned (by the regular runs and by earlier backfills)."""
    owned: list[list[Any]] = [[initial, None]]
    for record in history:
        earlier = record.watermark_before.get(PLAN_KEY)
        if isinstance(earlier, dict) and record.status in _DONE:
            owned.append([earlier.get("from"), earlier.get("to")])
    return {"from": start, "to": end, "owned": owned}


def plan_of(record: BatchRecord) -> dict[str, Any] | None:
    """The backfill plan stored with a batch, or None for an incremental batch."""
    plan = record.watermark_before.get(PLAN_KEY)
    return plan if isinstance(plan, dict) else None


def owned_mask(frame: pl.DataFrame, cursor: str, plan: dict[str, Any]) -> pl.Expr:
    """True for the rows of ``frame`` whose cursor falls in a range someone already owns."""
    if cursor not in frame.columns:  # cannot tell: treat every row as owned (never publish twice)
        return pl.lit(True)
    dtype = frame.schema[cursor]
    column = pl.col(cursor)
    mask = pl.lit(False)
    for lo, hi in plan.get("owned", []):
        inside = pl.lit(True)
        if lo is not None:
            inside = inside & (column >= cursor_literal(dtype, lo))
        if hi is not None:
            inside = inside & (column <= cursor_literal(dtype, hi))
        mask = mask | inside
    return mask.fill_null(True)
