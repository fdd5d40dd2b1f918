"""Reading local files as lazy polars frames: Parquet, CSV and NDJSON, one file or a glob.

:func:`scan` checks what it cheaply can up front (the path exists, the glob matches, the format is
known, the schema can be read) and returns a LazyFrame. Scanning is lazy, so a broken quote or a bad
value deep in a file surfaces only when the frame is collected; wrap that collect in
:func:`read_errors`, which re-reads the offending file cheaply (with the ``csv`` and ``json``
modules) to name the file and line and to say what to do.

:mod:`integrity.connectors.files` is the connector over these readers.
"""

from __future__ import annotations

import codecs
import csv
import glob
import json
import os
import re
from pathlib import Path

import polars as pl

from integrity.errors import DataError

FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
    ".json": "ndjson",
}
"""File extension -> format. ``.json`` files are read as JSON lines (one object per line)."""

INFER_SCHEMA_ROWS = 10_000
"""CSV column types are inferred from this many leading rows."""

_GLOB_CHARS = re.compile(r"[*?\[]")
_CHUNK = 1 << 20


def is_glob(path: str | os.PathLike[str]) -> bool:
    return bool(_GLOB_CHARS.search(str(path)))


def expand(path_or_glob: str | os.PathLike[str]) -> list[Path]:
    """The files a path or glob names, sorted; a :class:`DataError` when there are none."""
    text = str(path_or_glob)
    if is_glob(text) and not Path(text).exists():
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(f"{text}: no file matches this pattern (working directory {Path.cwd()}). "
                            "Check the pattern, or quote it so the shell does not expand it.")
        return files
    path = Path(text)
    if path.is_dir():
        raise DataError(f"{path}: is a directory. Pass a file, or a glob such as "
                        f"'{path / '*.parquet'}'.")
    if not path.exists():
        raise DataError(f"{path}: file not found (working directory {Path.cwd()}). Check the path.")
    return [path]


def file_format(path: str | os.PathLike[str]) -> str:
    """'parquet', 'csv' or 'ndjson' from the extension; a :class:`DataError` for anything else."""
    suffix = Path(str(path)).suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}. "
                        f"Use one of: {known}.")
    return fmt


def scan(path_or_glob: str | os.PathLike[str]) -> pl.LazyFrame:
    """Lazily read Parquet, CSV or NDJSON files (a path or a glob; the format comes from the extension).

    Raises:
        DataError: the path or glob names no file, the format is unknown, or the schema cannot be read.
    """
    files = expand(path_or_glob)
    formats = {file_format(f) for f in files}
    if len(formats) > 1:
        raise DataError(f"{path_or_glob}: matches files of several formats ({', '.join(sorted(formats))}); "
                        "narrow the pattern to one format.")
    fmt = formats.pop()
    # Hand polars the expanded list: it would read glob characters in a literal file name as a glob.
    source = [str(f) for f in files] if len(files) > 1 else str(files[0])
    try:
        lf = scan_files(source, fmt, tsv=Path(files[0]).suffix.lower() == ".tsv")
        lf.collect_schema()
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise read_errors(exc, path_or_glob) from None
    return lf


def scan_files(source: str | list[str], fmt: str, *, tsv: bool = False) -> pl.LazyFrame:
    """A lazy scan of already-expanded files of one format ('tsv' is CSV with tabs)."""
    if fmt == "parquet":
        return pl.scan_parquet(source, glob=False)
    if fmt in ("csv", "tsv"):
        return pl.scan_csv(source, separator="\t" if tsv or fmt == "tsv" else ",",
                           infer_schema_length=INFER_SCHEMA_ROWS, glob=False)
    return pl.scan_ndjson(source, infer_schema_length=INFER_SCHEMA_ROWS)


