"""``integrity run`` and ``integrity quarantine``: the integrity job and the steward's review.

Exit codes of ``run``: 0 every row published, 1 something was quarantined, 2 an error (bad
definition, unreachable source, another run holding the lock). Heavy imports stay inside commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from integrity.cli import EXIT_INPUT, _guard, app, err, fail, out, settle_imports

if TYPE_CHECKING:
    from integrity.pipeline import RunSummary

quarantine_app = typer.Typer(help="Review quarantined rows: list, show, release or reject them.",
                             no_args_is_help=True, rich_markup_mode=None)
app.add_typer(quarantine_app, name="quarantine")

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder (holds integrity.yaml).")]
StewardOpt = Annotated[str, typer.Option("--steward", "-s", help="Who decides (recorded in the audit).")]
NoteOpt = Annotated[str | None, typer.Option("--note", "-m")]


@app.command()
def run(
    dataset: Annotated[str | None, typer.Argument(help="Dataset name (connectors/<name>.yaml).")] = None,
    all_datasets: Annotated[bool, typer.Option("--all", help="Run every dataset.")] = False,
    start: Annotated[str | None, typer.Option(
        "--from", help="Backfill from this cursor value: re-validate the range without moving the "
                       "watermark; rows earlier runs took are never published again.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Backfill up to this cursor value.")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Pull new rows, validate them, publish the clean ones and quarantine the rest.

    Exit code: 0 everything published, 1 something quarantined, 2 an error."""
    with _guard():
        if dataset and all_datasets:
            raise fail(f"name a dataset ({dataset!r}) or pass --all, not both")
        if all_datasets and (start is not None or end is not None):
            raise fail("--from/--to backfill one dataset at a time; name it instead of --all")
        from integrity.pipeline import Project

        proj = Project.load(project)
        names = proj.dataset_names() if all_datasets else [dataset] if dataset else []
        if not names:
            raise fail("name a dataset, or pass --all. Datasets: "
                       + (", ".join(proj.dataset_names()) or "none (add connectors/<name>.yaml)"))
        codes: dict[str, int] = {}
        for name in names:
            summary = _run_one(proj, name, _cursor_value(start), _cursor_value(end))
            codes[name] = summary.exit_code if summary else EXIT_INPUT
        if len(names) > 1:
            counts = [sum(1 for c in codes.values() if c == k) for k in (0, 1, EXIT_INPUT)]
            failed = [n for n, c in codes.items() if c == EXIT_INPUT]
            out.print(f"{len(names)} datasets: {counts[0]} clean, {counts[1]} with quarantined rows, "
                      f"{counts[2]} failed" + (f" ({escape(', '.join(failed))})" if failed else "") + ".")
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


def _run_one(proj: Any, name: str, start: Any, end: Any) -> RunSummary | None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from integrity import pipeline
    from integrity.errors import IntegrityError

    settle_imports()

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task(f"{name}: starting", total=None)
        try:
            summary = pipeline.run(proj, name, start=start, end=end,
                                   progress=lambda msg: progress.update(task, description=escape(f"{name}: {msg}")))
        except IntegrityError as exc:
            message = str(exc)
            if f"{name!r}" not in message and f"dataset {name}" not in message:
                message = f"dataset {name!r}: {message}"
            err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
            return None
    _print_summary(summary)
    return summary


def _print_summary(summary: RunSummary) -> None:
    if not summary.batches:
        out.print(f"{escape(summary.dataset)}: no new rows.")
        return
    table = Table(title=f"{summary.dataset} (run {summary.run_id})", title_justify="left")
    for column in ("batch", "rows", "published", "quarantined", "status", "failed expectations"):
        table.add_column(column, overflow="fold")
    for b in summary.batches:
        table.add_row(escape(b.batch_id[:18]) + (" (recovered)" if b.recovered else ""), str(b.rows),
                      str(b.published_rows), str(b.quarantined_rows), b.status,
                      escape(", ".join(b.failed_expectations) or "-"))
    out.print(table)
    for b in summary.batches:
        if b.already_done:
            out.print(f"  batch {escape(b.batch_id)}: this range was backfilled before with the same "
                      "rows; nothing was published again.")
        if b.revalidated_rows:
            out.print(f"  batch {escape(b.batch_id)}: {b.revalidated_rows} rows had been taken by earlier "
                      f"runs: re-validated, not published again; {b.flagged_rows} of them fail the "
                      "suite today.")
        for qid in b.quarantine_ids:
            out.print(f"  quarantined as {escape(qid)}: review with `integrity quarantine show {escape(qid)}`")
    held = any(b.quarantined_rows or b.quarantine_ids for b in summary.batches)
    verdict = ("something was quarantined (exit 1)" if held
               else "rows taken earlier fail the suite today (exit 1)" if summary.quarantined
               else "every row published (exit 0)")
    out.print(f"{escape(summary.dataset)}: {verdict}.")


