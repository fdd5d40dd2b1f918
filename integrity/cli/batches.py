"""``integrity batches``: the batches the job pulled, and giving up one whose staged copy is lost.

Batches are named by their id or any unique prefix of it (4+ characters); ids are printed whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from integrity.cli.app import NoteOpt, ProjectOpt, StewardOpt, app, clean, fail, guard, out

if TYPE_CHECKING:
    from rich.console import RenderableType

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
        from rich.console import Group
        from rich.padding import Padding
        from rich.table import Table

        from integrity.job import Project

        with Project.load(project).open_store() as store:
            batches = store.batches(dataset, limit=limit)
        if not batches:
            out.print("No batches.")
            return
        table = Table(title="Batches, newest first (under each id: its dataset and when it was "
                            "pulled, in UTC)", title_justify="left")
        # Ids whole (pasteable into `batches fail`); a long dataset name under one folds.
        table.add_column("batch", min_width=max(len(b.batch_id) for b in batches), overflow="fold")
        table.add_column("status", no_wrap=True)
        for column in ("rows", "published", "quarantined"):
            table.add_column(column, justify="right", no_wrap=True)
        for b in batches:
            pulled = str(b.info.get("pulled_at", ""))[:19].replace("T", " ")
            cell: RenderableType = Group(clean(b.batch_id), Padding(
                f"[dim]{clean(b.dataset)}\npulled {clean(pulled)}[/]", (0, 0, 0, 2)))
            table.add_row(cell, clean(b.status), str(b.info.get("row_count", "")),
                          str(b.published_rows), str(b.quarantined_rows))
        out.print(table)


@batches_app.command("fail")
def batches_fail(
    batch_id: Annotated[str, typer.Argument(help="Batch id, or a unique prefix of it (4+ characters).")],
    steward: StewardOpt,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Give up a pending batch whose staged copy is lost; the next run pulls its rows again."""
    with guard():
        from integrity.job import Project, fail_batch

        proj = Project.load(project)
        with proj.open_store() as store:
            found = store.find_batch(batch_id)
        if found is None:
            raise fail(f"no batch {batch_id!r} in the results store; `integrity batches list` "
                       "shows them")
        batch = fail_batch(proj, found.batch_id, steward=steward, note=note)
        out.print(f"{clean(batch.batch_id)}: failed by {clean(steward)}; the watermark has not "
                  f"moved, so `integrity run {clean(batch.dataset)}` pulls its rows again.")
