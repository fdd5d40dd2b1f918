"""The embedded engine: plan a suite's metrics, compute them in one polars query, judge the results.

Planning builds each expectation's :class:`~integrity.checks.base.Check`, deduplicates their metrics
across the whole suite, and puts every fusable metric into a single ``select`` over the LazyFrame.
Metrics that need their own pass (a SQL query, a bootstrap over the full column) run after it.
A costly metric may be *guarded*: a cheap aggregate in the fused query proves its value in advance
(all values distinct: no duplicate rows), and only when the guard does not hold is it computed, in
one follow-up query shared by every such metric.
If the fused query fails, each expectation is retried on its own so that one broken expectation
becomes one error result instead of sinking the suite. An expectation that cannot even be planned
on this batch (a column it names is missing, its bounds contradict each other where GX raises) is
likewise one error result, with ``exception_info`` as GX gives it; ``catch_exceptions: false``
(in its kwargs or for the whole run) raises instead.
A low-memory plan (``chunk_rows``) reads the batch in row chunks instead: each fused metric with a
chunk form (:class:`~integrity.checks.base.Partial`) is computed per chunk and merged, so the peak
stays flat as batches grow.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from integrity.checks import builtin_registry
from integrity.checks.arguments import resolve_parameter
from integrity.checks.base import Check, ExpectationDef, Metric, Partial, Registry, Spec, Verdict
from integrity.checks.condition import parse_condition
from integrity.engine.column_groups import column_groups, in_pairs, metric_columns
from integrity.engine.messages import listed, run_error, run_error_fix
from integrity.engine.queries import run_in_chunks, run_passes, select_metrics, select_together
from integrity.errors import ConditionError, IntegrityError, SuiteError, did_you_mean, located
from integrity.suites import Suite
from integrity.types import (
    ExpectationConfig,
    ExpectationResult,
    Outcome,
    ResultFormat,
    ValidationContext,
    ValidationResult,
)


@dataclass
class PlannedExpectation:
    index: int
    config: ExpectationConfig
    result_format: ResultFormat
    catch: bool
    partial_limit: int = 20
    """GX's partial_unexpected_count: values in the partial lists (0: no partial lists)."""
    check: Check | None = None
    error: BaseException | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    """Local metric name -> column alias in the fused query (or pass id)."""
    path: str | None = None
    """The suite file, for error messages."""


@dataclass
class Plan:
    """Everything the engine will compute for one suite over one batch."""

    expectations: list[PlannedExpectation]
    fused: dict[str, pl.Expr]
    passes: dict[str, Metric]
    requested: int
    inputs: dict[str, pl.Expr] = field(default_factory=dict)
    """Row-wise helper columns (masks) the fused metrics read, each computed once."""
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Fused or guarded metric alias -> the helper columns it reads."""
    engine: EngineName = "in-memory"
    """The polars engine the plan was built for and runs on."""
    guarded: dict[str, tuple[pl.Expr, str, Any]] = field(default_factory=dict)
    """Guarded metric alias -> (its expression, the alias of its guard in the fused query, the
    value it takes when the guard holds)."""
    chunk_rows: int | None = None
    """Set for a low-memory plan: the fused metrics with a chunk form run over row chunks of
    this many rows (the others by groups of columns; see :func:`run_plan`)."""
    partials: dict[str, Partial] = field(default_factory=dict)
    """Fused metric alias -> its chunk form, where it has one."""
    warnings: tuple[str, ...] = ()
    """The suite's load warnings, copied into the result's meta."""
    suite_path: str | None = None

    @property
    def in_chunks(self) -> list[str]:
        """The fused metrics a low-memory run computes chunk by chunk."""
        return [a for a in self.fused if a in self.partials] if self.chunk_rows else []

    def frame(self, lf: pl.LazyFrame, aliases: Iterable[str] | None = None) -> pl.LazyFrame:
        """``lf`` with the helper columns that the given metrics (default: the fused ones) read.

        Helper columns ``lf`` already has (see :meth:`materialize`) are read, not recomputed."""
        wanted = self.fused if aliases is None else aliases
        names = dict.fromkeys(n for a in wanted for n in self.needs.get(a, ()))
        if names:
            present = set(lf.collect_schema().names())
            names = {n: None for n in names if n not in present}
        return lf.with_columns([self.inputs[n].alias(n) for n in names]) if names else lf

    def materialize(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the fused query's row masks as real columns, for a caller that needs the
        masks again after validating (the write-audit-publish gate): validating this frame reads
        them instead of computing them twice. :meth:`helper_columns` names them."""
        materialized: pl.DataFrame = self.frame(frame.lazy()).collect(engine=self.engine)
        return materialized

    def helper_columns(self, columns: Iterable[str]) -> list[str]:
        """Which of ``columns`` are this plan's helper columns."""
        return [c for c in columns if c in self.inputs]

    @property
    def queries(self) -> int:
        """Queries the plan needs at most (the guarded follow-up counts when there is one)."""
        whole = len(self.fused) > len(self.in_chunks)
        return (int(bool(self.in_chunks)) + int(whole) + (1 if self.guarded else 0)
                + len(self.passes))

    def describe(self) -> str:
        lines = [
            f"{len(self.expectations)} expectations ask for {self.requested} metrics; "
            f"{len(self.fused) + len(self.passes)} after de-duplication.",
            f"{self.queries} quer{'y' if self.queries == 1 else 'ies'} over the batch:",
        ]
        n = 0
        chunked = self.in_chunks
        if chunked:
            n += 1
            lines.append(f"  query {n}: one pass in row chunks of {self.chunk_rows:,} computing "
                         f"{len(chunked)} metrics")
        if len(self.fused) > len(chunked):
            n += 1
            whole = len(self.fused) - len(chunked)
            how = ("by groups of columns, " if chunked else "") + "over whole columns"
            lines.append(f"  query {n}: one fused select computing {whole} metrics"
                         + (f" ({how})" if self.chunk_rows else ""))
        if self.guarded:
            n += 1
            lines.append(f"  query {n} (only if a guard fails): up to {len(self.guarded)} guarded "
                         f"metrics ({', '.join(self.guarded)}) that query 1 could not rule out")
        for number, (alias, metric) in enumerate(self.passes.items(), start=n + 1):
            lines.append(f"  query {number}: {alias}: own pass ({metric.reason or 'needs the whole column'})")
        for p in self.expectations:
            status = "error: " + str(p.error) if p.error else ", ".join(sorted(set(p.aliases.values())))
            lines.append(f"  #{p.index} {p.config.type}: {status}")
        return "\n".join(lines)


