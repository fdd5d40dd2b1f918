"""Checking a project's definitions before anything is pulled: what ``run`` does first and
``integrity check-config`` does alone.

A definition problem found late (an unset ``${ENV}`` in ``publish.url``, a dataset name too long for
a file name) used to surface at publish time, after the batch was pulled and recorded as pending,
so every later run tripped on it. Everything a run will need is therefore resolved and checked here,
before the results store is opened: the results store URL and whether its store exists, every
``${ENV}`` reference, the dataset's definition and name, its suite and the suite's actions, the
connector type and its parameters (the connector is constructed, which reads nothing), the publish
target and the folders the run writes. Every problem is collected, not only the first, each as one
line that names the file and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from integrity.config import (
    ACTIONS,
    DatasetConfig,
    missing_secret_message,
    missing_secrets,
    redact,
    referenced_secrets,
    resolve_secrets,
)
from integrity.connectors import registry as connector_registry
from integrity.errors import ConfigError, IntegrityError, did_you_mean
from integrity.job.project import Project
from integrity.suites import Suite, load_suite
from integrity.triggers import parse as parse_schedule


@dataclass(frozen=True)
class Checked:
    """A dataset whose definition passed every check, with its loaded suite."""

    dataset: DatasetConfig
    suite: Suite


class ConfigProblems(ConfigError):
    """Every problem the check found, one line each (the message holds them all, one per line)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def checked_dataset(project: Project, name: str) -> Checked:
    """The dataset ``name``, checked with its project; a :class:`ConfigProblems` listing every
    problem otherwise. The run calls this before it opens the store or pulls anything."""
    problems = check_project(project)
    checked, dataset_problems = check_dataset(project, name)
    problems += dataset_problems
    if problems or checked is None:
        raise ConfigProblems(problems)
    return checked


def check_config(project: Project, names: Iterable[str]) -> list[str]:
    """Every problem of the project and of the datasets ``names``: what check-config prints.

    Besides what a run needs, what only the scheduler and alerts use: each ``schedule:`` parses,
    each alert webhook's ``${ENV}`` is set and it is an http(s) URL."""
    problems = check_project(project)
    problems += _alert_problems(project, None, problems)
    for name in names:
        problems += check_dataset(project, name)[1]
        try:
            dataset = project.dataset(name)
        except IntegrityError:
            continue  # reported by check_dataset
        if dataset.schedule is not None:
            problems += _errors(partial(
                parse_schedule, dataset.schedule,
                where=f"{project.path(project.config.connectors_dir) / name}.yaml: schedule"))
        problems += _alert_problems(project, dataset, problems)
    return problems


def _alert_problems(project: Project, dataset: DatasetConfig | None, known: list[str]) -> list[str]:
    from integrity.job.alerting import targets

    return [p for p in dict.fromkeys(targets(project, dataset)[1]) if p not in known]


def check_project(project: Project) -> list[str]:
    """integrity.yaml: the results store URL (its secrets, its spelling, a store missing where an
    earlier run left state) and the data root."""
    config_file = project.root / "integrity.yaml"
    problems = [missing_secret_message(var, where) for var, where in
                missing_secrets(project.config.store_url, where=f"{config_file}: store_url")]
    if not problems:
        problems += _errors(lambda: _store_exists_where_expected(project))
    problems += _folder_problems(project.data_root, f"{config_file}: data_root")
    return problems


def check_dataset(project: Project, name: str) -> tuple[Checked | None, list[str]]:
    """One dataset's definition, suite, secrets, connector, publish target and folders."""
    try:
        dataset = project.dataset(name)
    except ConfigError as exc:
        return None, str(exc).splitlines()
    source = project.path(project.config.connectors_dir) / f"{name}.yaml"
    problems: list[str] = []
    suite: Suite | None = None
    suite_file = Path(dataset.suite)
    if not suite_file.is_file():
        near = sorted(p.name for p in suite_file.parent.glob("*")) if suite_file.parent.is_dir() else []
        problems.append(f"{source}: suite: {suite_file} does not exist.{did_you_mean(suite_file.name, near)}"
                        " The path is relative to the project root.")
    else:
        try:
            suite = load_suite(suite_file)
        except IntegrityError as exc:
            problems.append(f"dataset {name!r}: {exc}")
    if suite is not None:
        problems += _action_problems(suite)
    unset = (missing_secrets(dataset.connector.params, where=f"{source}: connector.params")
             + missing_secrets(dataset.publish.url, where=f"{source}: publish.url"))
    problems += [missing_secret_message(var, where) for var, where in unset]
    secrets = referenced_secrets(project.config.store_url, dataset.connector.params,
                                 dataset.publish.url)
    params_unset = any(where.startswith(f"{source}: connector.") for _, where in unset)
    if not params_unset:
        problems += [redact(p, secrets) for p in _errors(lambda: _construct_connector(dataset))]
    if dataset.publish.kind == "sql":
        if not any(where.endswith("publish.url") for _, where in unset):
            problems += [redact(p, secrets) for p in _errors(lambda: _construct_sink(project, dataset))]
    else:
        root = Path(dataset.publish.path) if dataset.publish.path else project.data_root / "published"
        problems += _folder_problems(root, f"{source}: publish.path")
    problems += _folder_problems(project.quarantine_files(dataset).root, f"{source}: quarantine.path")
    if problems or suite is None:
        return None, problems
    return Checked(dataset, suite), []


