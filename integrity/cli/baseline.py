"""``integrity baseline``: set and show what a dataset's drift checks compare its batches with."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from integrity.cli.app import NoteOpt, ProjectOpt, app, clean, clean_json, guard, out
from integrity.jsonable import jsonable

if TYPE_CHECKING:
    from integrity.store import BaselineRecord

baseline_app = typer.Typer(help="A dataset's baseline: the profile its drift checks compare "
                                "batches with (reference \"baseline\").",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("set")
def baseline_set(
    dataset: Annotated[str, typer.Argument(help="Dataset name (connectors/<name>.yaml).")],
    from_batch: Annotated[str | None, typer.Option(
        "--from-batch", help="The profile of this published batch (its id, or a unique prefix "
                             "of 4+ characters).")] = None,
    file: Annotated[str | None, typer.Option(
        "--file", help="A profile of this Parquet or CSV file (relative to the project).")] = None,
    rolling: Annotated[int | None, typer.Option(
        "--rolling", help="The last N published batches' profiles, merged when a check asks.")
    ] = None,
    steward: Annotated[str | None, typer.Option(
        "--steward", "-s", help="Who sets it (recorded in the audit; default: the OS user).")
    ] = None,
    note: NoteOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Set the baseline of DATASET from one batch, a file, or the last N batches (rolling)."""
    with guard():
        import getpass

        from integrity.job import Project
        from integrity.job.baseline import set_baseline

        record = set_baseline(Project.load(project), dataset, from_batch=from_batch, file=file,
                              rolling=rolling, actor=steward or getpass.getuser(), note=note)
        out.print(f"{clean(dataset)}: baseline {record.id} set ({clean(_what(record))}); drift "
                  "checks with reference \"baseline\" compare with it from the next run.")


@baseline_app.command("show")
def baseline_show(
    dataset: Annotated[str, typer.Argument(help="Dataset name (connectors/<name>.yaml).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the baseline (with its profile) "
                                                          "as JSON.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Show the baseline in force for DATASET: its kind, source, size and who set it."""
    with guard():
        from integrity.job import Project

        proj = Project.load(project)
        proj.dataset(dataset)  # an unknown dataset is an error, not "no baseline"
        with proj.open_store() as store:
            records = store.baselines(dataset)
            merged = None
            if records and records[0].kind == "rolling" and records[0].rolling:
                merged = sum(1 for h in store.history(dataset, records[0].rolling)
                             if h.get("profile"))
        if json_out:
            shown = {**records[0].__dict__, "size_bytes": records[0].size_bytes} if records else None
            text = json.dumps(jsonable(shown), indent=2, ensure_ascii=False)
            sys.stdout.write(clean_json(text) + "\n")
            return
        if not records:
            out.print(f"{clean(dataset)} has no baseline; drift checks with reference \"baseline\" "
                      "are not evaluated. Set one with `integrity baseline set "
                      f"{clean(dataset)} --from-batch ID` (or --file PATH, or --rolling N).")
            return
        current = records[0]
        out.print(f"{clean(dataset)}: baseline {current.id}, {clean(_what(current))}")
        out.print(f"  set {clean(current.created_at)} by {clean(current.created_by)}"
                  + (f": {clean(current.note)}" if current.note else ""))
        if merged is not None:
            out.print(f"  {merged} of the last {current.rolling} published batches have a "
                      "profile to merge")
        if len(records) > 1:
            out.print(f"  {len(records) - 1} earlier baseline(s) replaced by it")


def _what(record: BaselineRecord) -> str:
    if record.kind == "rolling":
        return f"rolling: the last {record.rolling} published batches, merged"
    size = record.size_bytes
    where = f"batch {record.source}" if record.kind == "batch" else f"file {record.source}"
    return f"the profile of {where}, {size / 1024:.1f} KiB"
