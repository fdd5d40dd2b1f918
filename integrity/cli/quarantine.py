"""``integrity quarantine``: the stewards' review of held rows (list, show, release, reject).

Entries are named by their id or any unique prefix of it (4+ characters); ids are printed whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from integrity.cli.app import (
    NoteOpt,
    ProjectOpt,
    StewardOpt,
    app,
    clean,
    fail,
    guard,
    is_warning,
    out,
    print_indented,
    reason_text,
    short,
    value_text,
)

if TYPE_CHECKING:
    import polars as pl
    from rich.console import RenderableType

    from integrity.store import QuarantineRecord

quarantine_app = typer.Typer(help="Review quarantined rows: list, show, release or reject them.",
                             no_args_is_help=True, rich_markup_mode=None)
app.add_typer(quarantine_app, name="quarantine")

EntryId = Annotated[str, typer.Argument(help="Entry id, or a unique prefix of it (4+ characters).")]


@quarantine_app.command("list")
def quarantine_list(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="held, releasing, released, rejecting or rejected")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """List quarantine entries (newest first) and the expectations that held them."""
    with guard():
        from rich.console import Group
        from rich.padding import Padding
        from rich.table import Table

        from integrity.job import Project
        from integrity.store import QUARANTINE_STATUSES

        if status is not None and status not in QUARANTINE_STATUSES:
            raise fail(f"unknown status {status!r}; use one of {', '.join(QUARANTINE_STATUSES)}")
        with Project.load(project).open_store() as store:
            entries = store.quarantine_entries(dataset, status)[::-1]  # the store gives oldest first
        if not entries:
            out.print("No quarantine entries.")
            return
        # One wide column: the id whole, then its dataset and time, then what held it. Separate
        # columns for those would squeeze every one of them on an 80-column terminal.
        table = Table(title="Quarantine entries, newest first (under each id: its dataset, "
                            "created (UTC), what held it)", title_justify="left")
        table.add_column("id", min_width=max(len(e.id) for e in entries), overflow="fold")
        table.add_column("rows", justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for e in entries:
            created = e.created_at[:19].replace("T", " ")
            held = [reason_text(r, brief=True) for r in e.reasons if not is_warning(r)]
            cell: RenderableType = Group(
                clean(e.id), Padding(f"[dim]{clean(e.dataset)}, {clean(created)}[/]", (0, 0, 0, 2)),
                *(Padding(clean(r), (0, 0, 0, 2)) for r in held))
            table.add_row(cell, str(e.rows), clean(e.status))
        out.print(table)


@quarantine_app.command("show")
def quarantine_show(
    entry_id: EntryId,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Rows to print.")] = 20,
    project: ProjectOpt = Path("."),
) -> None:
    """Show one entry: why it was held, the warnings apart, and its first rows with their reasons."""
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
        _print_entry(entry)
        _print_rows(frame, limit)


def _print_entry(entry: QuarantineRecord) -> None:
    out.print(f"[bold]{clean(entry.id)}[/] ({clean(entry.status)}): {entry.rows} "
              f"row{'' if entry.rows == 1 else 's'} of dataset {clean(entry.dataset)}, batch "
              f"{clean(entry.batch_id)}")
    if entry.decided_by:
        out.print(f"{clean(entry.status)} by {clean(entry.decided_by)} at {clean(entry.decided_at)}"
                  + (f": {clean(entry.note)}" if entry.note else ""))
    if entry.status in ("releasing", "rejecting"):
        verb = {"releasing": "release", "rejecting": "reject"}[entry.status]
        out.print(f"its {verb} was interrupted: `integrity quarantine {verb} {clean(entry.id)} "
                  f"--steward NAME` (or the next `integrity run {clean(entry.dataset)}`) "
                  "finishes it" + ("; `reject` instead takes back what it published"
                                   if verb == "release" else ""))
    held = [r for r in entry.reasons if not is_warning(r)]
    warnings = [r for r in entry.reasons if is_warning(r)]
    out.print("Held because:" if held else "Held, with no reason recorded.")
    for reason in held:
        print_indented(clean(reason_text(reason)), 2)
    if warnings:
        out.print("Warnings only (these held nothing):")
        for reason in warnings:
            print_indented(clean(reason_text(reason)), 2)


def _print_rows(frame: pl.DataFrame, limit: int) -> None:
    """The first rows, one block per row: each value, and beside a failing one what it failed."""
    from rich.table import Table

    from integrity.gate import REASONS_COLUMN

    columns = [c for c in frame.columns if c != REASONS_COLUMN]
    shown = frame.head(max(limit, 0))
    out.print(f"Rows ({shown.height} of {frame.height}"
              + (f"; -n {frame.height} shows all" if shown.height < frame.height else "") + "):")
    rows = [(row, _row_reasons(row.get(REASONS_COLUMN))) for row in shown.iter_rows(named=True)]
    if any(r.get("action") != "quarantine_rows" for _, reasons in rows for r in reasons):
        out.print("  Every row is held with the whole batch (the reasons above).")
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column("column", max_width=40, overflow="fold")
    table.add_column("value", ratio=2, overflow="fold")
    table.add_column("failed", ratio=1)
    for number, (row, reasons) in enumerate(rows, start=1):
        table.add_row(f"{number:>3}", "", "", "")
        for column in columns:
            failed = [_failed_text(r) for r in reasons if column in _reason_columns(r)
                      and r.get("action") == "quarantine_rows"]
            table.add_row("", clean(column), clean(short(value_text(row[column]), 200)),
                          f"[red]{clean(', '.join(failed))}[/]" if failed else "")
    out.print(table)


def _row_reasons(text: Any) -> list[Mapping[str, Any]]:
    if not isinstance(text, str):
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _reason_columns(reason: Mapping[str, Any]) -> Sequence[str]:
    column = reason.get("column")
    if isinstance(column, str):
        return (column,)
    return [str(c) for c in column] if isinstance(column, list) else ()


def _failed_text(reason: Mapping[str, Any]) -> str:
    """``#i type`` without the ``expect_`` prefix: what a row's value failed."""
    if reason.get("error"):
        return "the suite could not run"
    name = str(reason.get("expectation_type") or "?").removeprefix("expect_")
    index = reason.get("expectation_index")
    return f"#{index} {name}" if index is not None else name


def _decide(entry_id: str, decision: str, steward: str, note: str | None, project: Path) -> None:
    with guard():
        from integrity.job import Project, reject, release

        proj = Project.load(project)
        action = release if decision == "released" else reject
        entry = action(proj, entry_id, steward=steward, note=note)
        out.print(f"{clean(entry.id)}: {clean(entry.status)} by {clean(entry.decided_by or steward)}"
                  + (f" ({entry.rows} rows published)" if decision == "released" else ""))


@quarantine_app.command("release")
def quarantine_release(
    entry_id: EntryId,
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Publish an entry's rows through the dataset's target, exactly once."""
    _decide(entry_id, "released", steward, note, project)


@quarantine_app.command("reject")
def quarantine_reject(
    entry_id: EntryId,
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Keep an entry out for good (its rows stay on disk, marked rejected); what an interrupted
    release had published is taken back."""
    _decide(entry_id, "rejected", steward, note, project)