def plan_suite(
    lf: pl.LazyFrame,
    suite: Suite,
    *,
    result_format: ResultFormat | str | None = None,
    catch_exceptions: bool | None = None,
    registry: Registry | None = None,
    tables: Mapping[str, pl.LazyFrame] | None = None,
    engine: str | None = None,
    chunk_rows: int | None = None,
    context: ValidationContext | None = None,
) -> Plan:
    """Build the plan: checks, the fused metric expressions, and the separate passes.

    ``engine`` is the polars engine it will run on (default: see :func:`polars_engine`).
    ``chunk_rows`` plans for a low-memory run in row chunks of that many rows: builders then
    prefer metrics that merge chunk by chunk, and out-of-core passes for distinct counts,
    repeated values and the median (which may read the batch once while planning)."""
    registry = registry if registry is not None else builtin_registry()
    engine = polars_engine(engine)
    schema = lf.collect_schema()
    planned: list[PlannedExpectation] = []
    fused: dict[str, pl.Expr] = {}
    passes: dict[str, Metric] = {}
    inputs: dict[str, pl.Expr] = {}
    needs: dict[str, tuple[str, ...]] = {}
    guarded: dict[str, tuple[pl.Expr, str, Any]] = {}
    partials: dict[str, Partial] = {}
    by_identity: dict[str, str] = {}

    def alias_of(metric: Metric) -> str:
        identity = metric.identity()
        alias = by_identity.get(identity)
        if alias is not None:
            return alias
        alias = by_identity[identity] = f"m{len(by_identity)}"
        if metric.expr is None:
            passes[alias] = metric
            return alias
        needs[alias] = tuple(name for name, _ in metric.inputs)
        for name, expr in metric.inputs:
            inputs.setdefault(name, expr)
        if metric.skip_when is not None:
            guard = alias_of(Metric(metric.skip_when))
            guarded[alias] = (metric.expr.alias(alias), guard, metric.skipped)
        else:
            fused[alias] = metric.expr.alias(alias)
            if metric.partial is not None:
                partials[alias] = metric.partial
        return alias

    requested = 0
    override = ResultFormat.parse(result_format) if result_format is not None else None
    for index, config in enumerate(suite.expectations):
        fmt = override or ResultFormat.parse(config.kwargs.get("result_format"))
        explicit = catch_exceptions if catch_exceptions is not None else config.kwargs.get("catch_exceptions")
        limit = ResultFormat.partial_count(
            result_format if result_format is not None else config.kwargs.get("result_format"))
        item = PlannedExpectation(index, config, fmt, catch=explicit is not False,
                                  partial_limit=limit, path=suite.path)
        planned.append(item)
        try:
            definition = registry.get(config.type)
            item.check = _build(definition, config, schema, fmt, suite.path, index, tables or {},
                                engine, chunk_rows, lf, limit, context)
        except IntegrityError as exc:
            # What only the data shows (a missing column, a type the check cannot test, bounds
            # GX rejects while validating) fails this expectation alone, as in GX; the rest run.
            if not item.catch:
                raise
            item.error = exc
            continue
        for local, metric in item.check.metrics.items():
            requested += 1
            item.aliases[local] = alias_of(metric)
    return Plan(planned, fused, passes, requested, inputs, needs, engine, guarded, chunk_rows,
                partials, suite.warnings, suite.path)


