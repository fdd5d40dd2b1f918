"""What makes the job exactly-once across crashes: durable staged copies, failpoints, guarded writes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import polars as pl

from integrity.config import DatasetConfig
from integrity.connectors.base import Batch
from integrity.errors import ConfigError, ConnectorError
from integrity.gate._files import make_dirs, remove_durably, replace_durably, write_file
from integrity.job.project import Project
from integrity.types import BatchInfo

_T = TypeVar("_T")

FAILPOINT_ENV = "INTEGRITY_FAILPOINT"
"""Crash-safety tests set this to a stage name; the process then kills itself (SIGKILL) right there."""


def failpoint(stage: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def guarded(action: Callable[[], _T], dataset: DatasetConfig, info: BatchInfo, what: str, *,
            then: str | None = None) -> _T:
    """Run a publish or quarantine write; an I/O or database failure becomes one clear error that
    says what is kept and what finishes it (``then``; by default: the batch is kept pending and
    staged, and the next run finishes it)."""
    import sqlalchemy as sa

    try:
        return action()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        then = then or (f"Batch {info.batch_id} is kept pending with its staged copy; fix the "
                        "target and run again: the next run finishes it exactly once.")
        raise ConnectorError(
            f"dataset {dataset.name!r}: could not {what} ({detail[0] if detail else type(exc).__name__}). "
            f"{then}", transient=True) from None



STAGING_MODE = 0o700
"""Staged copies are customer rows not yet checked: only the owner reads them."""
DATA_ROOT_MODE = 0o750
"""The data root holds the published tree (its group reads it) beside the private folders."""


def stage(project: Project, dataset: DatasetConfig, batch: Batch) -> Path:
    """Write the pulled batch durably (and privately) before it is recorded as pending."""
    make_dirs(project.data_root, DATA_ROOT_MODE)  # explicit modes, never the umask's
    folder = project.staging_dir(dataset)
    make_dirs(folder, STAGING_MODE)
    os.chmod(folder, STAGING_MODE)  # an existing folder too
    final = project.staged_path(dataset, batch.info.batch_id)
    tmp = final.with_suffix(".tmp")
    write_file(tmp, lambda handle: batch.frame.write_ipc(handle), 0o600)
    replace_durably(tmp, final)
    return final


def clear_orphans(project: Project, dataset: DatasetConfig, keep: set[str]) -> list[Path]:
    """Remove staged copies that no pending batch refers to; return what was removed.

    A run killed between staging and recording the batch leaves one behind (``<batch>.arrow``,
    or a half-written ``<batch>.tmp``), and a pull of new rows has another batch id, so nothing
    would ever overwrite it. Call it under the dataset's lock, with ``keep`` = the ids of the
    dataset's pending batches, whose copies the next run needs.
    """
    folder = project.staging_dir(dataset)
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        orphan = (path.suffix == ".tmp"
                  or (path.suffix == ".arrow" and path.name[:-len(".arrow")] not in keep))
        if orphan and path.is_file() and remove_durably(path):
            removed.append(path)
    return removed


def read_staged(path: Path, batch_id: str) -> pl.DataFrame:
    fix = (f"Restore the file, or give the batch up with `integrity batches fail {batch_id} "
           "--steward NAME`: the watermark has not moved, so the next run pulls its rows again.")
    if not path.exists():
        raise ConfigError(f"the pending batch's staged copy {path} is missing; it cannot be "
                          f"finished exactly once. {fix}")
    try:
        return pl.read_ipc(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ConfigError(f"the pending batch's staged copy {path} cannot be read "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). {fix}"
                          ) from None


