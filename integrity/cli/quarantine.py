"""``integrity quarantine``: the stewards' review of held rows (list, show, release, reject)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from integrity.cli.app import NoteOpt, ProjectOpt, StewardOpt, app, fail, guard, out

quarantine_app = typer.Typer(help="Review quarantined rows: list, show, release or reject them.",
                             no_args_is_help=True, rich_markup_mode=None)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    status: Annotated[str | None, typer.Option("--status", help="held, released or rejected")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """List quarantine entries (newest first)."""
    with guard():
        from integrity.job import Project
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
    with guard():
        from integrity.job import Project

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
    with guard():
        from integrity.job import Project, reject, release

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
    names = [str(r.get("expectation_type") or r.get("check") or r.get("error") or "?") for r in reasons]
    return ", ".join(dict.fromkeys(names))[:120]