def _build(definition: ExpectationDef, config: ExpectationConfig, schema: pl.Schema,
           fmt: ResultFormat, path: str | None, index: int,
           tables: Mapping[str, pl.LazyFrame], engine: str, chunk_rows: int | None,
           source: pl.LazyFrame, partial_limit: int = 20,
           context: ValidationContext | None = None) -> Check:
    def located(exc: IntegrityError, argument: str | None = None) -> SuiteError:
        """The same error (same class) with the suite file and expectation named."""
        arg = argument or getattr(exc, "argument", None)
        if isinstance(exc, SuiteError):
            return type(exc)(exc.detail, path=path, index=index, expectation_type=config.type,
                             argument=arg)
        return SuiteError(str(exc), path=path, index=index, expectation_type=config.type, argument=arg)

    columns = list(schema.names())
    if definition.needs_columns:
        for arg_name in definition.column_args:
            value = config.kwargs.get(arg_name)
            names = value if isinstance(value, list) else [value] if value is not None else []
            for name in names:
                if name not in schema:
                    raise SuiteError(
                        f"column {name!r} is not in the batch.{did_you_mean(str(name), columns)} "
                        f"The batch has: {listed(columns)}.",
                        path=path, index=index, expectation_type=config.type, argument=arg_name)
    domain = None
    condition = config.kwargs.get("row_condition")
    if condition:
        try:
            domain = parse_condition(condition, config.kwargs.get("condition_parser"), schema)
        except ConditionError as exc:
            raise located(exc, "row_condition") from None
    try:
        # GX suite parameters ({"$PARAMETER": "now() - timedelta(days=1)"}) are evaluated once here.
        kwargs = {k: resolve_parameter(v) for k, v in config.kwargs.items()}
        spec = Spec(config.type, kwargs, schema, domain, fmt, partial_limit, tables=tables,
                    engine=engine,
                    chunk_rows=chunk_rows, source=source if chunk_rows else None,
                    context=context, folder=Path(path).parent if path else None)
        return definition.build(spec)
    except SuiteError as exc:
        raise located(exc) from None


#: Rows per chunk of a low-memory run: about 55 MiB of a ten-column feedback batch, large enough
#: that the per-chunk query costs little beside the work, small enough that the chunk pass
#: peaks near 400 MiB whatever the batch's size (5M rows: 364 MiB; 50M: 424 MiB).
CHUNK_ROWS = 500_000

EngineName = Literal["in-memory", "streaming", "gpu", "auto"]
ENGINES: tuple[EngineName, ...] = ("in-memory", "streaming", "gpu", "auto")


def polars_engine(engine: str | None = None) -> EngineName:
    """The polars engine the metric queries run on.

    polars' default ("auto") picks its streaming engine, whose distinct counts are three to four
    times slower (5M rows: 0.35 s against 0.09 s) for no lower peak on a fused metric query, which
    holds whole columns for its distinct counts anyway. So the in-memory engine is the default,
    unless the caller names one or sets polars' affinity (``POLARS_ENGINE_AFFINITY``,
    ``pl.Config.set_engine_affinity``).
    """
    chosen = engine or pl.Config.state(if_set=True).get("POLARS_ENGINE_AFFINITY") or "in-memory"
    if engine is None and chosen == "auto":
        chosen = "in-memory"
    for name in ENGINES:
        if chosen == name:
            return name
    raise ValueError(f"unknown polars engine {chosen!r}; use one of {', '.join(ENGINES)}")


