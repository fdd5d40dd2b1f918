"""The job's side of rows a watermark alone would skip: the dataset's ``late_rows`` policy, the
ledger of taken rows, and the lines that report them.

The connector sets NULL-cursor and late rows apart in ``Batch.late``
(:mod:`integrity.connectors.late`); :func:`apply` decides what happens to them:

- ``quarantine`` (the default): they are held in the batch's quarantine entry, each with a reason
  naming the cursor column and why;
- ``warn``: they join the batch, are validated and published like any row, and a warning is
  recorded;
- ``drop``: they are counted and recorded, and not published.

Rows the ledger could not tell apart (``unknown``) are never published without a steward: under
``warn`` they are quarantined too. Whatever the policy, the rows are *taken*: the watermark's
counts and the ledger include them, so they are reported once, never again on later runs.
Counts go into ``BatchInfo.notes`` before the batch is recorded, so the batch record and the run
summary carry them, and a recovered batch reports them too.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import polars as pl

from integrity.config import DatasetConfig
from integrity.connectors.base import Batch, content_hash
from integrity.connectors.late import LATE, LATE_COLUMN, NOTE_KEYS, NULL, UNKNOWN
from integrity.connectors.ledger import Ledger
from integrity.gate.split import REASONS_COLUMN
from integrity.job.project import Project
from integrity.job.safety import read_staged, stage
from integrity.jsonable import dumps, jsonable
from integrity.store import Store

_FINAL_NOT_TAKEN = ("pending", "failed")


def ledger_of(project: Project, dataset: DatasetConfig, store: Store) -> Ledger:
    """The dataset's ledger (``<data_root>/ledger/<dataset>``); a segment counts once its batch is
    completed in ``store``."""
    def completed() -> set[str]:
        return {b.batch_id for b in store.batches(dataset.name, limit=10**9)
                if b.status not in _FINAL_NOT_TAKEN}

    return Ledger(project.data_root / "ledger" / dataset.name, completed)


def apply(dataset: DatasetConfig, batch: Batch) -> tuple[Batch, pl.DataFrame | None]:
    """Apply ``late_rows`` to the rows the connector set apart: the batch to stage and validate
    (warn: with them in it), and the rows to hold in the quarantine (with their reasons)."""
    if batch.late is None or batch.late.height == 0:
        return batch, None
    policy = dataset.late_rows
    late = batch.late
    unknown = late.filter(pl.col(LATE_COLUMN) == UNKNOWN)
    notes: dict[str, Any] = {**batch.info.notes, "late_action": policy}
    frame, held = batch.frame, None
    if policy == "warn":
        joining = late.filter(pl.col(LATE_COLUMN) != UNKNOWN).drop(LATE_COLUMN)
        frame = pl.concat([frame, joining], how="diagonal_relaxed") if frame.width else joining
        if unknown.height:
            held = _with_reasons(unknown, batch.info.notes)
            notes["held_unknown_rows"] = unknown.height
    elif policy == "quarantine":
        held = _with_reasons(late, batch.info.notes)
    else:
        notes["dropped_rows"] = late.height
    info = replace(batch.info, row_count=frame.height, notes=jsonable(notes),
                   content_hash=content_hash(frame) if frame is not batch.frame else
                   batch.info.content_hash)
    return Batch(frame, info, batch.next_watermark, late, batch.taken), held


def reasons(held: pl.DataFrame | None) -> list[dict[str, Any]]:
    """The quarantine entry's summary reasons for the held rows, one per kind, with its count."""
    if held is None or held.height == 0:
        return []
    return [{**json.loads(text)[0], "unexpected_count": n}
            for text, n in held[REASONS_COLUMN].value_counts(sort=True).iter_rows()]


def _with_reasons(late: pl.DataFrame, notes: dict[str, Any]) -> pl.DataFrame:
    cursor, mark = notes.get("cursor"), notes.get("watermark")
    text = {kind: dumps([_reason(kind, cursor, mark)]) for kind in (NULL, LATE, UNKNOWN)}
    return late.with_columns(pl.col(LATE_COLUMN).replace_strict(text, return_dtype=pl.String)
                             .alias(REASONS_COLUMN)).drop(LATE_COLUMN)


def _reason(kind: str, cursor: Any, mark: Any) -> dict[str, Any]:
    where = f"below the watermark {mark!r}" if mark is not None else "below the watermark"
    detail = {
        NULL: f"cursor column {cursor!r} is NULL, so no watermark can place this row",
        LATE: f"cursor column {cursor!r} is {where}: the row arrived after the watermark moved "
              "past it",
        UNKNOWN: f"cursor column {cursor!r} is {where}, and the ledger of taken rows cannot tell "
                 "whether this row was taken before (it was rebuilt, lost or written by another "
                 "polars); held so that it is never published twice",
    }[kind]
    return {"expectation_index": None, "expectation_type": None, "check": NOTE_KEYS[kind],
            "column": cursor, "action": "quarantine_rows", "detail": detail,
            "fix": "release the rows if they belong in the data, reject them if not; "
                   "late_rows in the dataset's YAML sets what happens to such rows"}


