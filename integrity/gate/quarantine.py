"""The quarantine store on disk: held rows and batches, kept privately until a steward decides.

One entry per held batch part, ``<root>/<batch_id>-<kind>/`` with ``rows.parquet`` (the rows plus
their ``_integrity_reasons``) and ``manifest.json`` (dataset, batch info, kind, row count, reasons
summary, created_at, status). The folder is assembled under ``<root>/.staging/`` and renamed into
place, so an entry is either absent or complete. Quarantined rows are customer data that failed
checks (often the sensitive kind: leaked PII, injected prompts), so folders are 0700 and files 0600
whatever the umask.

Nothing is ever deleted silently: rejecting an entry marks it in the manifest and keeps the rows;
releasing one records where it was published. Releasing publishes through the dataset's normal sink
under :meth:`QuarantineFiles.release_info`'s batch id, so the sink's exactly-once ledger makes a
repeated release a no-op.

The manifest's status is a copy for people reading the folder; the results store decides (the
job's steward actions are the state machine). :meth:`QuarantineFiles.record_decision` writes the
store's decision over whatever the manifest says, and keeps the overwritten status in the history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from integrity.gate._files import fsync_dir, make_dirs, replace_durably, safe_name, write_file
from integrity.gate.split import REASONS_COLUMN
from integrity.jsonable import dumps
from integrity.types import BatchInfo

KINDS = ("rows", "batch")
DIR_MODE = 0o700
FILE_MODE = 0o600
ROWS_FILE = "rows.parquet"
MANIFEST_FILE = "manifest.json"


class QuarantineFiles:
    """Quarantined rows and batches under ``root`` (one dataset's quarantine folder)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def write(self, frame_with_reasons: pl.DataFrame, info: BatchInfo, *, kind: str,
              reasons: list[dict[str, Any]]) -> tuple[str, Path]:
        """Store held rows as entry ``<batch_id>-<kind>``; return ``(entry_id, folder)``.

        ``kind`` is ``rows`` (some rows of a batch were held) or ``batch`` (the whole batch was).
        Idempotent: an entry that already exists is returned as it is, so a re-run after a crash
        neither doubles nor overwrites what a steward may already be looking at.
        """
        if kind not in KINDS:
            raise ValueError(f"quarantine kind {kind!r} is not one of {', '.join(KINDS)}")
        entry_id = safe_name(f"{safe_name(info.batch_id, 'batch id')}-{kind}", "entry id")
        final = self.root / entry_id
        if (final / MANIFEST_FILE).exists():
            return entry_id, final
        self._ensure_root()
        staging = self.root / ".staging" / f"{entry_id}.{uuid.uuid4().hex}"
        make_dirs(staging, DIR_MODE)
        try:
            write_file(staging / ROWS_FILE, lambda h: frame_with_reasons.write_parquet(h),
                       FILE_MODE)
            manifest = {
                "entry_id": entry_id,
                "dataset": info.dataset,
                "kind": kind,
                "rows": frame_with_reasons.height,
                "columns": frame_with_reasons.columns,
                "has_reasons": REASONS_COLUMN in frame_with_reasons.columns,
                "batch": info.to_dict(),
                "reasons": reasons,
                "created_at": _now(),
                "status": "quarantined",
                "history": [],
            }
            write_file(staging / MANIFEST_FILE, _json_writer(manifest), FILE_MODE)
            fsync_dir(staging)
            try:
                os.rename(staging, final)  # atomic for folders; fails if the entry exists
            except OSError:
                if (final / MANIFEST_FILE).exists():  # a concurrent writer won: keep theirs
                    return entry_id, final
                raise
            fsync_dir(self.root)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        self._clear_staging(entry_id)
        return entry_id, final

    def read(self, entry_id: str, *, with_reasons: bool = True) -> pl.DataFrame:
        """The held rows; ``with_reasons=False`` drops ``_integrity_reasons`` (for releasing)."""
        frame = pl.read_parquet(self._entry(entry_id) / ROWS_FILE)
        if not with_reasons and REASONS_COLUMN in frame.columns:
            frame = frame.drop(REASONS_COLUMN)
        return frame

    def manifest(self, entry_id: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self._entry(entry_id) / MANIFEST_FILE)
                                          .read_text(encoding="utf-8"))
        return data

    def entries(self) -> Iterator[str]:
        """Entry ids, oldest name first (hidden staging folders excluded)."""
        if not self.root.exists():
            return iter(())
        return iter(sorted(p.name for p in self.root.iterdir()
                           if not p.name.startswith(".") and (p / MANIFEST_FILE).exists()))

    def release_info(self, entry_id: str) -> BatchInfo:
        """The BatchInfo to publish a released entry under: its batch id is the entry id.

        The original batch id is taken by the rows that already published; the entry id is just as
        deterministic, so publishing it twice through the same sink writes it once.
        """
        manifest = self.manifest(entry_id)
        batch = manifest["batch"]
        fields = {f.name for f in dataclasses.fields(BatchInfo)}
        info = BatchInfo(**{k: v for k, v in batch.items() if k in fields})
        return dataclasses.replace(info, batch_id=entry_id, row_count=int(manifest["rows"]))

    def mark_released(self, entry_id: str, location: str, *, by: str | None = None) -> dict[str, Any]:
        """Record that the entry was published to ``location``; the rows stay for the audit trail."""
        return self._set_status(entry_id, "released", {"location": location, "by": by})

    def remove(self, entry_id: str, *, by: str | None = None, note: str | None = None) -> dict[str, Any]:
        """Reject an entry: mark it ``rejected`` in the manifest. Never deletes the rows.

        Deleting customer data is a retention decision, not a side effect of a review click;
        purging old entries belongs to a retention job that records what it removed.
        """
        return self._set_status(entry_id, "rejected", {"by": by, "note": note})

    reject = remove

    def record_decision(self, entry_id: str, status: str, details: Mapping[str, Any]) -> dict[str, Any]:
        """Make the manifest say ``status`` (``released`` or ``rejected``), as the store decided.

        Unlike :meth:`mark_released` and :meth:`remove` it overrides an earlier status (a release
        interrupted after this write, then rejected); the history keeps what was overridden.
        """
        if status not in ("released", "rejected"):
            raise ValueError(f"quarantine status {status!r} is not a decision (released, rejected)")
        return self._set_status(entry_id, status, details, override=True)

    def _set_status(self, entry_id: str, status: str, details: Mapping[str, Any], *,
                    override: bool = False) -> dict[str, Any]:
        manifest = self.manifest(entry_id)
        previous = manifest.get("status")
        if previous == status:
            return manifest  # repeated release/reject: nothing new to record
        if previous != "quarantined" and not override:
            raise ValueError(f"quarantine entry {entry_id!r} is already {previous}; "
                             f"it cannot become {status}")
        step = {"status": status, "at": _now(), **details}
        if previous != "quarantined":
            step["overrides"] = previous
        manifest["status"] = status
        manifest["history"] = [*manifest.get("history", []), step]
        folder = self._entry(entry_id)
        staged = folder / f".{MANIFEST_FILE}.tmp"
        write_file(staged, _json_writer(manifest), FILE_MODE)
        replace_durably(staged, folder / MANIFEST_FILE)
        return manifest

    def _entry(self, entry_id: str) -> Path:
        folder = self.root / safe_name(entry_id, "quarantine entry id")
        if not (folder / MANIFEST_FILE).exists():
            known = ", ".join(self.entries()) or "none"
            raise KeyError(f"no quarantine entry {entry_id!r} under {self.root} (entries: {known})")
        return folder

    def _clear_staging(self, entry_id: str) -> None:
        """Remove half-built folders that crashed attempts at this entry left behind."""
        ours = re.compile(re.escape(entry_id) + r"\.[0-9a-f]{32}")
        for stale in self.root.glob(f".staging/{entry_id}.*"):
            if ours.fullmatch(stale.name):
                shutil.rmtree(stale, ignore_errors=True)

    def _ensure_root(self) -> None:
        make_dirs(self.root, DIR_MODE)
        os.chmod(self.root, DIR_MODE)  # an existing folder too: quarantine is private
        make_dirs(self.root / ".staging", DIR_MODE)

    def __repr__(self) -> str:
        return f"QuarantineFiles({str(self.root)!r})"


def _json_writer(data: Any) -> Any:
    text = json.dumps(json.loads(dumps(data)), ensure_ascii=False, indent=2, sort_keys=True)

    def write(handle: BinaryIO) -> None:
        handle.write(text.encode("utf-8"))

    return write


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
