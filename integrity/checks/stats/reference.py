"""Where a drift check's reference comes from: the baseline, the previous batch, or a data file.

Every reference ends up as a profile entry for the column (see :mod:`~integrity.checks.stats.
profile`), so the checks compare a batch with a stored baseline, an earlier batch or a file in
one way. The baseline and the previous batch come from the validation context; a file is read
and profiled here (once per file version and column in a process), relative to the suite file.

What a steward must fix (a file that is missing or lacks the column, a reference whose column
has another type) raises :class:`~integrity.errors.SuiteError` naming the file or baseline and
the fix; what only time fixes (no baseline set yet, no earlier batch) is :class:`Missing`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.base import Spec
from integrity.checks.stats import features as f
from integrity.checks.stats.outcome import NO_CONTEXT
from integrity.checks.stats.profile import VERSION, build_profile
from integrity.errors import SuiteError, did_you_mean

BASELINE, PREVIOUS = "baseline", "previous_batch"
_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "tsv",
            ".txt": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}


@dataclass(frozen=True)
class Missing:
    """No reference to compare with yet, and why (the check says ``not_evaluated``)."""

    reason: str


@dataclass(frozen=True)
class Source:
    """A resolved reference: a profile, or a file profiled column by column on demand."""

    label: str
    """What it is, for messages: "the baseline of dataset 'x'", "reference file 'a.csv'"."""
    profile: Mapping[str, Any] | None = None
    path: Path | None = None
    fix: str = ""
    """What a steward does when a column is missing or of another type."""

    def has(self, name: str) -> bool:
        """Whether the reference holds column ``name`` at all."""
        if self.path is not None:
            stat = self.path.stat()
            return name in _file_columns(str(self.path.resolve()), stat.st_mtime_ns,
                                         stat.st_size, self.label)
        assert self.profile is not None
        return name in self.profile.get("columns", {})

    def column(self, name: str, dtype: pl.DataType) -> Mapping[str, Any] | Missing:
        """The reference's entry for column ``name``, checked against the batch's ``dtype``."""
        if self.path is not None:
            return _file_column(self.path, self.label, name, dtype)
        assert self.profile is not None
        columns = self.profile.get("columns", {})
        entry = columns.get(name)
        if entry is None:
            if self.fix:
                raise SuiteError(f"{self.label} has no column {name!r}"
                                 f"{did_you_mean(name, list(columns))}; {self.fix}",
                                 argument="column")
            return Missing(f"{self.label} has no column {name!r}")
        kind = f.kind_of(dtype)
        if entry.get("kind") != kind:
            fix = self.fix or "compare with a reference of the same type"
            raise SuiteError(f"{self.label} holds column {name!r} as {entry.get('dtype')}, but "
                             f"the batch's is {dtype}; {fix}", argument="column")
        found: Mapping[str, Any] = entry
        return found


def source(spec: Spec, reference: str) -> Source | Missing:
    """Resolve the ``reference`` argument of ``spec``'s expectation."""
    context = spec.context
    dataset = (context.dataset if context is not None else None) or "this dataset"
    if reference == BASELINE:
        profile = context.baseline() if context is not None else None
        if profile is None and (context is None or context.dataset is None):
            return Missing(NO_CONTEXT)
        if profile is None:
            return Missing(f"{dataset!s} has no baseline yet; set one with `integrity baseline "
                           f"set {dataset}`")
        _check_version(profile, f"the baseline of {dataset}")
        return Source(f"the baseline of {dataset}", profile=profile,
                      fix=f"set the baseline again (`integrity baseline set {dataset}`) or "
                          "compare with another reference")
    if reference == PREVIOUS:
        history = context.history(1) if context is not None else []
        if not history and (context is None or context.dataset is None):
            return Missing(NO_CONTEXT)
        if not history:
            return Missing(f"{dataset} has no earlier published batch yet")
        last = history[-1]
        profile = last.get("profile")
        batch = last.get("batch_id")
        if not profile:
            return Missing(f"the previous batch {batch!r} of {dataset} has no profile recorded")
        _check_version(profile, f"the profile of batch {batch!r}")
        return Source(f"the previous batch {batch!r}", profile=profile)
    return Source(f"reference file {reference!r}", path=_path(spec, reference))


def _check_version(profile: Mapping[str, Any], what: str) -> None:
    if profile.get("version") != VERSION:
        raise SuiteError(f"{what} is a profile of format version {profile.get('version')!r}; "
                         f"this integrity reads version {VERSION}: set it again",
                         argument="reference")


