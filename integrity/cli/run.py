"""``integrity run``: the integrity job from the command line, with a progress line and a summary.

Exit codes of ``run``: 0 every row published, 1 something was quarantined, 2 an error (bad
definition, unreachable source, another run holding the lock). Heavy imports stay inside commands.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from integrity.cli.app import (
    EXIT_INPUT,
    NowOpt,
    ProjectOpt,
    app,
    clean,
    err,
    fail,
    guard,
    out,
    parse_now,
    print_indented,
    reason_text,
    settle_imports,
    warn,
)

if TYPE_CHECKING:
    from integrity.job import BatchOutcome, RunSummary


@app.command()
def run(
    dataset: Annotated[str | None, typer.Argument(help="Dataset name (connectors/<name>.yaml).")] = None,
    all_datasets: Annotated[bool, typer.Option("--all", help="Run every dataset.")] = False,
    start: Annotated[str | None, typer.Option(
        "--from", help="Backfill from this cursor value: re-validate the range without moving the "
                       "watermark; rows earlier runs took are never published again.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Backfill up to this cursor value.")] = None,
    project: ProjectOpt = Path("."),
    now: NowOpt = None,
    new_store: Annotated[bool, typer.Option(
        "--new-store", help="Create the results store even though earlier runs left state here "
                            "(staged batches, published markers, quarantine): its watermarks start "
                            "empty, so rows already published may be published again.")] = False,
) -> None:
    """Pull new rows, validate them, publish the clean ones and quarantine the rest.

    Exit code: 0 everything published, 1 something quarantined, 2 an error."""
    with guard():
        if dataset and all_datasets:
            raise fail(f"name a dataset ({dataset!r}) or pass --all, not both")
        if all_datasets and (start is not None or end is not None):
            raise fail("--from/--to backfill one dataset at a time; name it instead of --all")
        from integrity.job import Project

        proj = Project.load(project, new_store=new_store)
        names = proj.dataset_names() if all_datasets else [dataset] if dataset else []
        if not names:
            raise fail("name a dataset, or pass --all. Datasets: "
                       + (", ".join(proj.dataset_names()) or "none (add connectors/<name>.yaml)"))
        clock = parse_now(now)
        codes: dict[str, int] = {}
        stale: list[str] = []
        for name in names:
            summary = _run_one(proj, name, _cursor_value(start), _cursor_value(end), clock)
            codes[name] = summary.exit_code if summary else EXIT_INPUT
            if summary is not None and summary.stale:
                stale.append(name)
        if len(names) > 1:
            counts = [sum(1 for c in codes.values() if c == k) for k in (0, 1, EXIT_INPUT)]
            failed = [n for n, c in codes.items() if c == EXIT_INPUT]
            out.print(f"{len(names)} datasets: {counts[0]} clean, {counts[1] - len(stale)} with "
                      "quarantined rows, "
                      + (f"{len(stale)} stale ({clean(', '.join(stale))}), " if stale else "")
                      + f"{counts[2]} failed" + (f" ({clean(', '.join(failed))})" if failed else "")
                      + ".")
        raise typer.Exit(max(codes.values()))


def _cursor_value(text: str | None) -> Any:
    """--from/--to values: numbers stay numbers; anything else (ISO dates) stays text."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _run_one(proj: Any, name: str, start: Any, end: Any,
             now: dt.datetime | None = None) -> RunSummary | None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from integrity import job
    from integrity.errors import IntegrityError

    settle_imports()

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task(clean(f"{name}: starting"), total=None)
        try:
            summary = job.run(proj, name, start=start, end=end, now=now,
                              progress=lambda msg: progress.update(task, description=clean(f"{name}: {msg}")))
        except IntegrityError as exc:
            for message in str(exc).splitlines() or [str(exc)]:  # a suite's problems: one each
                if f"{name!r}" not in message and f"dataset {name}" not in message:
                    message = f"dataset {name!r}: {message}"
                err.print(f"[bold red]error:[/] {clean(message)}", soft_wrap=True)
            _alert(proj, name, error=exc)
            return None
        except Exception as exc:
            _alert(proj, name, error=exc)
            raise
    _print_summary(summary)
    _alert(proj, name, summary=summary)
    return summary