def run_plan(lf: pl.LazyFrame, plan: Plan, suite_name: str = "suite", *,
             engine: str | None = None, low_memory: bool = False) -> ValidationResult:
    """Compute the plan's metrics (one fused query, plus any own passes) and judge every expectation.

    A plan built with ``chunk_rows`` (low-memory) computes the metrics that have a chunk form in
    one pass over row chunks, its out-of-core passes two at a time, and any other fused metric by
    groups of columns. ``low_memory`` on a plan built without it only runs the fused query by
    groups of columns that read disjoint columns, two groups at a time (see
    :mod:`integrity.engine.column_groups`): each column is still read once."""
    started = time.perf_counter()
    run_on = polars_engine(engine) if engine else plan.engine
    values: dict[str, Any] = {}
    failed: dict[str, BaseException] = {}
    queries = 0
    chunked = plan.in_chunks
    if chunked:
        queries += 1
        run_in_chunks(lf, plan, chunked, values, failed)
    in_chunks = set(chunked)
    whole = {a: e for a, e in plan.fused.items() if a not in in_chunks}
    if whole and (low_memory or plan.chunk_rows):
        columns_of = metric_columns(whole, plan.needs, plan.inputs)
        for step in in_pairs(column_groups(columns_of), columns_of, lf.collect_schema()):
            queries += len(step)
            select_together(lf, plan, step, values, failed, run_on)
    elif whole:
        queries += 1
        select_metrics(lf, plan, plan.fused, values, failed, run_on)
    follow_up: dict[str, pl.Expr] = {}
    for alias, (expr, guard, skipped) in plan.guarded.items():
        if values.get(guard) is True:
            values[alias] = skipped
        elif guard in failed:
            failed[alias] = failed[guard]
        else:
            follow_up[alias] = expr
    if follow_up:
        queries += 1
        select_metrics(lf, plan, follow_up, values, failed, run_on)
    queries += len(plan.passes)
    run_passes(lf, plan, values, failed)
    results = [_judge(item, values, failed, plan.suite_path) for item in plan.expectations]
    elapsed = time.perf_counter() - started
    meta: dict[str, Any] = {"validation_seconds": round(elapsed, 6)}
    if plan.warnings:
        meta["suite_warnings"] = list(plan.warnings)
    return ValidationResult(suite_name, tuple(results), queries=queries, meta=meta)


def _judge(item: PlannedExpectation, values: Mapping[str, Any],
           failed: Mapping[str, BaseException], path: str | None = None) -> ExpectationResult:
    error = item.error or next((failed[a] for a in item.aliases.values() if a in failed), None)
    if error is None and item.check is not None:
        try:
            verdict = item.check.evaluate({local: values[alias] for local, alias in item.aliases.items()})
        except Exception as exc:
            error = exc
        else:
            result = {} if item.result_format is ResultFormat.BOOLEAN_ONLY else verdict.result
            if item.partial_limit == 0:  # GX leaves the partial lists out altogether
                result = {k: v for k, v in result.items() if not k.startswith("partial_")}
            return ExpectationResult(item.config, verdict.success, result, _outcome(verdict))
    assert error is not None
    if not item.catch:
        if isinstance(error, SuiteError) and error.path is None:
            raise SuiteError(error.detail, path=item.path, index=item.index,
                             expectation_type=item.config.type, argument=error.argument) from None
        if isinstance(error, IntegrityError):
            raise error
        raise SuiteError(f"could not run: {run_error(error)}. {run_error_fix(item.config)}.",
                         path=item.path, index=item.index,
                         expectation_type=item.config.type) from error
    # Ours say what to do (planning errors also where); others keep their class name, as in GX.
    # One line either way: polars appends its plan after the first.
    message = (run_error(error) if isinstance(error, SuiteError) or
               not isinstance(error, IntegrityError) else
               located(run_error(error), path=path or item.path, index=item.index,
                       expectation_type=item.config.type))
    return ExpectationResult(
        item.config, False, {}, Outcome.ERROR,
        exception_info={
            "raised_exception": True,
            "exception_message": message,
            "exception_traceback": "".join(traceback.format_exception(error)),
        },
    )


def _outcome(verdict: Verdict) -> Outcome:
    """Passed or failed; a statistical check that had nothing to compare with (no history, no
    baseline) succeeds but says so in ``details.not_evaluated``: that is its own outcome."""
    details = verdict.result.get("details")
    if verdict.success and isinstance(details, Mapping) and details.get("not_evaluated"):
        return Outcome.NOT_EVALUATED
    return Outcome.PASSED if verdict.success else Outcome.FAILED


def validate_frame(
    lf: pl.LazyFrame | pl.DataFrame,
    suite: Suite,
    *,
    result_format: ResultFormat | str | None = None,
    catch_exceptions: bool | None = None,
    registry: Registry | None = None,
    tables: Mapping[str, pl.LazyFrame] | None = None,
    engine: str | None = None,
    low_memory: bool = False,
    chunk_rows: int | None = None,
    context: ValidationContext | None = None,
) -> ValidationResult:
    """Validate a polars frame against a suite in one fused pass.

    ``tables`` names other tables that expectations such as
    expect_table_row_count_to_equal_other_table compare against. ``engine`` is the polars
    engine ("in-memory", "streaming"; default: see :func:`polars_engine`). ``low_memory``: see
    :func:`run_plan`; it runs in row chunks of ``chunk_rows`` (default :data:`CHUNK_ROWS`).
    """
    lazy = lf.lazy() if isinstance(lf, pl.DataFrame) else lf
    plan = plan_suite(lazy, suite, result_format=result_format, catch_exceptions=catch_exceptions,
                      registry=registry, tables=tables, engine=engine,
                      chunk_rows=chunk_rows or (CHUNK_ROWS if low_memory else None),
                      context=context)
    return run_plan(lazy, plan, suite.name, low_memory=low_memory)