def _path(spec: Spec, reference: str) -> Path:
    path = spec.context.resolve(reference) if spec.context is not None else Path(reference)
    if not path.is_absolute() and spec.folder is not None:
        path = spec.folder / path
    if path.suffix.lower() not in _READERS:
        raise SuiteError(f"reference {reference!r} is neither 'baseline', 'previous_batch' nor a "
                         f"Parquet, CSV or NDJSON file (by its extension: "
                         f"{', '.join(sorted(_READERS))})", argument="reference")
    if not path.is_file():
        raise SuiteError(f"reference file {reference!r} does not exist (looked for {path}); give "
                         "a Parquet or CSV file relative to the suite file", argument="reference")
    return path


def _file_column(path: Path, label: str, name: str, dtype: pl.DataType) -> Mapping[str, Any]:
    stat = path.stat()
    return _profile_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size, label, name,
                         dtype)


@functools.lru_cache(maxsize=16)
def _file_columns(path: str, mtime: int, size: int, label: str) -> tuple[str, ...]:
    try:
        return tuple(_scan(Path(path), label).collect_schema().names())
    except SuiteError:
        raise
    except Exception as exc:
        raise SuiteError(f"cannot read {label}: {_first(exc)}; give a readable Parquet or CSV "
                         "file", argument="reference") from None


@functools.lru_cache(maxsize=64)
def _profile_file(path: str, mtime: int, size: int, label: str, name: str,
                  dtype: pl.DataType) -> Mapping[str, Any]:
    """The profile entry of one column of a reference file (cached per file version)."""
    lf = _scan(Path(path), label)
    try:
        schema = lf.collect_schema()
    except Exception as exc:
        raise SuiteError(f"cannot read {label}: {_first(exc)}; give a readable Parquet or CSV "
                         "file", argument="reference") from None
    if name not in schema:
        raise SuiteError(f"{label} has no column {name!r}{did_you_mean(name, schema.names())} "
                         f"(it has: {_listed(schema.names())}); give a reference file that holds "
                         "the column", argument="reference")
    found = schema[name]
    kind, found_kind = f.kind_of(dtype), f.kind_of(found)
    mismatch = (f"{label} holds column {name!r} as {found}, but the batch's is {dtype}; give a "
                f"reference whose {name!r} is {dtype} too (or cast it)")
    column = pl.col(name)
    textual = _READERS[Path(path).suffix.lower()] != "parquet"
    parsing = found_kind != kind
    if parsing:
        if not (textual and found_kind == f.STRING and kind is not None):
            raise SuiteError(mismatch, argument="reference")
        column = _parsed(pl.col(name), dtype)  # text in a CSV: read as the batch's type
    try:
        profile = build_profile(lf.select(column.alias(name)), [name])
    except Exception as exc:
        if parsing and isinstance(exc, pl.exceptions.PolarsError):
            raise SuiteError(f"{label} holds column {name!r} as text that does not read as "
                             f"{dtype}; give a reference whose {name!r} is {dtype} too",
                             argument="reference") from None
        raise SuiteError(f"cannot read column {name!r} of {label}: {_first(exc)}; give a "
                         "readable Parquet or CSV file", argument="reference") from None
    entry: Mapping[str, Any] = profile["columns"][name]
    return entry


def _parsed(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Text read as ``dtype`` (strictly: a value that does not parse is an error). Times keep
    the zone they were written with: a profile holds instants, so only the kind must agree."""
    if dtype == pl.Date:
        return text.str.to_date(strict=True)
    if isinstance(dtype, pl.Datetime):
        return text.str.to_datetime(time_unit=dtype.time_unit or "us", strict=True)
    return text.cast(dtype, strict=True)


def _scan(path: Path, label: str) -> pl.LazyFrame:
    reader = _READERS[path.suffix.lower()]
    try:
        if reader == "parquet":
            return pl.scan_parquet(path)
        if reader == "ndjson":
            return pl.scan_ndjson(path, infer_schema_length=10_000)
        return pl.scan_csv(path, separator="\t" if reader == "tsv" else ",",
                           infer_schema_length=10_000, try_parse_dates=True)
    except Exception as exc:
        raise SuiteError(f"cannot read {label}: {_first(exc)}", argument="reference") from None


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _listed(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def file_cache_clear() -> None:
    """Forget the profiled reference files (for a long-lived process that rewrites them in the
    same second, where the modification time may not change)."""
    _profile_file.cache_clear()
    _file_columns.cache_clear()


