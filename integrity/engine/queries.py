"""How a plan's metrics are computed: the fused select (one broken metric isolated by running
each alone), groups of columns at the same time, row chunks merged (low-memory), own passes.

Called by :func:`integrity.engine.polars_engine.run_plan`; results go into ``values`` (alias to
value) and ``failed`` (alias to the exception), so one failing metric never sinks the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from integrity.checks.out_of_core import row_chunks
from integrity.engine.column_groups import metric_columns

if TYPE_CHECKING:
    from integrity.engine.polars_engine import EngineName, Plan


def run_passes(lf: pl.LazyFrame, plan: Plan, values: dict[str, Any],
                failed: dict[str, BaseException]) -> None:
    """The metrics that need their own pass. A low-memory plan runs two at a time: each reads
    one or two columns chunk by chunk and leaves a core idle while it sorts or spills."""

    def run(alias: str) -> None:
        metric = plan.passes[alias]
        try:
            assert metric.run is not None
            values[alias] = metric.run(lf)
        except (Exception, pl.exceptions.PanicException) as exc:
            failed[alias] = exc

    if plan.chunk_rows and len(plan.passes) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="integrity-pass") as pool:
            list(pool.map(run, plan.passes))
    else:
        for alias in plan.passes:
            run(alias)


def run_in_chunks(lf: pl.LazyFrame, plan: Plan, aliases: list[str], values: dict[str, Any],
                   failed: dict[str, BaseException]) -> None:
    """The metrics ``aliases`` chunk by chunk: each chunk of rows (only the columns they need,
    see :func:`row_chunks`) is one in-memory query of every metric's parts; the parts are then
    merged (see :class:`Partial`). A metric failing on a chunk is isolated."""
    columns_of = metric_columns({a: plan.fused[a] for a in aliases}, plan.needs, plan.inputs)
    schema = lf.collect_schema()
    names = [n for n in schema.names() if any(n in c for c in columns_of.values())]
    live = list(aliases)
    gathered: dict[str, list[tuple[int, tuple[Any, ...]]]] = {a: [] for a in aliases}

    def parts(alias: str) -> list[pl.Expr]:
        return [p.alias(f"{alias}_{i}") for i, p in enumerate(plan.partials[alias].parts)]

    def compute(chunk: pl.DataFrame, offset: int) -> None:
        computed: dict[str, Any] = {}
        select_outputs(chunk.lazy(), plan, {a: parts(a) for a in live}, computed, failed,
                        "in-memory")
        for alias in list(live):
            if alias in failed:
                live.remove(alias)
                continue
            count = len(plan.partials[alias].parts)
            gathered[alias].append((offset, tuple(computed[f"{alias}_{i}"] for i in range(count))))

    offset = 0
    try:
        assert plan.chunk_rows is not None
        for chunk in row_chunks(lf, names, plan.chunk_rows):
            if live:
                compute(chunk, offset)  # an empty batch is one empty chunk
            offset += chunk.height
    except (Exception, pl.exceptions.PanicException) as exc:  # the batch itself failed to read
        for alias in live:
            failed[alias] = exc
        return
    for alias in live:
        try:
            values[alias] = plan.partials[alias].merge(gathered[alias])
        except (Exception, pl.exceptions.PanicException) as exc:
            failed[alias] = exc


def select_together(lf: pl.LazyFrame, plan: Plan, groups: list[list[str]], values: dict[str, Any],
                     failed: dict[str, BaseException], engine: EngineName) -> None:
    """One query per group of metrics, run at the same time; a failure falls back to isolating."""
    queries = [plan.frame(lf, group).select([plan.fused[a] for a in group]) for group in groups]
    try:
        for frame in pl.collect_all(queries, engine=engine):
            values.update(frame.row(0, named=True))
    except (Exception, pl.exceptions.PanicException):
        for group in groups:
            select_metrics(lf, plan, {a: plan.fused[a] for a in group}, values, failed, engine)


def select_metrics(lf: pl.LazyFrame, plan: Plan, exprs: Mapping[str, pl.Expr], values: dict[str, Any],
            failed: dict[str, BaseException], engine: EngineName) -> None:
    """Compute ``exprs`` in one select; if that fails, each alone, so one broken metric is isolated."""
    select_outputs(lf, plan, {alias: [expr] for alias, expr in exprs.items()}, values, failed,
                    engine)


def select_outputs(lf: pl.LazyFrame, plan: Plan, outputs: Mapping[str, list[pl.Expr]],
                    values: dict[str, Any], failed: dict[str, BaseException],
                    engine: EngineName) -> None:
    """Each metric's output columns (its expression, or its chunk parts), all in one select; if
    that fails, each metric's alone, and a metric that fails alone is recorded in ``failed``."""
    try:
        frame = plan.frame(lf, outputs).select([e for exprs in outputs.values() for e in exprs])
        values.update(frame.collect(engine=engine).row(0, named=True))
    except (Exception, pl.exceptions.PanicException):
        for alias, exprs in outputs.items():
            try:
                one = plan.frame(lf, [alias]).select(exprs).collect(engine=engine)
                values.update(one.row(0, named=True))
            except (Exception, pl.exceptions.PanicException) as exc:
                failed[alias] = exc
