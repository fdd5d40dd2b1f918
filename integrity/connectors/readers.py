"""Reading local files as lazy polars frames: Parquet, CSV and NDJSON, one file or a glob.

:func:`scan` checks what it cheaply can up front (the path exists, the glob matches, the format is
known, the schema can be read) and returns a LazyFrame. Scanning is lazy, so a broken quote or a bad
value deep in a file surfaces only when the frame is collected; wrap that collect in
:func:`read_errors`, which re-reads the offending file cheaply (with the ``csv`` and ``json``
modules) to name the file and line and to say what to do.

Text files are checked before polars reads them (:mod:`integrity.connectors.csv_input`): a file
that is not text, a CSV header line or column name past the size limits, and a CSV row whose number
of fields differs from the header's are input errors. With ``allow_ragged``, ragged rows are kept
instead, every field of each in :data:`RAGGED_COLUMN`, and :func:`ragged_check` is the row-level
expectation that fails (and so quarantines) exactly those rows. A CSV column with no value at all
is typed Null (polars would say text), so any expectation can run on it, as on the float column
of NaN that GX reads; a header-only CSV is a batch of Null columns and no rows.

:mod:`integrity.connectors.files` is the connector over these readers.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import glob
import io
import json
import os
import re
from pathlib import Path
from typing import TypeVar

import polars as pl

from integrity.connectors import csv_input
from integrity.connectors.csv_input import RAGGED_COLUMN as RAGGED_COLUMN  # re-exported
from integrity.errors import DataError
from integrity.errors import first_line as first_line  # re-exported for the connectors
from integrity.suites import Suite
from integrity.types import ExpectationConfig

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

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


def scan(path_or_glob: str | os.PathLike[str], *, allow_ragged: bool = False) -> pl.LazyFrame:
    """Lazily read Parquet, CSV or NDJSON files (a path or a glob; the format comes from the extension).

    ``allow_ragged``: keep CSV rows with the wrong number of fields (see the module docstring)
    instead of refusing the file.

    Raises:
        DataError: the path or glob names no file, the format is unknown, the schema cannot be
            read, or a text file is not text, too wide, or (unless allowed) ragged.
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
        lf = scan_files(source, fmt, tsv=Path(files[0]).suffix.lower() == ".tsv",
                        allow_ragged=allow_ragged)
        lf.collect_schema()
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise read_errors(exc, path_or_glob, allow_ragged=allow_ragged) from None
    return lf


def scan_files(source: str | list[str], fmt: str, *, tsv: bool = False,
               allow_ragged: bool = False) -> pl.LazyFrame:
    """A lazy scan of already-expanded files of one format ('tsv' is CSV with tabs).

    Text files are checked first (one streaming pass over each CSV; see the module docstring).
    """
    if fmt == "parquet":
        return pl.scan_parquet(source, glob=False)
    files = [Path(f) for f in ([source] if isinstance(source, str) else source)]
    if fmt == "ndjson":
        for file in files:
            csv_input.check_text(file, "JSON lines")
        return pl.scan_ndjson(source, infer_schema_length=INFER_SCHEMA_ROWS)
    return _scan_csv(files, "\t" if tsv or fmt == "tsv" else ",", allow_ragged)


def ragged_check() -> ExpectationConfig:
    """The row-level expectation a batch read with ``allow_ragged`` carries: every row has the
    header's number of fields. It fails on exactly the ragged rows; the job quarantines them."""
    return ExpectationConfig(
        "expect_column_values_to_be_null", {"column": RAGGED_COLUMN},
        meta={"action": "quarantine_rows",
              "notes": "built in (allow_ragged): CSV rows whose number of fields is not the "
                       f"header's; each keeps every field, as read, in {RAGGED_COLUMN}"})


def with_input_checks(suite: Suite, columns: list[str]) -> Suite:
    """``suite`` plus the built-in checks the batch's reader asks for (:func:`ragged_check` when
    the batch has :data:`RAGGED_COLUMN`), after the suite's own, so their indexes do not move."""
    if RAGGED_COLUMN not in columns:
        return suite
    return dataclasses.replace(suite, expectations=(*suite.expectations, ragged_check()))