@quarantine_app.command("list")
def quarantine_list(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    status: Annotated[str | None, typer.Option("--status", help="held, released or rejected")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """List quarantine entries (newest first)."""
    with _guard():
        from integrity.pipeline import Project
        from integrity.store import QUARANTINE_STATUSES

        if status is not None and status not in QUARANTINE_STATUSES:
            raise fail(f"unknown status {status!r}; use one of {', '.join(QUARANTINE_STATUSES)}")
        with Project.load(project).open_store() as store:
            entries = store.quarantine_entries(dataset, status)
        table = Table()
        for column in ("id", "dataset", "rows", "status", "created", "reasons"):
            table.add_column(column)
        for e in entries:
            created = e.created_at[:19].replace("T", " ")  # to the second, in UTC
            table.add_row(escape(e.id), escape(e.dataset), str(e.rows), e.status, created,
                          escape(_reason_summary(e.reasons)))
        out.print(table if entries else "No quarantine entries.")


@quarantine_app.command("show")
def quarantine_show(
    entry_id: Annotated[str, typer.Argument(help="Entry id (or a unique prefix).")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="Rows to print.")] = 20,
    project: ProjectOpt = Path("."),
) -> None:
    """Show one entry: why it was held and its first rows."""
    with _guard():
        from integrity.pipeline import Project

        proj = Project.load(project)
        with proj.open_store() as store:
            entry = store.quarantine_entry(entry_id)
            if entry is None:
                raise fail(f"no quarantine entry {entry_id!r}; `integrity quarantine list` shows them")
            files = proj.quarantine_files(proj.dataset(entry.dataset))
            try:
                frame = files.read(entry.id)
            except KeyError:
                raise fail(f"quarantine entry {entry.id} of dataset {entry.dataset!r} is in the store "
                           f"but its files are missing under {files.root}; restore them from a "
                           "backup.") from None
        out.print(f"[bold]{escape(entry.id)}[/] dataset {escape(entry.dataset)}, batch "
                  f"{escape(entry.batch_id)}, {entry.rows} rows, {entry.status}")
        if entry.decided_by:
            out.print(f"decided by {escape(entry.decided_by)} at {entry.decided_at}: {escape(entry.note or '')}")
        for reason in entry.reasons:
            out.print("  reason: " + escape(json.dumps(reason, default=str, ensure_ascii=False)))
        table = Table()
        shown = frame.head(limit)
        for column in shown.columns:
            table.add_column(escape(column))
        for row in shown.iter_rows():
            table.add_row(*[escape(str(v))[:80] for v in row])
        out.print(table)


def _decide(entry_id: str, decision: str, steward: str, note: str | None, project: Path) -> None:
    with _guard():
        from integrity.pipeline import Project, reject, release

        proj = Project.load(project)
        action = release if decision == "released" else reject
        entry = action(proj, entry_id, steward=steward, note=note)
        out.print(f"{escape(entry.id)}: {entry.status} by {escape(steward)}"
                  + (f" ({entry.rows} rows published)" if decision == "released" else ""))


@quarantine_app.command("release")
def quarantine_release(
    entry_id: Annotated[str, typer.Argument()],
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Publish an entry's rows through the dataset's target, exactly once."""
    _decide(entry_id, "released", steward, note, project)


@quarantine_app.command("reject")
def quarantine_reject(
    entry_id: Annotated[str, typer.Argument()],
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Keep an entry out for good (its rows stay on disk, marked rejected)."""
    _decide(entry_id, "rejected", steward, note, project)


def _reason_summary(reasons: list[dict[str, Any]]) -> str:
    names = [str(r.get("expectation_type") or r.get("error") or "?") for r in reasons]
    return ", ".join(dict.fromkeys(names))[:120]


batches_app = typer.Typer(help="The batches the job pulled: list them, or give up a stuck one.",
                          no_args_is_help=True, rich_markup_mode=None)
app.add_typer(batches_app, name="batches")


@batches_app.command("list")
def batches_list(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Batches to list.")] = 20,
    project: ProjectOpt = Path("."),
) -> None:
    """List batches, newest first, with their status and row counts."""
    with _guard():
        from integrity.pipeline import Project

        with Project.load(project).open_store() as store:
            batches = store.batches(dataset, limit=limit)
        table = Table()
        for column in ("batch", "dataset", "status", "rows", "published", "quarantined", "pulled"):
            table.add_column(column)
        for b in batches:
            rows = b.info.get("row_count", "")
            table.add_row(escape(b.batch_id), escape(b.dataset), b.status, str(rows),
                          str(b.published_rows), str(b.quarantined_rows),
                          escape(str(b.info.get("pulled_at", ""))[:19].replace("T", " ")))
        out.print(table if batches else "No batches.")


@batches_app.command("fail")
def batches_fail(
    batch_id: Annotated[str, typer.Argument()],
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Give up a pending batch whose staged copy is lost; the next run pulls its rows again."""
    with _guard():
        from integrity.pipeline import Project, fail_batch

        batch = fail_batch(Project.load(project), batch_id, steward=steward, note=note)
        out.print(f"{escape(batch.batch_id)}: failed by {escape(steward)}; the watermark has not "
                  f"moved, so `integrity run {escape(batch.dataset)}` pulls its rows again.")