def _alert(proj: Any, name: str, *, summary: RunSummary | None = None,
           error: BaseException | None = None) -> None:
    """The run's alerts (integrity.yaml / the dataset's ``alerts:``); they never change its exit
    code, and what they could not deliver is one warning each."""
    from integrity.job.alerting import RunOutcome, after_run, run_secrets

    if summary is not None:
        outcome = RunOutcome.of_summary(summary)
    else:
        assert error is not None
        outcome = RunOutcome.of_error(name, error, run_secrets(proj, name))
    for line in after_run(proj, outcome):
        warn(line)


def _print_summary(summary: RunSummary) -> None:
    for note in summary.notes:
        out.print(f"{clean(summary.dataset)}: {clean(note)}")
    for warning in summary.suite_warnings:
        warn(f"dataset {summary.dataset!r}: {warning}")
    if summary.freshness is not None:  # the pull found no new rows (a recovered batch aside)
        from integrity.job.freshness import describe

        line = clean(describe(summary.dataset, summary.freshness))
        out.print(line + (" [bold red](exit 1)[/]" if summary.stale else ""))
    elif not summary.batches:
        out.print(f"{clean(summary.dataset)}: no new rows.")
    if not summary.batches:
        return
    table = Table(title=f"{clean(summary.dataset)} (run {summary.run_id})", title_justify="left")
    table.add_column("batch", no_wrap=True)  # whole, so it can be pasted into `integrity batches`
    for column in ("rows", "published", "quarantined", "status"):
        table.add_column(column, justify="right" if column != "status" else "left", no_wrap=True)
    for b in summary.batches:
        table.add_row(clean(b.batch_id), str(b.rows), str(b.published_rows), str(b.quarantined_rows),
                      clean(b.status))
    out.print(table)
    for b in summary.batches:
        _print_batch_notes(b)
    held = any(b.quarantined_rows or b.quarantine_ids for b in summary.batches)
    dropped = sum(b.dropped_rows for b in summary.batches)
    warned = any(b.late_action == "warn" and (b.late_rows or b.null_cursor_rows)
                 for b in summary.batches)
    verdict = ("something was quarantined (exit 1)" if held
               else "rows taken earlier fail the suite today (exit 1)" if summary.quarantined
               else "every row published, but the source is stale (exit 1)" if summary.stale
               else f"{dropped} late or NULL-cursor rows dropped (late_rows: drop), every other row "
                    "published (exit 0)" if dropped
               else "every row published, late or NULL-cursor rows among them (late_rows: warn) "
                    "(exit 0)" if warned
               else "every row published (exit 0)")
    out.print(f"{clean(summary.dataset)}: {verdict}.")


def _print_batch_notes(b: BatchOutcome) -> None:
    """What a steward needs under the table: why rows were held, the warnings apart, the ids."""
    batch = clean(b.batch_id)
    if b.recovered:
        out.print(f"  batch {batch} (recovered): an interrupted run left it pending; this run "
                  "finished it.")
    if b.already_done:
        out.print(f"  batch {batch}: this range was backfilled before with the same rows; "
                  "nothing was published again.")
    if b.revalidated_rows:
        out.print(f"  batch {batch}: {b.revalidated_rows} rows had been taken by earlier runs: "
                  f"re-validated, not published again; {b.flagged_rows} of them fail the suite today.")
    if b.held_by:
        heading = "quarantined because" if b.quarantined_rows or b.quarantine_ids else "fails today"
        out.print(f"  {heading}:")
        for reason in b.held_by:
            print_indented(clean(reason_text(reason)), 4)
    if b.warnings:
        out.print("  warnings only (nothing held):")
        for reason in b.warnings:
            print_indented(clean(reason_text(reason)), 4)
    for line in b.notes:  # late rows and what happened to them; files left alone
        out.print(f"  batch {batch}: {clean(line)}", soft_wrap=True)
    for qid in b.quarantine_ids:
        out.print(f"  quarantined as {clean(qid)}; review it with\n"
                  f"    integrity quarantine show {clean(qid)}")
