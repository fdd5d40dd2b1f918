"""``integrity kpi``: the integrity KPI per dataset and day, and its exports for BI tools.

``integrity kpi [--dataset D] [--days N]`` prints it (80 columns suffice);
``integrity kpi export --format parquet|csv|prometheus --out PATH`` writes it. The definitions are in
docs/kpi.md; the numbers come from the results store's KPI views.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from integrity.cli.app import ProjectOpt, app, clean, fail, guard, out

if TYPE_CHECKING:
    import polars as pl
    from rich.table import Table

    from integrity.job import Project
    from integrity.kpi import KpiReport

kpi_app = typer.Typer(help="The integrity KPI per dataset and day (docs/kpi.md), and its exports.",
                      invoke_without_command=True, rich_markup_mode=None)
app.add_typer(kpi_app, name="kpi")

DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d", help="One dataset only.")]


@kpi_app.callback()
def kpi(
    ctx: typer.Context,
    dataset: DatasetOpt = None,
    days: Annotated[int, typer.Option("--days", "-n", min=1,
                                      help="UTC days to cover, today included.")] = 7,
    project: ProjectOpt = Path("."),
) -> None:
    """Print the integrity KPI: score, pass and quarantine rates, times to detect and resolve,
    freshness, what held rows, what fails most, and check coverage."""
    if ctx.invoked_subcommand is not None:
        return
    with guard():
        from integrity.kpi import report

        proj = _project(project)
        with proj.open_store() as store:
            found = report(store, dataset=dataset, days=days, max_age=_max_ages(proj))
        _print(found, dataset)


@kpi_app.command("export")
def kpi_export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet, csv or prometheus.")],
    out_path: Annotated[str, typer.Option("--out", "-o", help="File to write ('-': stdout, for "
                                          "csv and prometheus).")],
    view: Annotated[str, typer.Option("--view", help="parquet/csv: which KPI view: daily, "
                                      "indicators, failures, coverage, coverage_families, "
                                      "freshness or totals.")] = "daily",
    dataset: DatasetOpt = None,
    days: Annotated[int | None, typer.Option(
        "--days", "-n", min=1, help="UTC days to cover, today included (default: all; for "
                                    "prometheus, the gauges' window, default 1).")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Write the KPI for a BI tool: a view as Parquet or CSV, or the Prometheus metrics."""
    with guard():
        from integrity.kpi import FORMATS, VIEW_CHOICES, export

        if fmt not in FORMATS:
            raise fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        if view not in VIEW_CHOICES:
            raise fail(f"unknown view {view!r}; use one of {', '.join(VIEW_CHOICES)}")
        if out_path == "-" and fmt == "parquet":
            raise fail("Parquet is binary: give --out a file path, not '-'")
        proj = _project(project)
        target: Any = sys.stdout if out_path == "-" else Path(out_path)
        with proj.open_store() as store:
            written = export(store, fmt, target, view=view, dataset=dataset, days=days,
                             max_age=_max_ages(proj))
        if out_path != "-":
            what = "samples" if fmt == "prometheus" else f"rows of kpi_{view}"
            out.print(f"wrote {written} {what} to {clean(out_path)}")


def _project(root: Path) -> Project:
    from integrity.job import Project

    return Project.load(root)


def _max_ages(proj: Project) -> dict[str, float]:
    from integrity.kpi import max_ages

    return max_ages(proj.loadable_datasets())


# -- the table ---------------------------------------------------------------------------------

_HEAD = ("batches", "pass", "quar.", "rows", "score", "detect", "resolve", "lag")


def _print(found: KpiReport, dataset: str | None) -> None:
    window = (f"{found.since} to {found.until}" if found.since != found.until
              else f"{found.until}")
    out.print(f"Integrity KPI, {window} (UTC days; definitions in docs/kpi.md)")
    if found.daily.is_empty() and found.coverage.is_empty():
        who = f" for dataset {clean(repr(dataset))}" if dataset else ""
        out.print(f"No verdicts{who} in these days; `integrity run` records them.")
        return
    summary = {r["dataset"]: r for r in found.summary.iter_rows(named=True)}
    for name, rows in found.daily.group_by("dataset", maintain_order=True):
        table = _table(str(name[0]))
        for r in rows.iter_rows(named=True):
            table.add_row(f"  {r['day']}", *_cells(r))
        if rows.height > 1:
            table.add_row(f"  {rows.height} days", *_cells(summary[str(name[0])]), style="bold")
        out.print(table)
    _print_indicators(found.indicators)
    _print_failures(found.failures, found.daily)
    _print_coverage(found)


def _table(title: str, first: str = "day") -> Table:
    from rich.table import Table

    # No box: nine columns fit 80 with a space either side of each.
    table = Table(title=clean(title), title_justify="left", title_style="bold", box=None,
                  padding=(0, 1), pad_edge=False, header_style="bold underline")
    table.add_column(first, min_width=12, no_wrap=True)
    for head in _HEAD:
        table.add_column(head, justify="right", no_wrap=True)
    return table


