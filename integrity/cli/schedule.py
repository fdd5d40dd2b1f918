"""``integrity schedule``: run every dataset's job on its ``schedule:``, and list the schedules.

``start`` runs in the foreground until SIGTERM or SIGINT (what systemd or a container expects) and
logs one line per run on stderr; ``list`` shows each scheduled dataset's trigger, last run and
verdict, and next run. Exit code 2 when a definition stops the scheduler from starting (each
problem on one line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from integrity.cli.app import EXIT_INPUT, ProjectOpt, app, clean, err, guard, out

schedule_app = typer.Typer(help="Run the datasets' jobs on their schedules (connectors/*.yaml: "
                                "schedule).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(schedule_app, name="schedule")


@schedule_app.command("start")
def schedule_start(
    project: ProjectOpt = Path("."),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=(
        "Datasets that may run at the same time, each in its own process."))] = 4,
    metrics_port: Annotated[int, typer.Option("--metrics-port", min=0, max=65535, help=(
        "Port of the Prometheus /metrics endpoint; 0 serves none."))] = 9464,
    metrics_host: Annotated[str, typer.Option("--metrics-host", help=(
        "Address /metrics listens on (0.0.0.0 in a container)."))] = "127.0.0.1",
    retries: Annotated[int, typer.Option("--retries", min=0, max=20, help=(
        "Retries of a run that failed for a transient reason (source, network, lock)."))] = 3,
    backoff: Annotated[float, typer.Option("--backoff", min=0.1, help=(
        "Seconds before the first retry; doubled for each further one."))] = 10.0,
    misfire_grace: Annotated[float, typer.Option("--misfire-grace", min=1, help=(
        "Seconds a run may start late (scheduler down or busy) before it counts as missed."))] = 300.0,
    run_timeout: Annotated[float, typer.Option("--run-timeout", min=1, help=(
        "Seconds a run may take before it is stopped and reported failed."))] = 3600.0,
    stop_timeout: Annotated[float, typer.Option("--stop-timeout", min=0, help=(
        "On SIGTERM/SIGINT, seconds the runs going on get to finish."))] = 60.0,
) -> None:
    """Run every dataset with a `schedule:` on it, until SIGTERM or SIGINT.

    Exit code: 0 after a clean stop, 2 when a definition (a schedule, an alert) cannot be used."""
    with guard():
        from integrity.job import Project
        from integrity.schedule.runner import Policy
        from integrity.schedule.service import Options, Service

        options = Options(workers=workers, metrics_host=metrics_host, metrics_port=metrics_port,
                          misfire_grace=misfire_grace, stop_timeout=stop_timeout,
                          policy=Policy(retries=retries, backoff=backoff, run_timeout=run_timeout))
        service = Service.prepare(Project.load(project), options)
        raise typer.Exit(service.run())


@schedule_app.command("list")
def schedule_list(project: ProjectOpt = Path(".")) -> None:
    """Show each scheduled dataset's trigger, last run and verdict, and next run (UTC)."""
    with guard():
        from rich.table import Table

        from integrity.job import Project
        from integrity.schedule.listing import entries

        found, problems = entries(Project.load(project))
        if found:
            table = Table(title="Scheduled datasets (times in UTC)", title_justify="left")
            for column in ("dataset", "trigger", "last run", "verdict", "next run"):
                table.add_column(column, overflow="fold")
            for e in found:
                next_run = _time(e.next_run) + (f" ({e.next_note})" if e.next_note else "")
                table.add_row(clean(e.dataset), clean(e.trigger), _time(e.last_run),
                              clean(e.verdict or "never run"), clean(next_run))
            out.print(table)
            for e in found:
                if e.verdict == "failed" and e.error:
                    out.print(f"{clean(e.dataset)}: last run failed: {clean(e.error)}",
                              soft_wrap=True)
        elif not problems:
            out.print("No dataset has a schedule (add `schedule: every 15m` to connectors/<name>.yaml).")
        for problem in problems:
            err.print(f"[bold red]error:[/] {clean(problem)}", soft_wrap=True)
        if problems:
            raise typer.Exit(EXIT_INPUT)


def _time(value: object) -> str:
    import datetime as dt

    if not isinstance(value, dt.datetime):
        return "—"
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"