def _store_exists_where_expected(project: Project) -> None:
    """The URL parses; a SQLite store file is there if earlier runs left state (PostgreSQL is
    checked when the run connects: :meth:`Project.open_store`)."""
    from integrity.store.connect import parse_url

    url = parse_url(project.store_url)  # a ConfigError for a URL that does not parse
    if project.new_store or url.get_backend_name() != "sqlite":
        return
    path = Path(str(url.database))
    if not path.exists():
        found = project.leftover_state()
        if found and not path.exists():
            raise ConfigError(project.missing_store_message(f"there is no results store at {path}",
                                                            found))


def _construct_connector(dataset: DatasetConfig) -> None:
    """Build the connector without pulling: an unknown type or parameter fails here, not later."""
    params = resolve_secrets(dataset.connector.params,
                             where=f"connectors/{dataset.name}.yaml: connector.params")
    cursor = dataset.cursor.column if dataset.cursor else None
    try:
        connector = connector_registry().create(dataset.connector.type, dataset.name, cursor, params)
    except IntegrityError:
        raise
    except Exception as exc:  # a plugin's factory may raise anything; it is still a definition problem
        raise ConfigError(f"dataset {dataset.name!r}: connector {dataset.connector.type!r} refused "
                          f"its parameters ({type(exc).__name__}: {exc}).") from None
    connector.close()


def _construct_sink(project: Project, dataset: DatasetConfig) -> None:
    """Build the SQL publish target without connecting: a URL that does not parse, or a missing
    driver, fails here."""
    try:
        sink = project.sink(dataset)
    except IntegrityError:
        raise
    except Exception as exc:  # SQLAlchemy's ArgumentError, NoSuchModuleError, ImportError
        raise ConfigError(f"dataset {dataset.name!r}: publish.url cannot be used "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
                          "Write a SQLAlchemy URL, e.g. postgresql+psycopg://user:${PASSWORD}@host/db, "
                          "and install its driver.") from None
    engine = getattr(sink, "engine", None)
    if engine is not None:
        engine.dispose()


def _action_problems(suite: Suite) -> list[str]:
    """Actions are checked now, not when an expectation first fails (the gate checks them again)."""
    where = suite.path or suite.name
    found: list[tuple[str, object]] = []
    default = suite.meta.get("default_action")
    if default is not None:
        found.append(("meta.default_action", default))
    for index, expectation in enumerate(suite.expectations):
        action = expectation.meta.get("action")
        if action is not None:
            found.append((f"expectation #{index} ({expectation.type}): meta.action", action))
    return [f"{where}: {what}: unknown action {action!r}.{did_you_mean(str(action), ACTIONS)} "
            f"Valid actions: {', '.join(ACTIONS)}."
            for what, action in found if action not in ACTIONS]


def _folder_problems(folder: Path, what: str) -> list[str]:
    """A folder the run writes into must be a folder, or creatable, and writable."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [f"{what}: {existing} is a file, so the folder {folder} cannot be created there; "
                "choose another path."]
    if not os.access(existing, os.W_OK | os.X_OK):
        verb = "write into" if existing == folder else "create"
        return [f"{what}: cannot {verb} {folder} ({existing} is not writable by this user); fix the "
                "folder's permissions or choose another path."]
    return []


def _errors(check: Callable[[], object]) -> list[str]:
    """The lines of the IntegrityError ``check`` raises (none when it passes)."""
    try:
        check()
    except IntegrityError as exc:
        return str(exc).splitlines()
    return []