def stage_held(project: Project, dataset: DatasetConfig, batch: Batch,
               held: pl.DataFrame | None, ledger: Ledger) -> None:
    """Before the batch is recorded: stage the held rows beside the batch's staged copy, and write
    the batch's segment of the ledger (it counts once the batch is completed)."""
    if held is not None:
        stage(project, dataset, Batch(held, replace(batch.info, batch_id=_held_id(batch.info.batch_id)),
                                      batch.next_watermark))
    info = batch.next_watermark.ledger
    if batch.taken is not None and info is not None:
        ledger.write(batch.info.batch_id, info.generation, batch.taken)


def read_held(project: Project, dataset: DatasetConfig, batch_id: str,
              notes: dict[str, Any]) -> pl.DataFrame | None:
    """The held rows of a pending batch (recovery), if it held any."""
    path = project.staged_path(dataset, _held_id(batch_id))
    if notes.get("late_action") == "quarantine" or notes.get("held_unknown_rows"):
        return read_staged(path, batch_id)
    return None


def keep_staged(pending: set[str]) -> set[str]:
    """The staged copies the pending batches need: theirs and their held rows'."""
    return pending | {_held_id(b) for b in pending}


def drop_staged(project: Project, dataset: DatasetConfig, batch_id: str) -> None:
    project.staged_path(dataset, _held_id(batch_id)).unlink(missing_ok=True)


def tidy(ledger: Ledger, batch: Batch) -> None:
    """After a batch completed: merge the ledger's segments when they have piled up."""
    if batch.next_watermark.ledger is not None:
        ledger.merge(batch.next_watermark.ledger.generation)


def hold(quarantined: pl.DataFrame, held: pl.DataFrame | None) -> pl.DataFrame:
    """The rows the gate quarantined plus the held late rows (one quarantine entry)."""
    if held is None or held.height == 0:
        return quarantined
    if quarantined.height == 0:
        return held
    return pl.concat([quarantined, held], how="diagonal_relaxed")


def counts(notes: dict[str, Any]) -> dict[str, Any]:
    """BatchOutcome's late-row fields from a batch's notes."""
    return {"late_rows": int(notes.get("late_rows", 0)) + int(notes.get("unknown_rows", 0)),
            "null_cursor_rows": int(notes.get("null_cursor_rows", 0)),
            "dropped_rows": int(notes.get("dropped_rows", 0)),
            "late_action": notes.get("late_action")}


def notices(notes: dict[str, Any]) -> list[str]:
    """One line per thing the pull noticed: late rows and what happened to them, files left alone."""
    lines = []
    cursor, mark = notes.get("cursor"), notes.get("watermark")
    action = notes.get("late_action")
    done = {"quarantine": "quarantined", "warn": "validated and published with this warning",
            "drop": "dropped, not published"}.get(str(action), "set apart")
    if notes.get("null_cursor_rows"):
        lines.append(f"{notes['null_cursor_rows']} rows with a NULL cursor ({cursor}): {done} "
                     f"(late_rows: {action})")
    if notes.get("late_rows"):
        lines.append(f"{notes['late_rows']} late rows (cursor {cursor} below the watermark "
                     f"{mark}, arrived after it moved): {done} (late_rows: {action})")
    if notes.get("unknown_rows"):
        held = "dropped (late_rows: drop)" if action == "drop" else "quarantined"
        lines.append(f"{notes['unknown_rows']} rows that the ledger of taken rows cannot tell "
                     f"apart from rows taken before ({notes.get('ledger', 'outdated')}): {held}")
    if notes.get("assumed_taken"):
        lines.append(f"late-row tracking started: {notes['assumed_taken']} rows already below the "
                     "watermark are counted as taken")
    if notes.get("ledger") == "rebuilt":
        lines.append("the ledger of taken rows was rebuilt (polars upgraded or columns changed)")
    for item in notes.get("files", []):
        lines.append(f"{_FILE_KINDS.get(item.get('kind'), 'file')} {item.get('path')}: "
                     f"{item.get('detail')}")
    return lines


_FILE_KINDS = {"waiting": "not settled yet:", "changed": "changed file", "symlink": "link left alone:",
               "outside": "link refused:", "loop": "link loop:", "same_file": "second name:",
               "same_content": "copy:"}


def _held_id(batch_id: str) -> str:
    return f"{batch_id}.late"
