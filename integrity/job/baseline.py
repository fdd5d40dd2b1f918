"""Setting a dataset's baseline: what its drift checks compare later batches with (``reference:
"baseline"``).

Three kinds, the latest set in force: the profile of one published batch (``--from-batch ID``), a
profile of a data file (``--file PATH``, e.g. a curated reference sample), or ``rolling``: the
last N published batches' profiles, merged whenever a check asks, so the baseline follows the
data. A baseline holds profiles only (counts, bins, sketches, top values), never raw rows, and
never rows held in quarantine: batch profiles are computed over published rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integrity.errors import ConfigError, IntegrityError
from integrity.job.history import drift_columns
from integrity.job.project import Project
from integrity.store import BaselineRecord, Store
from integrity.suites import load_suite


def set_baseline(project: Project, name: str, *, actor: str, from_batch: str | None = None,
                 file: str | None = None, rolling: int | None = None,
                 note: str | None = None) -> BaselineRecord:
    """Set the baseline of dataset ``name`` from exactly one of ``from_batch``, ``file`` or
    ``rolling``; a ConfigError in one line (naming the batch or file and the fix) otherwise."""
    chosen = [k for k, v in (("--from-batch", from_batch), ("--file", file),
                             ("--rolling", rolling)) if v is not None]
    if len(chosen) != 1:
        raise ConfigError("give exactly one of --from-batch ID, --file PATH or --rolling N"
                          + (f" (got {' and '.join(chosen)})" if chosen else ""))
    dataset = project.dataset(name)
    with project.open_store() as store:
        if rolling is not None:
            if rolling < 1:
                raise ConfigError(f"--rolling {rolling}: merge at least 1 published batch "
                                  "(e.g. --rolling 7)")
            return store.set_baseline(name, kind="rolling", source=None, rolling=rolling,
                                      profile=None, actor=actor, note=note)
        if from_batch is not None:
            batch_id, profile = _batch_profile(store, name, from_batch)
            return store.set_baseline(name, kind="batch", source=batch_id, rolling=None,
                                      profile=profile, actor=actor, note=note)
        assert file is not None
        path = project.path(file) if not Path(file).is_absolute() else Path(file)
        profile = _file_profile(path, dataset.suite)
        return store.set_baseline(name, kind="file", source=str(path), rolling=None,
                                  profile=profile, actor=actor, note=note)


def _batch_profile(store: Store, name: str, batch_id: str) -> tuple[str, dict[str, Any]]:
    found = store.find_batch(batch_id)
    if found is None or found.dataset != name:
        raise ConfigError(f"dataset {name!r} has no batch {batch_id!r}; `integrity batches list "
                          f"--dataset {name}` lists its batches")
    history = store.batch_history(found.batch_id)
    if history is None:
        raise ConfigError(f"batch {found.batch_id} published no rows (status {found.status}); rows "
                          "held in quarantine never enter a baseline: choose a batch that "
                          "published rows")
    if not history.get("profile"):
        raise ConfigError(f"batch {found.batch_id} has no stored profile: its suite had no drift "
                          "expectation when it ran (profiles are kept for the columns they "
                          "compare); use --file PATH or --rolling N instead")
    return found.batch_id, dict(history["profile"])


def _file_profile(path: Path, suite_path: str) -> dict[str, Any]:
    """The profile of a data file: the columns the dataset's drift expectations compare, or every
    column when they name none."""
    from integrity.connectors import readers

    if not path.is_file():
        raise ConfigError(f"{path}: file not found; give a Parquet or CSV file (--file PATH, "
                          "relative to the project)")
    try:
        frame = readers.scan(str(path))
        columns = frame.collect_schema().names()
    except IntegrityError:
        raise
    except Exception as exc:
        raise readers.read_errors(exc, str(path)) from None
    named, every = drift_columns(load_suite(Path(suite_path)))
    missing = [c for c in named if c not in columns]
    if missing:
        raise ConfigError(f"{path}: no column {missing[0]!r}, which the suite's drift expectations "
                          f"compare; the file has: {', '.join(columns[:20])}. Add the column or "
                          "choose another file")
    try:
        from integrity.checks.stats.profile import (  # type: ignore[import-not-found,unused-ignore]
            build_profile,
        )
    except ImportError:
        raise ConfigError("this build of integrity has no column profiles "
                          "(integrity.checks.stats.profile), so no baseline file can be "
                          "profiled") from None
    profiled = columns if every or not named else named
    try:
        profile: dict[str, Any] = build_profile(frame, profiled)
    except IntegrityError:
        raise
    except Exception as exc:  # the file is only read now: a bad value deep in a CSV
        raise readers.read_errors(exc, str(path)) from None
    return profile
