"""The shapes every expectation is made of: arguments, metrics, checks, and the registry.

An expectation is a *definition* (its type name, its arguments, and a ``build`` function). ``build``
receives a :class:`Spec` (the kwargs, the batch's schema and the row-condition domain) and returns a
:class:`Check`: the metrics it needs, keyed by a local name, and an ``evaluate`` function that turns
the computed metric values into a GX-shaped result. Metrics are plain polars aggregate expressions,
so the engine can deduplicate them across a whole suite and compute them in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from integrity.checks.arguments import resolve_parameter
from integrity.errors import SuiteError, UnknownExpectationError, did_you_mean
from integrity.types import ResultFormat, ValidationContext

#: Arguments every GX 1.x expectation accepts, whatever its type (0.x's ``include_config`` is a
#: leftover: see :mod:`integrity.checks.legacy`).
COMMON_ARGS = ("result_format", "catch_exceptions", "meta", "notes", "id", "severity",
               "description", "windows", "batch_id", "rendered_content")


@dataclass(frozen=True)
class Arg:
    """One keyword argument of an expectation."""

    name: str
    types: tuple[type, ...] = ()
    """Python types the value may have (empty: anything). ``None`` is allowed unless required."""
    required: bool = False
    default: Any = None
    check: Callable[[Any], str | None] | None = None
    """Optional validator returning an error message or None."""
    caution: Callable[[Any], str | None] | None = None
    """Optional check of a usable value that still deserves a warning at load (a regex that must
    run on Python's backtracking ``re``); returns the warning or None."""


CONDITION = (Arg("row_condition", (str,)), Arg("condition_parser", (str,)))
"""The row filter arguments every aggregate, table and batch-level expectation takes."""


@dataclass(frozen=True)
class Partial:
    """How a metric is computed over row chunks, for batches larger than memory.

    ``parts`` are aggregate expressions evaluated on each chunk of rows (one value each);
    ``merge`` receives, in row order, each chunk's first row position and its part values, and
    returns the metric's value (equal to computing ``Metric.expr`` over the whole batch)."""

    parts: tuple[pl.Expr, ...]
    merge: Callable[[list[tuple[int, tuple[Any, ...]]]], Any]


@dataclass(frozen=True)
class Metric:
    """One value computed over the batch.

    ``expr`` is an aggregate polars expression (one row); metrics with the same expression are
    computed once per suite. A metric that needs its own pass over the data sets ``run`` instead
    (it receives the whole LazyFrame) and says why in ``reason``.
    """

    expr: pl.Expr | None = None
    run: Callable[[pl.LazyFrame], Any] | None = None
    reason: str = ""
    key: str | None = None
    inputs: tuple[tuple[str, pl.Expr], ...] = ()
    """Row-wise helper columns ``expr`` reads by name (e.g. an unexpected-row mask). The engine adds
    each distinct one once, so a mask shared by a count, a list and an index is computed once."""
    skip_when: pl.Expr | None = None
    """A cheap aggregate boolean, computed in the fused query, that proves this metric's value in
    advance (e.g. every value is distinct, so no row is a duplicate). When it is True the metric
    takes ``skipped`` without being computed; otherwise it is computed in one follow-up query
    together with every other metric whose guard did not hold."""
    skipped: Any = None
    partial: Partial | None = None
    """The chunk-by-chunk form of ``expr`` (see :class:`Partial`); None when the metric needs the
    whole batch at once (a mask that compares rows with each other, a quantile)."""

    def identity(self) -> str:
        if self.key is not None:
            return self.key
        if self.expr is not None:
            try:
                return self.expr.meta.serialize(format="json")
            except Exception:  # an expression polars cannot serialize: never share it
                return f"unshared:{id(self)}"
        return f"pass:{id(self)}"


@dataclass(frozen=True)
class Verdict:
    """What an evaluator decides: success and GX's result dict (before result_format trimming)."""

    success: bool
    result: dict[str, Any]


Evaluator = Callable[[Mapping[str, Any]], Verdict]


@dataclass(frozen=True)
class Check:
    """A planned expectation: the metrics it needs and how to judge them."""

    metrics: Mapping[str, Metric]
    evaluate: Evaluator
    rows: pl.Expr | None = None
    """Row-wise checks only: boolean expression, True on each row the expectation rejects (what
    write-audit-publish quarantines with ``quarantine_rows``)."""


@dataclass(frozen=True)
class Spec:
    """What a check builder sees: validated kwargs, the batch schema and the row-condition domain."""

    type: str
    kwargs: Mapping[str, Any]
    schema: pl.Schema
    domain: pl.Expr | None
    """Boolean expression selecting the rows the expectation applies to (``row_condition``)."""
    result_format: ResultFormat = ResultFormat.BASIC
    partial_limit: int = 20
    tables: Mapping[str, pl.LazyFrame] = field(default_factory=dict)
    """Other tables by name, for expectations that compare against them."""
    engine: str = "in-memory"
    """The polars engine the plan will run on, for builders whose fastest formulation differs
    between engines (a selection-based median is linear in memory but crawls when streamed)."""
    chunk_rows: int | None = None
    """Set when the plan runs in row chunks (low-memory): builders then prefer metrics with a
    :class:`Partial` form, and out-of-core passes over ``source`` for the rest."""
    source: pl.LazyFrame | None = None
    """The batch itself, when ``chunk_rows`` is set, for out-of-core passes a mask depends on."""
    context: ValidationContext | None = None
    """History, baselines and the time, when the caller supplies them (see ValidationContext)."""
    folder: Path | None = None
    """The folder of the suite file, against which files a suite names are resolved (also when
    the suite is loaded, before any data or context exists)."""

    def get(self, name: str, default: Any = None) -> Any:
        value = self.kwargs.get(name, default)
        return default if value is None else value

    def dtype(self, column: str) -> pl.DataType:
        return self.schema[column]


Builder = Callable[[Spec], Check]


@dataclass(frozen=True)
class ExpectationDef:
    """A registered expectation type."""

    type: str
    family: str
    args: tuple[Arg, ...]
    build: Builder
    column_args: tuple[str, ...] = ("column",)
    """Arguments that name columns (str or list of str) and must exist in the batch."""
    description: str = ""
    needs_columns: bool = True
    """False for expectations (like expect_column_to_exist) that judge a missing column themselves."""

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)


