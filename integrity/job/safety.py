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
from integrity.job.project import Project
from integrity.types import BatchInfo

_T = TypeVar("_T")

FAILPOINT_ENV = "INTEGRITY_FAILPOINT"
"""Crash-safety tests set this to a stage name; the process then kills itself (SIGKILL) right there."""


def failpoint(stage: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def guarded(action: Callable[[], _T], dataset: DatasetConfig, info: BatchInfo, what: str) -> _T:
    """Run a publish or quarantine write; an I/O or database failure becomes one clear error that
    says the batch is kept (pending, staged) and will be finished by the next run."""
    import sqlalchemy as sa

    try:
        return action()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise ConnectorError(
            f"dataset {dataset.name!r}: could not {what} ({detail[0] if detail else type(exc).__name__}). "
            f"Batch {info.batch_id} is kept pending with its staged copy; fix the target and run "
            "again: the next run finishes it exactly once.", transient=True) from None



def stage(project: Project, dataset: DatasetConfig, batch: Batch) -> Path:
    """Write the pulled batch durably (and privately) before it is recorded as pending."""
    folder = project.staging_dir(dataset)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    final = project.staged_path(dataset, batch.info.batch_id)
    tmp = final.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        batch.frame.write_ipc(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


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