def _scan_csv(files: list[Path], separator: str, allow_ragged: bool) -> pl.LazyFrame:
    for file in files:
        csv_input.check_text(file, "CSV")
        csv_input.header(file, separator)
    lf = _polars_csv([str(f) for f in files] if len(files) > 1 else str(files[0]), separator)
    schema = lf.collect_schema()
    texts = [i for i, dtype in enumerate(schema.dtypes()) if dtype == pl.String]
    valued: set[int] = set()
    ragged: dict[Path, int] = {}  # file -> fields in its header, for the files with ragged rows
    for file in files:
        maybe = _maybe_empty(file, separator, texts)
        found = csv_input.probe(file, separator, maybe)
        valued |= found.valued | (set(texts) - set(maybe))
        if found.ragged and not allow_ragged:
            raise DataError(_ragged_problem(file, found))
        if found.ragged:
            ragged[file] = found.width
    if ragged:  # read each file whole, the ragged rows apart; rare, and only when allowed
        frame = pl.concat([_read_ragged(f, separator, ragged[f]) if f in ragged
                           else _with_ragged(_polars_csv(str(f), separator).collect())
                           for f in files], how="vertical_relaxed")
        empty = [n for n, dtype in frame.schema.items()
                 if dtype == pl.String and n != RAGGED_COLUMN and frame[n].null_count() == frame.height]
        return frame.lazy().with_columns(pl.col(empty).cast(pl.Null))
    names = schema.names()
    empty = [names[i] for i in texts if i not in valued]
    if empty:
        lf = lf.with_columns(pl.col(empty).cast(pl.Null))
    return _with_ragged(lf) if allow_ragged else lf


def _polars_csv(source: str | list[str] | io.BytesIO, separator: str) -> pl.LazyFrame:
    return pl.scan_csv(source, separator=separator, infer_schema_length=INFER_SCHEMA_ROWS,
                       glob=False)


def _with_ragged(frame: FrameT) -> FrameT:
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(RAGGED_COLUMN))


def _maybe_empty(file: Path, separator: str, texts: list[int]) -> list[int]:
    """Of the text columns at ``texts``, those with no value in the file's first rows: the only
    ones that may be empty throughout (the probe then reads just these)."""
    if not texts:
        return []
    head = pl.read_csv(file, separator=separator, n_rows=INFER_SCHEMA_ROWS, infer_schema=False,
                       columns=texts, truncate_ragged_lines=True, glob=False)
    return [i for i, name in zip(texts, head.columns, strict=True)
            if head[name].null_count() == head.height]


def _read_ragged(file: Path, separator: str, width: int) -> pl.DataFrame:
    """``file`` read without its ragged rows, then those rows appended with every field kept."""
    kept, rows = csv_input.split_ragged(file, separator, width)
    frame = _polars_csv(io.BytesIO(kept), separator).collect()
    return pl.concat([_with_ragged(frame), csv_input.ragged_rows(rows, frame.schema)],
                     how="vertical")


def _ragged_problem(file: Path, found: csv_input.Probe) -> str:
    """The one-line error for a CSV with ragged rows, naming the first one's line."""
    located = _csv_problem(file, None)
    if located:
        return located
    expected, actual = found.first or (found.width, 0)
    return (f"{file}: {found.ragged} row{'s' * (found.ragged != 1)} with a number of fields other "
            f"than the header's {expected} (the first has {actual}). {_RAGGED_HINT}")


def read_errors(exc: BaseException, path: str | os.PathLike[str], *,
                allow_ragged: bool = False) -> DataError:
    """Translate an error raised while reading ``path`` (a file or glob) into one clear DataError.

    Re-reads the files cheaply to find the one at fault and, for text formats, the line
    (``allow_ragged``: rows with the wrong number of fields are not the fault).
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
            problem = _csv_problem(file, exc, allow_ragged=allow_ragged)
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


_RAGGED_HINT = ("Fix the separators or quoting, or allow ragged rows to quarantine them (validate "
                "--allow-ragged; allow_ragged: true in the dataset's connector params).")


def _csv_problem(file: Path, exc: BaseException | None, *, allow_ragged: bool = False) -> str | None:
    """'file:line: ...' for the first problem in a CSV (bad UTF-8, ragged or broken rows, the
    value ``exc`` could not parse), else None."""
    problem = _undecodable(file)
    if problem:
        return problem
    delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
    message = str(exc) if exc is not None else ""
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
                if len(row) != len(header) and row and not allow_ragged:
                    if end > start:
                        return (f"{file}:{start}: a quoted field opened on this line is not closed "
                                f"where expected (the record runs to line {end} with {len(row)} "
                                f"fields, the header has {len(header)}). Fix the quotes on line "
                                f"{start}, or allow ragged rows (validate --allow-ragged; "
                                "allow_ragged: true in the dataset's connector params).")
                    return (f"{file}:{start}: {len(row)} field{'s' * (len(row) != 1)}, but the "
                            f"header has {len(header)}. {_RAGGED_HINT}")
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
