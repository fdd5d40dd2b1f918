"""The Python API: validate data (a file, a glob or a polars frame) against a suite.

Layer 4, like :mod:`integrity.job`: it wires a connector, the suite loader and the engine.

    >>> import integrity
    >>> result = integrity.validate("feedback.csv", "expectations/customer_feedback.json")
    >>> result.success, result.statistics["unsuccessful_expectations"]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import polars as pl

from integrity.checks.base import Registry
from integrity.connectors import readers
from integrity.engine.engines import available_engines
from integrity.engine.polars_engine import CHUNK_ROWS, Plan, plan_suite, polars_engine, run_plan
from integrity.errors import ConfigError, DataError, IntegrityError, SuiteError, first_line
from integrity.suites import Suite, load_suite, parse_suite
from integrity.types import Outcome, ResultFormat, ValidationResult

Data: TypeAlias = str | os.PathLike[str] | pl.LazyFrame | pl.DataFrame
"""What :func:`validate` reads: a Parquet/CSV/NDJSON path or glob, or a polars frame."""

SuiteSource: TypeAlias = str | os.PathLike[str] | Suite | Mapping[str, Any]
"""A suite: a JSON/YAML file path, a loaded :class:`Suite`, or a parsed suite dict."""


def validate(
    data: Data,
    suite: SuiteSource,
    *,
    result_format: ResultFormat | str | None = None,
    registry: Registry | None = None,
    engine: str | None = None,
    low_memory: bool = False,
    tables: Mapping[str, Data] | None = None,
    allow_ragged: bool = False,
) -> ValidationResult:
    """Validate ``data`` against ``suite`` in one fused pass.

    Args:
        data: a path or glob of Parquet/CSV/NDJSON files, or a polars LazyFrame/DataFrame.
        suite: a suite file (GX 1.x or 0.x JSON, or YAML), a :class:`Suite`, or a suite dict.
        result_format: overrides every expectation's result_format (BOOLEAN_ONLY, BASIC, SUMMARY,
            COMPLETE).
        registry: the expectation types to use; defaults to the built-in catalogue.
        engine: the polars engine, "in-memory" (the default) or "streaming" ("gpu" where
            cudf-polars is installed); polars' ``POLARS_ENGINE_AFFINITY`` is followed when this
            is not given.
        low_memory: read the batch in row chunks instead of whole: the metrics that merge
            (counts, sums, extremes, moments, value counts, unexpected lists) are computed chunk
            by chunk, distinct counts, repeated values and the median out of core, and any other
            metric over whole columns by groups, so peak memory stays flat as batches grow.
        tables: other tables by name, for the expectations that compare the batch with one
            (``expect_table_row_count_to_equal_other_table``'s ``other_table_name``, the tables an
            ``unexpected_rows_query`` names): paths, globs or polars frames, read lazily.
        allow_ragged: a CSV row with the wrong number of fields is kept, every field in the
            ``_integrity_ragged`` column, and fails a built-in row-level expectation (appended after
            the suite's own) instead of making the file unreadable.

    Returns:
        The GX-shaped result. Expectations that cannot run on this data (a missing column,
        bounds GX rejects) or raised have ``outcome == Outcome.ERROR`` and their
        ``exception_info`` filled in; ``meta["suite_warnings"]`` lists the suite's warnings.

    Raises:
        SuiteError: the suite cannot be loaded (``problems`` lists every problem).
        DataError: the data cannot be read; the message names the file and line when known.
    """
    fmt = _result_format(result_format)
    the_suite = _load(suite, registry)
    engine = _engine(engine)
    lf, source = _frame(data, allow_ragged=allow_ragged)
    the_suite = readers.with_input_checks(the_suite, lf.collect_schema().names())
    others = _tables(tables)
    try:
        plan = plan_suite(lf, the_suite, result_format=fmt, registry=registry, engine=engine,
                          tables=others, chunk_rows=CHUNK_ROWS if low_memory else None)
        result = run_plan(lf, plan, the_suite.name, low_memory=low_memory)
    except IntegrityError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        if source is None:
            raise DataError(f"cannot compute over the frame: {first_line(exc)}") from None
        raise readers.read_errors(exc, source, allow_ragged=allow_ragged) from None
    if source is not None and any(r.outcome is Outcome.ERROR for r in result.results):
        _probe(lf, source, allow_ragged=allow_ragged)
    meta = {
        "data": source if source is not None else f"<{type(data).__name__}>",
        "suite_path": the_suite.path,
        "columns": {name: str(dtype) for name, dtype in lf.collect_schema().items()},
        **result.meta,
    }
    return dataclasses.replace(result, meta=meta)


def explain(
    data: Data,
    suite: SuiteSource,
    *,
    result_format: ResultFormat | str | None = None,
    registry: Registry | None = None,
    engine: str | None = None,
    tables: Mapping[str, Data] | None = None,
    allow_ragged: bool = False,
) -> str:
    """Describe the plan (metrics, de-duplication, number of queries) without running it.

    Only the data's schema is read (and a CSV checked: see :func:`validate`).
    """
    return plan(data, suite, result_format=result_format, registry=registry,
                engine=engine, tables=tables, allow_ragged=allow_ragged).describe()


def plan(
    data: Data,
    suite: SuiteSource,
    *,
    result_format: ResultFormat | str | None = None,
    registry: Registry | None = None,
    engine: str | None = None,
    tables: Mapping[str, Data] | None = None,
    allow_ragged: bool = False,
) -> Plan:
    """The engine's plan for ``suite`` over ``data``: what :func:`explain` describes."""
    fmt = _result_format(result_format)
    the_suite = _load(suite, registry)
    engine = _engine(engine)
    lf, _ = _frame(data, allow_ragged=allow_ragged)
    the_suite = readers.with_input_checks(the_suite, lf.collect_schema().names())
    return plan_suite(lf, the_suite, result_format=fmt, registry=registry, engine=engine,
                      tables=_tables(tables))


def _engine(value: str | None) -> str:
    """The engine to run on (named, else polars' affinity), checked before any data is read."""
    where = "--engine" if value is not None else "POLARS_ENGINE_AFFINITY"
    available = available_engines()
    chosen: str
    try:
        chosen = polars_engine(value)
    except ValueError:
        chosen = value or ""
    if chosen not in available:
        problem = ("the polars engine 'gpu' cannot run here: it needs the cudf-polars package "
                   "(with CUDA), which is not installed" if chosen == "gpu"
                   else f"unknown polars engine {chosen!r}")
        raise ConfigError(f"{problem}; use one of {', '.join(available)} ({where})")
    return chosen


def _tables(tables: Mapping[str, Data] | None) -> dict[str, pl.LazyFrame]:
    """The other tables as lazy frames; a file that cannot be found names its table."""
    frames: dict[str, pl.LazyFrame] = {}
    for name, data in (tables or {}).items():
        try:
            frames[name] = _frame(data)[0]
        except DataError as exc:
            raise DataError(f"table {name!r}: {exc}") from None
    return frames


def _result_format(value: ResultFormat | str | None) -> ResultFormat | None:
    if value is None:
        return None
    try:
        return ResultFormat.parse(value)
    except ValueError as exc:
        raise SuiteError(str(exc), argument="result_format") from None


def _load(suite: SuiteSource, registry: Registry | None) -> Suite:
    if isinstance(suite, Suite):
        return suite
    if isinstance(suite, Mapping):
        return parse_suite(suite, registry=registry)
    return load_suite(Path(suite), registry=registry)


def _frame(data: Data, *, allow_ragged: bool = False) -> tuple[pl.LazyFrame, str | None]:
    if isinstance(data, pl.LazyFrame):
        return data, None
    if isinstance(data, pl.DataFrame):
        return data.lazy(), None
    if isinstance(data, str | os.PathLike):
        source = os.fspath(data)
        return readers.scan(source, allow_ragged=allow_ragged), source
    raise TypeError(f"data must be a path, a glob or a polars frame, not {type(data).__name__}")


def _probe(lf: pl.LazyFrame, source: str, *, allow_ragged: bool = False) -> None:
    """Raise a DataError when the file itself cannot be read (not just one expectation).

    The engine turns a failing query into per-expectation error results; when the cause is the data
    (a broken quote, a bad value deep in a CSV), the whole run is unusable and the user should hear
    about the file and line instead. Costs one extra pass, and only after an error.
    """
    try:
        lf.select(pl.all().null_count()).collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise readers.read_errors(exc, source, allow_ragged=allow_ragged) from None
