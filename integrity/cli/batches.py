"""``integrity batches``: the batches the job pulled, and giving up one whose staged copy is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from integrity.cli.app import NoteOpt, ProjectOpt, StewardOpt, app, guard, out

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
    with guard():
        from integrity.job import Project

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
    with guard():
        from integrity.job import Project, fail_batch

        batch = fail_batch(Project.load(project), batch_id, steward=steward, note=note)
        out.print(f"{escape(batch.batch_id)}: failed by {escape(steward)}; the watermark has not "
                  f"moved, so `integrity run {escape(batch.dataset)}` pulls its rows again.")

