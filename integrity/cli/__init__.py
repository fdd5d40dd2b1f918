"""The ``integrity`` command (layer 5): one module per command group, registered on one Typer app.

``integrity.cli:main`` is the console entry point. Importing this package stays light: polars, the
engine and the drivers are imported inside the commands.
"""

from __future__ import annotations

from integrity.cli.app import app, settle_imports


def main() -> None:
    """Console entry point (``integrity``)."""
    from integrity.cli import (  # noqa: F401  (register commands)
        baseline,
        batches,
        config,
        kpi,
        quarantine,
        run,
        schedule,
        validate,
    )

    try:
        app()
    finally:
        settle_imports()  # again: what a run imported late (drivers, pyarrow) skips the exit's collection


__all__ = ["app", "main", "settle_imports"]