def read_errors(exc: BaseException, path: str | os.PathLike[str]) -> DataError:
    """Translate an error raised while reading ``path`` (a file or glob) into one clear DataError.

    Re-reads the files cheaply to find the one at fault and, for text formats, the line.
    """
    if isinstance(exc, DataError):
        return exc
    try:
        files = expand(path)
    except DataError as missing:
        return missing
    summary = first_line(exc)
    for file in files:
        try:
            fmt = file_format(file)
        except DataError as unknown:
            return unknown
        if fmt == "parquet":
            problem = _parquet_problem(file)
        elif fmt == "csv":
            problem = _csv_problem(file, exc)
        else:
            problem = _ndjson_problem(file)
        if problem:
            return DataError(problem)
    if isinstance(exc, FileNotFoundError):
        return DataError(f"{path}: file not found. Check the path.")
    if isinstance(exc, PermissionError):
        return DataError(f"{path}: permission denied. Check the file's permissions.")
    return DataError(f"{path}: cannot read the data ({summary}). Check that every file is a "
                     "complete file of the format its extension says.")


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (polars appends long hints)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _parquet_problem(file: Path) -> str | None:
    try:
        pl.read_parquet_schema(file)
    except Exception as exc:
        return (f"{file}: not a readable Parquet file ({first_line(exc)}); it is truncated, corrupt "
                "or not Parquet. Copy or export it again.")
    try:
        pl.scan_parquet(file).select(pl.all().null_count()).collect()
    except Exception as exc:
        return (f"{file}: the Parquet metadata is readable but the data is not ({first_line(exc)}); "
                "the file is corrupt. Copy or export it again.")
    return None


def _undecodable(file: Path) -> str | None:
    """'file:line: ...' for the first byte sequence that is not UTF-8, else None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with file.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.start is relative to the decoder's buffered bytes plus this chunk; close enough
                # to count the lines before it in this chunk.
                at = max(0, min(exc.start, len(chunk)))
                line += chunk[:at].count(b"\n")
                byte = offset + at
                bad = chunk[at:at + 1].hex()
                return (f"{file}:{line}: not UTF-8 text (byte 0x{bad} at offset {byte}). "
                        "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).")
            line += chunk.count(b"\n")
            offset += len(chunk)
    return None


def _csv_problem(file: Path, exc: BaseException) -> str | None:
    problem = _undecodable(file)
    if problem:
        return problem
    delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
    message = str(exc)
    match = re.search(r"could not parse `(.*?)` as dtype `(\w+)` at column '(.*?)'", message, re.S)
    with file.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                return f"{file}: the file is empty; a CSV needs a header line."
            start = reader.line_num + 1
            column = header.index(match.group(3)) if match and match.group(3) in header else None
            for row in reader:
                end = reader.line_num
                if len(row) != len(header) and row:
                    if end > start:
                        return (f"{file}:{start}: a quoted field opened on this line is not closed "
                                f"where expected (the record runs to line {end} with {len(row)} "
                                f"fields, the header has {len(header)}). Fix the quotes on line {start}.")
                    return (f"{file}:{start}: {len(row)} fields, but the header has {len(header)}. "
                            "Fix the separators or quoting on that line.")
                if match and column is not None and column < len(row) and \
                        not _parses(row[column], match.group(2)):
                    return (f"{file}:{start}: column '{header[column]}' holds {row[column]!r}, but its "
                            f"first rows made it {match.group(2)}. Fix the value, or quote/clean the "
                            "column so that every value has one type.")
                start = end + 1
        except csv.Error as err:
            return (f"{file}:{start}: broken quoting ({err}). A field that starts with a quote must "
                    'end with one; write a quote inside a field as "".')
    if match:
        return (f"{file}: column '{match.group(3)}' holds {match.group(1)!r}, which is not "
                f"{match.group(2)} like the rest of the column. Fix that value.")
    return None


def _parses(value: str, dtype: str) -> bool:
    """Whether a CSV cell can be the polars dtype named in an error (ints, floats, booleans)."""
    if value == "":
        return True
    try:
        if dtype.startswith(("i", "u")):
            int(value)
        elif dtype.startswith("f"):
            float(value)
        elif dtype == "bool":
            return value.lower() in ("true", "false")
    except ValueError:
        return False
    return True


def _ndjson_problem(file: Path) -> str | None:
    problem = _undecodable(file)
    if problem:
        return problem
    with file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return (f"{file}:{number}: not valid JSON ({exc.msg} at column {exc.colno}). "
                        "Each line must hold one complete JSON object.")
            if not isinstance(value, dict):
                return (f"{file}:{number}: a JSON {type(value).__name__}, not an object. "
                        "Each line must hold one JSON object.")
    return None
