"""The files connector: new files dropped in a landing folder, or rows past a cursor column's watermark.

Reading and error reporting live in :mod:`integrity.connectors.readers`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from integrity.connectors.base import Batch, ConnectorBase, Watermark, make_batch
from integrity.connectors.readers import (
    FORMATS,
    expand,
    file_format,
    first_line,
    read_errors,
    scan_files,
)
from integrity.errors import ConfigError, DataError, did_you_mean


class FilesConnector(ConnectorBase):
    """Local Parquet, CSV or NDJSON files (a path or a glob), pulled eagerly into one DataFrame.

    With a cursor column, every matching file is read and :func:`make_batch` keeps the rows past the
    watermark (files that are appended to or rewritten work). Without one, only the files not named
    in ``since.files`` are read: a drop folder where each new file is a new batch. A file is known by
    its absolute path, so a file rewritten in place under the same name is not read again; use a
    cursor column for sources that change files in place.

    Args:
        dataset: Dataset name, for messages.
        cursor: Cursor column, or None to take new files only.
        path: A file or a glob (``data/*.parquet``, ``drops/**/*.csv``).
        format: ``parquet``, ``csv``, ``tsv`` or ``ndjson``; by default from each file's extension.
        allow_ragged: keep CSV rows with the wrong number of fields (every field in
            ``_integrity_ragged``) for a built-in row-level check to quarantine, instead of
            refusing the file.
    """

    def __init__(self, *, dataset: str, cursor: str | None = None, path: str,
                 format: str | None = None, allow_ragged: bool = False) -> None:
        if format is not None and format.lower() not in _FORMAT_NAMES:
            names = sorted(_FORMAT_NAMES)
            raise ConfigError(f"dataset {dataset!r}: unknown file format {format!r}."
                              f"{did_you_mean(format.lower(), names)} Use one of: {', '.join(names)}.")
        if not isinstance(allow_ragged, bool):
            raise ConfigError(f"dataset {dataset!r}: allow_ragged must be true or false, not "
                              f"{allow_ragged!r}.")
        self.dataset, self.cursor, self.path = dataset, cursor, path
        self.allow_ragged = allow_ragged
        self.format = _FORMAT_NAMES[format.lower()] if format else None

    def pull(self, since: Watermark, until: Any = None) -> Batch:
        files = [f.resolve() for f in expand(self.path)]
        if self.cursor is None:
            taken = set(since.files)
            todo = [f for f in files if str(f) not in taken]
        else:
            todo = files
        frames = [self._read(f) for f in todo]
        if frames:
            frame = _concat(frames, todo)
        else:
            # Nothing new: an empty frame with the columns of the newest file, so an empty batch
            # still has a schema to check.
            frame = self._read(files[-1]).clear()
        source = f"files {self.path} ({len(todo)} of {len(files)} file{'s' * (len(files) != 1)})"
        return make_batch(self.dataset, source, frame, cursor=self.cursor, since=since, until=until,
                          files=tuple(str(f) for f in todo))

    def _read(self, file: Path) -> pl.DataFrame:
        fmt = self.format or file_format(file)
        try:
            return scan_files([str(file)], fmt, tsv=file.suffix.lower() == ".tsv",
                              allow_ragged=self.allow_ragged).collect()
        except DataError:
            raise
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            if self.format is not None and file.suffix.lower() not in FORMATS:
                raise DataError(f"{file}: cannot read it as {self.format} ({first_line(exc)}).") from None
            raise read_errors(exc, file, allow_ragged=self.allow_ragged) from None


_FORMAT_NAMES = {"parquet": "parquet", "csv": "csv", "tsv": "tsv", "ndjson": "ndjson",
                 "jsonl": "ndjson", "json": "ndjson"}


def _concat(frames: list[pl.DataFrame], files: list[Path]) -> pl.DataFrame:
    """One frame from several files; files whose columns differ fail with the difference named
    (a renamed or missing column must not turn into a column of nulls)."""
    first = frames[0].columns
    for frame, file in zip(frames[1:], files[1:], strict=True):
        if set(frame.columns) != set(first):
            missing = [c for c in first if c not in frame.columns]
            extra = [c for c in frame.columns if c not in first]
            raise DataError(f"{file}: its columns differ from {files[0]}: missing "
                            f"{', '.join(missing) or '(none)'}; unexpected {', '.join(extra) or '(none)'}. "
                            "Files read in one batch must share their columns; fix or move the file.")
    try:
        return pl.concat([f.select(first) for f in frames], how="vertical_relaxed")
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{files[0].parent}: the files have incompatible column types "
                        f"({first_line(exc)}). Make each column hold one type in every file.") from None