@dataclass
class Registry:
    """Expectation types by name. Pass your own to :func:`integrity.validate` to extend it."""

    definitions: dict[str, ExpectationDef] = field(default_factory=dict)

    def add(self, definition: ExpectationDef) -> ExpectationDef:
        if definition.type in self.definitions:
            raise ValueError(f"expectation type {definition.type!r} is registered twice")
        self.definitions[definition.type] = definition
        return definition

    def get(self, type_name: str) -> ExpectationDef:
        try:
            return self.definitions[type_name]
        except KeyError:
            raise UnknownExpectationError(
                f"unknown expectation type {type_name!r}.{did_you_mean(type_name, self.definitions)}"
                f" The registry knows {len(self.definitions)} types; `integrity expectations` lists them.",
                expectation_type=type_name,
            ) from None

    def __contains__(self, type_name: object) -> bool:
        return type_name in self.definitions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.definitions))

    def __len__(self) -> int:
        return len(self.definitions)

    def copy(self) -> Registry:
        return Registry(dict(self.definitions))


#: The built-in expectation catalogue; modules in integrity.checks add to it when imported.
BUILTIN = Registry()


def expectation(
    type_name: str,
    *,
    family: str,
    args: tuple[Arg, ...],
    column_args: tuple[str, ...] = ("column",),
    needs_columns: bool = True,
    registry: Registry = BUILTIN,
) -> Callable[[Builder], Builder]:
    """Register ``build`` as the builder of expectation ``type_name`` (one line per expectation)."""

    def decorate(build: Builder) -> Builder:
        registry.add(ExpectationDef(type_name, family, args, build, column_args,
                                    (build.__doc__ or "").strip().split("\n")[0], needs_columns))
        return build

    return decorate


def require(condition: bool, message: str, argument: str | None = None) -> None:
    """Raise a SuiteError naming ``argument`` unless ``condition`` holds."""
    if not condition:
        raise SuiteError(message, argument=argument)


class NeedsData(Exception):
    """Raised by :data:`UNKNOWN_SCHEMA` when a builder looks at the batch (see :func:`configuration_problem`)."""


class _Unknown:
    """A schema (or table mapping) that is not known yet: any look at it raises :class:`NeedsData`."""

    def __getattr__(self, name: str) -> Any:
        raise NeedsData(name)

    def __getitem__(self, key: Any) -> Any:
        raise NeedsData(key)

    def __contains__(self, key: Any) -> bool:
        raise NeedsData(key)

    def __iter__(self) -> Iterator[Any]:
        raise NeedsData("iteration")

    def __len__(self) -> int:
        raise NeedsData("len")


UNKNOWN_SCHEMA: Any = _Unknown()


def configuration_problem(definition: ExpectationDef, type_name: str,
                          kwargs: Mapping[str, Any], folder: Path | None = None,
                          ) -> SuiteError | None:
    """The problem GX would refuse at configuration time, found without any data.

    The builder runs against a schema (and other tables) it cannot look at: whatever it refuses
    before looking at the batch depends on the arguments alone (bounds missing, weights that do not
    sum to one, an unknown distribution), so the suite is refused when it loads, every such problem
    listed, as GX refuses it. What it would refuse only after looking at the data (a column's type,
    a bound of the wrong type for that column) stays a validation-time error of that expectation.
    """
    try:
        resolved = {k: resolve_parameter(v) for k, v in kwargs.items()}
        definition.build(Spec(type_name, resolved, UNKNOWN_SCHEMA, None, tables=UNKNOWN_SCHEMA,
                              folder=folder))
    except SuiteError as exc:
        return exc
    except Exception:  # NeedsData, or anything the stand-in schema trips: the data decides
        return None
    return None
