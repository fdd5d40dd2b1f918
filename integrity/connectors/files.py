"""The files connector: new files dropped in a landing folder, or rows past a cursor column's watermark.

Which files are listed, when a file is ready and what identifies it live in
:mod:`integrity.connectors.landing`; reading and error reporting in :mod:`integrity.connectors.readers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from integrity.connectors.base import Batch, ConnectorBase, Watermark, make_batch
from integrity.connectors.landing import Found, list_files, mark, same_state, shown, waiting
from integrity.connectors.readers import FORMATS, file_format, first_line, read_errors, scan_files
from integrity.errors import ConfigError, DataError, did_you_mean

SETTLE_SECONDS = 5.0
"""Default ``settle_seconds``: how long a file must be unchanged before it is read."""

CHANGED_FILES = ("report", "repull")


class FilesConnector(ConnectorBase):
    """Local Parquet, CSV or NDJSON files (a path or a glob), pulled eagerly into one DataFrame.

    With a cursor column, every ready file is read and :func:`make_batch` keeps the rows past the
    watermark (files that are appended to or rewritten work; rows that land below the watermark
    are late rows, see :mod:`integrity.connectors.late`). Without one, only files not taken
    before are read: a drop folder where each new file is a new batch.

    A file is read only once it is *settled*: unchanged for ``settle_seconds``, or, with
    ``done_marker``, once ``<file><done_marker>`` exists; a file that changes while it is read is
    left for the next run. A file is known by its resolved path and content hash: a second name
    for a file (a link, a hard link) or a copy of one already taken (same content, another name)
    is not read again, and is reported. Without a cursor column, a file that changes after it was
    taken is reported once (``changed_files: report``), or read again with only the rows not
    taken before kept (``changed_files: repull``). Symbolic links are not followed unless
    ``follow_symlinks`` is true, and never out of the landing folder (the folder the path or glob
    starts at). Everything left alone is recorded in the batch's notes and the run summary.

    Args:
        dataset: Dataset name, for messages.
        cursor: Cursor column, or None to take new files only.
        path: A file or a glob (``data/*.parquet``, ``drops/**/*.csv``).
        format: ``parquet``, ``csv``, ``tsv`` or ``ndjson``; by default from each file's extension.
        settle_seconds: Seconds a file's size and mtime must stay unchanged before it is read.
        done_marker: A suffix such as ``.done``: read ``x.csv`` only once ``x.csv.done`` exists
            (then ``settle_seconds`` does not apply). Marker files are never read as data.
        follow_symlinks: Read links whose targets are inside the landing folder.
        changed_files: ``report`` or ``repull`` (files without a cursor column; see above).
        allow_ragged: keep CSV rows with the wrong number of fields (every field in
            ``_integrity_ragged``) for a built-in row-level check to quarantine, instead of
            refusing the file.
    """

    def __init__(self, *, dataset: str, cursor: str | None = None, path: str,
                 format: str | None = None, settle_seconds: float = SETTLE_SECONDS,
                 done_marker: str | None = None, follow_symlinks: bool = False,
                 changed_files: str = "report", allow_ragged: bool = False) -> None:
        if format is not None and format.lower() not in _FORMAT_NAMES:
            names = sorted(_FORMAT_NAMES)
            raise ConfigError(f"dataset {dataset!r}: unknown file format {format!r}."
                              f"{did_you_mean(format.lower(), names)} Use one of: {', '.join(names)}.")
        if changed_files not in CHANGED_FILES:
            raise ConfigError(f"dataset {dataset!r}: changed_files is {changed_files!r}."
                              f"{did_you_mean(str(changed_files), CHANGED_FILES)} Use one of: "
                              f"{', '.join(CHANGED_FILES)}.")
        if not isinstance(settle_seconds, int | float) or settle_seconds < 0:
            raise ConfigError(f"dataset {dataset!r}: settle_seconds must be a number of seconds "
                              f">= 0, not {settle_seconds!r}.")
        if done_marker is not None and (not done_marker or "/" in done_marker):
            raise ConfigError(f"dataset {dataset!r}: done_marker must be a file-name suffix such "
                              f"as '.done', not {done_marker!r}.")
        if not isinstance(allow_ragged, bool):
            raise ConfigError(f"dataset {dataset!r}: allow_ragged must be true or false, not "
                              f"{allow_ragged!r}.")
        self.dataset, self.cursor, self.path = dataset, cursor, path
        self.allow_ragged = allow_ragged
        self.format = _FORMAT_NAMES[format.lower()] if format else None
        self.settle_seconds, self.done_marker = float(settle_seconds), done_marker
        self.follow_symlinks, self.changed_files = bool(follow_symlinks), changed_files

    def pull(self, since: Watermark, until: Any = None) -> Batch:
        listing = list_files(self.path, follow_symlinks=self.follow_symlinks,
                             done_marker=self.done_marker)
        notes = listing.notes
        if not listing.files:
            first = notes[0]
            raise DataError(f"{first['path']}: {first['detail']}; no other file matches "
                            f"{shown(self.path)}.")
        ready: list[Found] = []
        for found in listing.files:
            why = waiting(found, settle_seconds=self.settle_seconds, done_marker=self.done_marker)
            if why:
                notes.append({"kind": "waiting", "path": shown(found.path), "detail": why})
            else:
                ready.append(found)
        if self.cursor is None:
            return self._new_files(since, until, listing.files, ready, notes)
        marks = {str(f.path): mark(f) for f in ready}
        todo = _distinct(ready, marks, {}, notes)
        frames, read = self._read_all(todo, notes)
        frame = _concat(frames, read) if frames else self._empty(listing.files, ready)
        return make_batch(self.dataset, self._source(read, listing.files), frame, cursor=self.cursor,
                          since=since, until=until, notes=_notes(notes))

    def _new_files(self, since: Watermark, until: Any, listed: list[Found], ready: list[Found],
                   notes: list[dict[str, Any]]) -> Batch:
        """Without a cursor: the files not taken before, and (repull) the rows a changed one gained."""
        taken = set(since.files)
        marks = dict(since.marks)
        fresh: list[Found] = []
        changed: list[Found] = []
        for found in ready:
            key = str(found.path)
            if key not in taken:
                marks[key] = mark(found)
                fresh.append(found)
                continue
            before = since.marks.get(key)
            now = mark(found, before)
            if before is None:
                marks[key] = now  # taken by an older integrity: known from now on
            elif now["sha256"] != before.get("sha256"):
                marks[key] = now
                verb = "read again; only rows not taken before are kept" \
                    if self.changed_files == "repull" else "not read again (changed_files: report)"
                notes.append({"kind": "changed", "path": shown(found.path),
                              "detail": f"changed after it was taken ({before.get('size')} -> "
                                        f"{now['size']} bytes); {verb}"})
                if self.changed_files == "repull":
                    changed.append(found)
        earlier = {m.get("sha256"): path for path, m in since.marks.items()}
        new = _distinct(fresh, marks, earlier, notes)
        frames, read = self._read_all(new, notes)
        again, reread = self._read_all(changed, notes)
        for found in new:
            if found not in read:  # changed while read: not taken yet
                marks.pop(str(found.path), None)
        for found in changed:
            if found not in reread:
                marks[str(found.path)] = since.marks[str(found.path)]
        copies = [f for f in fresh if f not in new]  # same content as a file taken: taken too
        files = tuple(str(f.path) for f in [*read, *copies])
        frame = _concat(frames, read) if frames else self._empty(listed, ready)
        repulled = _concat(again, reread) if again else None
        return make_batch(self.dataset, self._source(read, listed), frame, cursor=None, since=since,
                          until=until, files=files, repulled=repulled,
                          marks={k: v for k, v in marks.items() if k in taken or k in files},
                          notes=_notes(notes))

    def _read_all(self, files: list[Found], notes: list[dict[str, Any]],
                  ) -> tuple[list[pl.DataFrame], list[Found]]:
        frames, read = [], []
        for found in files:
            frame = self._read(found.path)
            if not same_state(found):
                notes.append({"kind": "waiting", "path": shown(found.path),
                              "detail": "changed while it was read; read again once settled"})
                continue
            frames.append(frame)
            read.append(found)
        return frames, read

    def _read(self, file: Path) -> pl.DataFrame:
        fmt = self.format or file_format(file)
        try:
            return scan_files([str(file)], fmt, tsv=file.suffix.lower() == ".tsv",
                              allow_ragged=self.allow_ragged).collect()
        except DataError:
            raise
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            if self.format is not None and file.suffix.lower() not in FORMATS:
                raise DataError(f"{shown(file)}: cannot read it as {self.format} "
                                f"({first_line(exc)}).") from None
            raise read_errors(exc, file, allow_ragged=self.allow_ragged) from None

    def _empty(self, listed: list[Found], ready: list[Found]) -> pl.DataFrame:
        """Nothing to read: no rows, with the columns of the newest ready file (its schema only),
        so an empty batch still has a schema to check."""
        for found in reversed(ready or []):
            fmt = self.format or file_format(found.path)
            try:
                return pl.DataFrame(schema=scan_files([str(found.path)], fmt,
                                                      tsv=found.path.suffix.lower() == ".tsv")
                                    .collect_schema())
            except (pl.exceptions.PolarsError, OSError, ValueError):
                continue
        return pl.DataFrame(schema={self.cursor: pl.Null} if self.cursor else {})

    def _source(self, read: list[Found], listed: list[Found]) -> str:
        return f"files {shown(self.path)} ({len(read)} of {len(listed)} file{'s' * (len(listed) != 1)})"


_FORMAT_NAMES = {"parquet": "parquet", "csv": "csv", "tsv": "tsv", "ndjson": "ndjson",
                 "jsonl": "ndjson", "json": "ndjson"}


def _distinct(files: list[Found], marks: dict[str, dict[str, Any]], earlier: dict[Any, str],
              notes: list[dict[str, Any]]) -> list[Found]:
    """The files whose content is not the same as an earlier file's or another one's here."""
    seen = dict(earlier)
    out = []
    for found in files:
        digest = marks[str(found.path)]["sha256"]
        first = seen.get(digest)
        if first is not None:
            notes.append({"kind": "same_content", "path": shown(found.path),
                          "detail": f"the same content as {shown(first)}; its rows are read once"})
            continue
        seen[digest] = str(found.path)
        out.append(found)
    return out


def _notes(notes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"files": notes} if notes else {}


def _concat(frames: list[pl.DataFrame], files: list[Found]) -> pl.DataFrame:
    """One frame from several files; files whose columns differ fail with the difference named
    (a renamed or missing column must not turn into a column of nulls)."""
    first = frames[0].columns
    for frame, found in zip(frames[1:], files[1:], strict=True):
        if set(frame.columns) != set(first):
            missing = [c for c in first if c not in frame.columns]
            extra = [c for c in frame.columns if c not in first]
            raise DataError(f"{shown(found.path)}: its columns differ from {shown(files[0].path)}: "
                            f"missing {', '.join(missing) or '(none)'}; unexpected "
                            f"{', '.join(extra) or '(none)'}. Files read in one batch must share "
                            "their columns; fix or move the file.")
    try:
        return pl.concat([f.select(first) for f in frames], how="vertical_relaxed")
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{shown(files[0].path.parent)}: the files have incompatible column types "
                        f"({first_line(exc)}). Make each column hold one type in every file.") from None
