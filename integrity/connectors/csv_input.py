"""What a text file must be before polars parses it, and what its rows look like.

Cheap checks first, on the file's first bytes: a "CSV" that is not text at all (random bytes, a
Parquet or ZIP file under the wrong name, UTF-16) is named as such instead of having its bytes
printed back as column names; a CSV header line over :data:`MAX_HEADER_BYTES` or a column name over
:data:`MAX_NAME_CHARS` characters is refused before polars spends minutes on it, and the message
never quotes it.

Then one streaming pass of pyarrow's CSV parser (:func:`probe`) finds the rows whose number of
fields differs from the header's (polars fills short rows with nulls and, when only some columns
are read, drops the fields of long ones without a word) and the columns with no value at all, which
polars would type as text. Ragged rows are an input error, unless the caller allows them: then
:func:`split_ragged` keeps every field of each ragged row in :data:`RAGGED_COLUMN` (JSON: its line
and fields), so a row-level check can quarantine the row whole instead of anything being cut.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from integrity.errors import DataError

RAGGED_COLUMN = "_integrity_ragged"
"""Added when ragged rows are allowed: null for a well-formed row; for a ragged one, JSON with its
line number and every field (``{"line": 7, "fields": ["1", "a", "b", "extra"]}``)."""

MAX_HEADER_BYTES = 1 << 20
"""The longest CSV header line read (1 MiB)."""

MAX_NAME_CHARS = 1_000
"""The longest column name accepted."""

_SAMPLE = 1 << 16
_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")
_CONTROL = frozenset(range(0x09)) | frozenset(range(0x0E, 0x20)) | {0x7F}
_MAGIC = ((b"PAR1", "it looks like a Parquet file: give it the .parquet extension"),
          (b"PK\x03\x04", "it looks like a ZIP archive, as an .xlsx workbook is: export the data "
                          "as CSV"),
          (b"\x1f\x8b", "it looks gzip-compressed: decompress it first"),
          (b"BZh", "it looks bzip2-compressed: decompress it first"),
          (b"\x28\xb5\x2f\xfd", "it looks zstd-compressed: decompress it first"))


def check_text(file: Path, kind: str) -> None:
    """Raise a :class:`DataError` when ``file`` (read as ``kind``, 'CSV' or 'JSON lines') is not
    UTF-8 text, judged from its first 64 KiB. Text in another encoding (Latin-1) is left to the
    readers' own error, which names the line."""
    with file.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{file}: UTF-16 text, not UTF-8. Re-save it as UTF-8 (e.g. "
                        "`iconv -f utf-16 -t utf-8`).")
    for magic, hint in _MAGIC:
        if sample.startswith(magic):
            raise DataError(f"{file}: not a text file ({hint}); a {kind} file must be UTF-8 text.")
    controls = sum(1 for byte in sample if byte in _CONTROL)
    if b"\x00" in sample or (controls > len(sample) // 20 and not _utf8(sample)):
        raise DataError(f"{file}: not a text file (binary content from the start); a {kind} file "
                        "must be UTF-8 text. Check that this is the file you meant.")


def _utf8(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample)  # a cut last character is fine
    except UnicodeDecodeError:
        return False
    return True


def header(file: Path, separator: str) -> list[str]:
    """The CSV header's column names, read with bounded work.

    Raises:
        DataError: the file is empty, or the header line or a column name is too long.
    """
    with file.open("rb") as fh:
        head = fh.read(MAX_HEADER_BYTES + 1)
    if not head:
        raise DataError(f"{file}: the file is empty; a CSV needs a header line.")
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        raise DataError(f"{file}:1: the header line is longer than {MAX_HEADER_BYTES // 1024} KiB; "
                        "the first line must name the columns. Check the separator and the line "
                        "endings, or that this is the file you meant.")
    line = head[: end if end >= 0 else len(head)].decode("utf-8", errors="replace").lstrip("\ufeff")
    names = next(csv.reader([line.rstrip("\r")], delimiter=separator), [])
    for position, name in enumerate(names, start=1):
        if len(name) > MAX_NAME_CHARS:
            raise DataError(f"{file}:1: column {position} has a name of {len(name):,} characters; "
                            f"the limit is {MAX_NAME_CHARS:,}. Check the separator and the quoting "
                            "of the header line.")
    return names


@dataclass
class Probe:
    """What one pass of a CSV parser found in a file."""

    width: int = 0
    """Fields in the header (known when there is a ragged row)."""
    ragged: int = 0
    """Rows whose number of fields is not the header's."""
    first: tuple[int, int] | None = None
    """(expected, actual) fields of the first ragged row."""
    valued: set[int] = field(default_factory=set)
    """Positions of the probed columns that hold a value in some well-formed row."""


def probe(file: Path, separator: str, columns: Sequence[int]) -> Probe:
    """Stream ``file`` through pyarrow's CSV parser: count the ragged rows, and find which of the
    columns at ``columns`` (0-based) hold any value. Memory stays at one block; only the first
    column and the probed ones are converted (as text).

    Raises:
        pyarrow.ArrowInvalid (a ValueError): the file cannot be parsed (broken quoting, bad UTF-8);
            :func:`~integrity.connectors.readers.read_errors` explains it.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    found = Probe()
    names = [f"f{i}" for i in sorted({0, *columns})]
    # No Python invalid-row handler: the reader's last reference can drop on one of pyarrow's I/O
    # threads, and a Python callable released there while the interpreter exits aborts the process
    # ("terminate called without an active exception"; seen in CI on a loaded machine). The first
    # ragged row stops the pass instead; the rare ragged file is then counted in Python.
    first, reader = True, None
    try:  # open_csv reads the first block: a ragged row there raises here already
        reader = pcsv.open_csv(
            file,
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 22,
                                          use_threads=False),
            parse_options=pcsv.ParseOptions(delimiter=separator, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(include_columns=names,
                                                column_types=dict.fromkeys(names, pa.string()),
                                                strings_can_be_null=True))
        for batch in reader:
            if first:  # the header row is the first row read
                batch, first = batch.slice(1), False
            for position in columns:
                column = batch.column(f"f{position}")
                if position not in found.valued and column.null_count < len(column):
                    found.valued.add(position)
    except pa.ArrowInvalid as exc:
        fields = _FIELD_COUNT.search(str(exc))
        if fields is None:
            raise
        expected, actual = int(fields.group(1)), int(fields.group(2))
        found.first, found.width = (expected, actual), expected
        found.ragged = max(1, count_ragged(file, separator, expected))
    finally:
        if reader is not None:
            reader.close()
    return found


@dataclass(frozen=True)
class RaggedRow:
    line: int
    fields: list[str]


def split_ragged(file: Path, separator: str, width: int) -> tuple[bytes, list[RaggedRow]]:
    """The file without its ragged rows (byte for byte otherwise), and those rows, each with its
    first line number and every field. Blank lines stay: polars reads them as rows of nulls."""
    ragged: list[RaggedRow] = []
    drop: set[int] = set()
    for first, last, fields in _ragged_records(file, separator, width):
        ragged.append(RaggedRow(first, fields))
        drop.update(range(first, last + 1))
    kept = io.BytesIO()
    with file.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if number not in drop:
                kept.write(line)
    return kept.getvalue(), ragged


def count_ragged(file: Path, separator: str, width: int) -> int:
    """Rows of ``file`` (after its header) with a number of fields other than ``width``."""
    return sum(1 for _ in _ragged_records(file, separator, width))


def _ragged_records(file: Path, separator: str, width: int) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of each row whose number of fields is not ``width``."""
    # newline="\n": lines end where polars ends them, so line numbers match the file's bytes.
    with file.open(encoding="utf-8-sig", newline="\n") as fh:
        reader = csv.reader(fh, delimiter=separator)
        next(reader, None)
        start = reader.line_num + 1
        for fields in reader:
            if fields and len(fields) != width:
                yield start, reader.line_num, fields
            start = reader.line_num + 1


def ragged_rows(rows: list[RaggedRow], schema: pl.Schema) -> pl.DataFrame:
    """The ragged rows as a frame of ``schema`` plus :data:`RAGGED_COLUMN`: each field in its
    column where it converts to the column's type (null where it does not, or is missing), and
    every field, as read, in :data:`RAGGED_COLUMN`."""
    names = list(schema.names())
    columns: dict[str, pl.Series] = {}
    for position, name in enumerate(names):
        text = pl.Series(name, [r.fields[position] if position < len(r.fields) and
                                r.fields[position] != "" else None for r in rows], dtype=pl.String)
        columns[name] = _convert(text, schema[name])
    columns[RAGGED_COLUMN] = pl.Series(
        RAGGED_COLUMN, [json.dumps({"line": r.line, "fields": r.fields}, ensure_ascii=False)
                        for r in rows], dtype=pl.String)
    return pl.DataFrame(columns)


def _convert(text: pl.Series, dtype: pl.DataType) -> pl.Series:
    if dtype == pl.String:
        return text
    if dtype == pl.Boolean:
        lowered = text.str.to_lowercase()
        return pl.Series(text.name, [None if v is None else {"true": True, "false": False}.get(v)
                                     for v in lowered], dtype=pl.Boolean)
    try:
        return text.str.strip_chars().cast(dtype, strict=False)
    except pl.exceptions.PolarsError:
        return pl.Series(text.name, [None] * len(text), dtype=dtype)
