"""``integrity check-config``: the checks ``integrity run`` makes before it pulls anything, alone.

Nothing is pulled, created or recorded. Every problem is one line on stderr (all of them, not just
the first); a summary goes to stdout. Exit code 0 when every check passes, 2 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from integrity.cli.app import EXIT_INPUT, ProjectOpt, app, clean, err, guard, out


@app.command("check-config")
def check_config(
    datasets: Annotated[list[str] | None, typer.Argument(
        help="Datasets to check (connectors/<name>.yaml); every dataset when none is named.")] = None,
    project: ProjectOpt = Path("."),
    new_store: Annotated[bool, typer.Option(
        "--new-store", help="Check as `run --new-store` would: a missing results store may be "
                            "created even though earlier runs left state.")] = False,
) -> None:
    """Check integrity.yaml and the dataset definitions as `run` does, without running anything.

    Exit code: 0 every check passed, 2 a problem was found (one line each)."""
    with guard():
        from integrity.errors import IntegrityError
        from integrity.job import Project
        from integrity.job.preflight import check_config as check

        try:
            proj = Project.load(project, new_store=new_store)
        except IntegrityError as exc:
            _report(str(exc).splitlines(), project.resolve())
        names = list(datasets or proj.dataset_names())
        if not names:
            folder = proj.path(proj.config.connectors_dir)
            _report([f"{folder}: no dataset definitions (<name>.yaml); add one per dataset."], proj.root)
        _report(check(proj, names), proj.root)
        out.print(f"OK: {len(names)} dataset{'s' * (len(names) != 1)} checked "
                  f"({clean(', '.join(names))}); results store "
                  f"{clean(_store_for_display(proj.store_url))}.", soft_wrap=True)


def _report(problems: list[str], root: Path) -> None:
    """Print every problem, one line each, and exit 2 when there is any."""
    if not problems:
        return
    for problem in problems:
        err.print(f"[bold red]error:[/] {clean(problem)}", soft_wrap=True)
    out.print(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {clean(str(root))}; "
              "nothing was run.", soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def _store_for_display(url: str) -> str:
    from integrity.store.connect import display, parse_url

    return display(parse_url(url))