def _cells(r: dict[str, Any]) -> list[str]:
    return [str(r["batches"]), _percent(r["batch_pass_rate"]), _percent(r["quarantine_rate"]),
            _count(r["rows_checked"]), _percent(r["integrity_score"]),
            _duration(r["time_to_detect_avg_s"]), _duration(r["time_to_resolve_avg_s"]),
            _duration(r["freshness_lag_s"])]


def _print_indicators(indicators: pl.DataFrame) -> None:
    if indicators.is_empty():
        return
    import polars as pl
    from rich.table import Table

    top = (indicators.group_by("dataset", "expectation_type", "tag")
           .agg(pl.col("rows_quarantined").sum(), pl.col("batches").sum())
           .sort(["rows_quarantined", "dataset", "expectation_type"], descending=[True, False, False],
                 nulls_last=True).head(10))
    table = Table(title="Rows quarantined by indicator (expectation, meta.tag)",
                  title_justify="left", title_style="bold", padding=(0, 1))
    table.add_column("dataset", overflow="fold")
    table.add_column("indicator", overflow="fold", ratio=1)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("batches", justify="right", no_wrap=True)
    for r in top.iter_rows(named=True):
        name = str(r["expectation_type"]).removeprefix("expect_")
        table.add_row(clean(r["dataset"]), clean(name + (f" [{r['tag']}]" if r["tag"] else "")),
                      _count(r["rows_quarantined"]), str(r["batches"]))
    out.print(table)


def _print_failures(failures: pl.DataFrame, daily: pl.DataFrame) -> None:
    if failures.is_empty():
        return
    import polars as pl
    from rich.table import Table

    batches = daily.group_by("dataset").agg(pl.col("batches").sum())
    top = (failures.group_by("dataset", "expectation_type", "column_name")
           .agg(pl.col("failures").sum()).join(batches, on="dataset", how="left")
           .sort(["failures", "dataset", "expectation_type"], descending=[True, False, False])
           .head(10))
    table = Table(title="Expectations that fail most", title_justify="left", title_style="bold",
                  padding=(0, 1))
    table.add_column("dataset", overflow="fold")
    table.add_column("expectation on column", overflow="fold", ratio=1)
    table.add_column("failed", justify="right", no_wrap=True)
    table.add_column("of batches", justify="right", no_wrap=True)
    for r in top.iter_rows(named=True):
        what = str(r["expectation_type"]).removeprefix("expect_")
        if r["column_name"]:
            what += f" on {r['column_name']}"
        table.add_row(clean(r["dataset"]), clean(what), str(r["failures"]),
                      _percent(r["failures"] / r["batches"] if r["batches"] else None))
    out.print(table)


def _print_coverage(found: KpiReport) -> None:
    from rich.table import Table

    families: dict[str, list[str]] = {}
    for r in found.families.iter_rows(named=True):
        families.setdefault(r["dataset"], []).append(f"{r['family']} {r['expectations']}")
    lag = {r["dataset"]: r for r in found.freshness.iter_rows(named=True)}
    table = Table(title="Coverage and freshness now", title_justify="left", title_style="bold",
                  padding=(0, 1))
    table.add_column("dataset", overflow="fold")
    table.add_column("checks", justify="right", no_wrap=True)
    table.add_column("families (expectations)", overflow="fold", ratio=1)
    table.add_column("lag", justify="right", no_wrap=True)
    table.add_column("max age", justify="right", no_wrap=True)
    table.add_column("open", justify="right", no_wrap=True)
    for r in found.coverage.iter_rows(named=True):
        name = r["dataset"]
        fresh = lag.get(name, {})
        seconds, limit = fresh.get("freshness_lag_s"), found.max_age.get(name)
        stale = seconds is not None and limit is not None and seconds > limit
        table.add_row(clean(name), str(r["expectations"]) if r["has_suite"] else "none",
                      clean(", ".join(sorted(families.get(name, [])))) or "-",
                      ("[bold red]STALE[/] " if stale else "") + _duration(seconds),
                      _duration(limit), str(fresh.get("open_entries", 0)))
    out.print(table)


def _percent(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1:
        return "100%"
    # Floored, so a score short of 1 never shows as 100%.
    return f"{math.floor(value * 1000) / 10:.1f}%"


def _count(value: int | None) -> str:
    if value is None:
        return "-"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= max(size, 1e4):  # 4 digits fit as they are
            return f"{value / size:.1f}{suffix}"
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = round(seconds, 1)  # SQLite's julianday arithmetic leaves 3599.9999 for an hour
    if seconds < 60:
        return f"{max(seconds, 0):.1f}s"
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds / 60:.0f}m"
